import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOutOf, startStatAheadEarly, takeEarlyStatAhead, type EarlyStatAhead } from '../../src/cli/early-start.js';
import { run } from '../../src/cli/run.js';
import { StatAhead } from '../../src/write/stat-ahead.js';
import { copyExample, tempDir } from './fleetgen.js';

describe('the out folder a command line plainly builds into (buildOutOf)', () => {
  it.each([
    [['build', 'fleet.yaml'], 'out'],
    [['build', 'fleet.yaml', '--out', 'dist/x'], 'dist/x'],
    [['build', '--out=dist/x', 'fleet.yaml'], 'dist/x'],
    [['build', 'fleet.yaml', '--target', 'chef,ansible', '--out', '/abs/out', '--verbose'], '/abs/out'],
    [['build', 'fleet.yaml', '--vault-password-file', 'pass', '--gzip'], 'out'],
    [['build', 'fleet.yaml', '--', '--check'], 'out'],
  ])('%j: %s', (args, out) => {
    expect(buildOutOf(args)).toBe(out);
  });

  it.each([
    [[]],
    [['validate', 'fleet.yaml']],
    [['fleet.yaml', 'build']],
    [['--help', 'build']],
    [['build', 'fleet.yaml', '--check']],
    [['build', 'fleet.yaml', '--check=true']],
    [['build', 'fleet.yaml', '--no-check']],
    [['build', 'fleet.yaml', '--dry-run', '--diff']],
    [['build', 'fleet.yaml', '--dryRun']],
    [['build', 'fleet.yaml', '--stdout', '--host', 'a']],
    [['build', 'fleet.yaml', '-h']],
    [['build', 'fleet.yaml', '--version']],
    [['build', 'fleet.yaml', '--out']],
    [['build', 'fleet.yaml', '--out=']],
    [['build', 'fleet.yaml', '--out', '--gzip']],
    [['build', 'fleet.yaml', '--out', 'a', '--out', 'b']],
  ])('%j: none', (args) => {
    expect(buildOutOf(args)).toBeUndefined();
  });
});

/** fleetgen in this process, as main.ts runs it, with `early` started before the command line was parsed. */
async function fleetgenHere(args: string[], early?: EarlyStatAhead): Promise<{ status: number; output: string }> {
  let output = '';
  const io = { stdout: (text: string) => void (output += text), stderr: (text: string) => void (output += text), env: {} };
  const status = await run(['node', 'fleetgen', ...args], io, early);
  return { status, output };
}

/** A thread for `out` (forced on however small its cache), once it has reported. */
function reportedStatAhead(out: string): StatAhead {
  const statAhead = StatAhead.start(out, { cacheBytesForStatAhead: 0 });
  if (statAhead === undefined) throw new Error(`no stat-ahead thread for ${out}: it has no cache`);
  statAhead.waitForReport(20_000);
  return statAhead;
}

describe('a stat-ahead thread started before the command line is parsed', () => {
  it('is taken only for the folder it was started for, however it is spelled, and closed otherwise', () => {
    const dir = tempDir();
    // Stand-ins: only which one is given back, and whether it was closed, are looked at.
    const statAhead = (): StatAhead => {
      const fake = { isClosed: false, close: () => void (fake.isClosed = true) };
      return fake as unknown as StatAhead;
    };
    const same = statAhead();
    expect(takeEarlyStatAhead({ out: join(dir, 'out'), statAhead: same }, join(dir, 'x', '..', 'out'))).toBe(same);
    expect(same.isClosed).toBe(false);
    const other = statAhead();
    expect(takeEarlyStatAhead({ out: join(dir, 'out'), statAhead: other }, join(dir, 'out2'))).toBeUndefined();
    expect(other.isClosed).toBe(true);
    const none = statAhead();
    expect(takeEarlyStatAhead({ out: relative(process.cwd(), join(dir, 'out')), statAhead: none }, undefined)).toBeUndefined();
    expect(none.isClosed).toBe(true);
    expect(takeEarlyStatAhead(undefined, join(dir, 'out'))).toBeUndefined();
  });

  it('starts none where there is no cache to look at, or no build into out/', () => {
    const dir = tempDir();
    expect(startStatAheadEarly(['node', 'fleetgen', 'build', 'fleet.yaml', '--out', join(dir, 'out')])).toBeUndefined();
    expect(startStatAheadEarly(['node', 'fleetgen', 'validate', 'fleet.yaml'])).toBeUndefined();
  });

  it("is the build's own thread when the build writes into its folder: its report is the one the build uses; any other build or command closes it unused", async () => {
    const dir = copyExample({ withLock: true });
    const manifest = join(dir, 'fleet.yaml');
    const out = join(dir, 'out');
    const first = await fleetgenHere(['build', manifest, '--out', out]);
    expect(first.status, first.output).toBe(0);

    const taken = reportedStatAhead(out);
    const rebuild = await fleetgenHere(['build', manifest, '--out', out], { out, statAhead: taken });
    expect(rebuild.status, rebuild.output).toBe(0);
    expect(taken.partsFoundAsCached).toBeGreaterThan(0);
    expect(taken.isClosed).toBe(true);

    // Another folder, a check, another command: the thread's report is not looked at, and the thread is closed.
    const otherOut = join(dir, 'elsewhere');
    for (const args of [['build', manifest, '--out', otherOut], ['build', manifest, '--out', out, '--check'], ['validate', manifest], ['build']]) {
      const unused = reportedStatAhead(out);
      const result = await fleetgenHere(args, { out, statAhead: unused });
      expect(result.status, `${args.join(' ')}: ${result.output}`).toBe(args.length === 1 ? 2 : 0);
      expect(unused.partsFoundAsCached).toBe(0);
      expect(unused.isClosed).toBe(true);
    }
  }, 120_000);
});
