/**
 * A build shows a status line on a terminal and nothing when stderr is a pipe. The terminal is a real
 * pseudo-terminal: `script` (util-linux) runs fleetgen on one and copies what it printed.
 */
import { describe, expect, it } from 'vitest';
import { runCommand } from '../support/run-command.js';
import { BIN, copyExample, fleetgen } from './fleetgen.js';

const quoted = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

describe('progress of a build', () => {
  it('is shown on a terminal, rewritten in place and cleared before the summary', async () => {
    const dir = copyExample({ withLock: true });
    const command = [process.execPath, BIN, 'build', 'fleet.yaml'].map(quoted).join(' ');
    const env: NodeJS.ProcessEnv = { ...process.env, COLUMNS: '120', LINES: '40' };
    delete env.FLEETGEN_DEBUG;
    const result = await runCommand('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: dir, env, installHint: 'apt-get install bsdutils' });
    expect(result.status, result.stdout).toBe(0);
    const screen = result.stdout;
    expect(screen).toContain('\rchecking fleet.yaml…\x1b[K');
    const ESC = String.fromCharCode(0x1b);
    expect(screen).toMatch(new RegExp(`\rbuilding out: (\\d+)/\\1 hosts${ESC}\\[K`));
    expect(screen).toMatch(new RegExp(`\rwriting out: (\\d+)/\\1 files${ESC}\\[K`));
    // Cleared before anything else is printed: the summary starts on a clean line.
    expect(screen).toMatch(new RegExp(`\r${ESC}\\[Kchef: \\d+ written, 0 unchanged, 0 removed\r?\n`));
  });

  it('is not shown when stderr is a pipe', async () => {
    const dir = copyExample({ withLock: true });
    const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('\r');
    expect(result.stderr).not.toContain('\x1b[');
    expect(result.stderr).not.toMatch(/checking|building|writing out/);
    expect(result.stdout).toMatch(/^chef: \d+ written/);
  });
});
