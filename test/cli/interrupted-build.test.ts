import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeScaleFleet } from '../../bench/scale-fleet.js';
import { tempFileOf } from '../../src/write/atomic.js';
import { snapshotDisk, type DiskEntry } from '../write/disk.js';
import { BIN, fleetgen, tempDir } from './fleetgen.js';

const HOSTS = 200;

async function built(dir: string): Promise<void> {
  const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir, timeoutMs: 120_000 });
  expect(result.status, result.stderr).toBe(0);
}

/** Bytes and mode of every entry (mtimes differ between two folders and do not matter here). */
function contentOf(snapshot: Record<string, DiskEntry>): Record<string, string> {
  return Object.fromEntries(Object.entries(snapshot).map(([path, entry]) => [path, `${entry.mode.toString(8)} ${entry.bytes}`]));
}

/** Starts a build and kills it with SIGKILL as soon as one of `probes` has its new content. */
function buildKilledMidway(dir: string, probes: { path: string; content: string }[]): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, [BIN, 'build', 'fleet.yaml'], { cwd: dir, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_, signal) => resolve(signal)));
  const timer = setInterval(() => {
    if (probes.some((probe) => readIfThere(join(dir, probe.path)) === probe.content)) child.kill('SIGKILL');
  }, 1);
  return exited.finally(() => clearInterval(timer));
}

function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

describe('a build killed in the middle (kill -9)', () => {
  it('leaves each file old or new, never partial, and the next build completes out/ exactly', async () => {
    const dir = tempDir();
    writeScaleFleet(dir, HOSTS, { port: 8080 });
    await built(dir);
    const before = contentOf(snapshotDisk(join(dir, 'out')));

    // What the finished build must leave: the same fleet with every host's HTTP port changed, built afresh.
    const reference = tempDir();
    writeScaleFleet(reference, HOSTS, { port: 8081 });
    await built(reference);
    const after = contentOf(snapshotDisk(join(reference, 'out')));

    writeScaleFleet(dir, HOSTS, { port: 8081, withSecrets: false });
    const changed = Object.keys(after).filter((path) => before[path] !== undefined && before[path] !== after[path]);
    const probes = ['ansible/inventory/host_vars/host-0/cloudflared.yml', 'chef/data_bags/bench/host-0.json', 'cloud-init/host-0.yaml']
      .map((path) => ({ path: join('out', path), content: Buffer.from((after[path] ?? '').split(' ')[1] ?? '', 'base64').toString('utf8') }));
    const signal = await buildKilledMidway(dir, probes);
    expect(signal, 'the build finished before it could be killed: raise HOSTS').toBe('SIGKILL');

    const interrupted = contentOf(snapshotDisk(join(dir, 'out')));
    for (const [path, entry] of Object.entries(interrupted)) {
      if (tempFileOf(basename(path)) !== undefined) continue; // a temp file the kill left: never read as output
      expect([before[path], after[path]], path).toContain(entry);
    }
    // Killed in the middle: some changed files are new already, others still old.
    expect(changed.filter((path) => interrupted[path] === after[path]).length).toBeGreaterThan(0);
    expect(changed.filter((path) => interrupted[path] === before[path]).length).toBeGreaterThan(0);

    await built(dir);
    expect(contentOf(snapshotDisk(join(dir, 'out')))).toEqual(after);
    const check = await fleetgen(['build', 'fleet.yaml', '--check'], { cwd: dir, timeoutMs: 120_000 });
    expect(check.status, check.stdout + check.stderr).toBe(0);
  }, 300_000);
});
