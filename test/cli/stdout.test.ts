/** `build --host NAME --target cloud-init --stdout`: one host's user-data, and nothing written anywhere. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { snapshotDisk } from '../write/disk.js';
import { copyExample, fleetgen } from './fleetgen.js';

describe('fleetgen build --stdout', () => {
  it('prints exactly the user-data a build writes for that host, and writes nothing', async () => {
    const dir = copyExample({ withLock: true });
    const before = snapshotDisk(dir);
    const printed = await fleetgen(['build', 'fleet.yaml', '--host', 'store-0001', '--target', 'cloud-init', '--stdout'], { cwd: dir });
    expect(printed.status, printed.stderr).toBe(0);
    expect(snapshotDisk(dir)).toEqual(before);
    expect(existsSync(join(dir, 'out'))).toBe(false);

    const built = await fleetgen(['build', 'fleet.yaml', '--target', 'cloud-init'], { cwd: dir });
    expect(built.status, built.stderr).toBe(0);
    expect(printed.stdout).toBe(readFileSync(join(dir, 'out/cloud-init/store-0001.yaml'), 'utf8'));
  });

  it('writes no lock file either, and says the generated hostnames are not recorded yet', async () => {
    const dir = copyExample({ withLock: false });
    const result = await fleetgen(['build', 'fleet.yaml', '--host', 'store-0001', '--target', 'cloud-init', '--stdout'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^#cloud-config\n/);
    expect(existsSync(join(dir, 'fleet.lock.yaml'))).toBe(false);
    expect(result.stderr).toContain('fleet.lock.yaml does not record every generated hostname yet, and --stdout writes nothing');
  });

  it.each([
    [['--host', 'store-001', '--target', 'cloud-init', '--stdout'], 'fleetgen: there is no host "store-001" in the manifest — did you mean "store-0001"?\n'],
    [['--host', 'store-0001', '--stdout'], 'fleetgen: --stdout prints cloud-init user-data: give --target cloud-init — run "fleetgen --help" for usage\n'],
    [['--target', 'cloud-init', '--stdout'], 'fleetgen: --stdout needs --host NAME: it prints one host\'s user-data — run "fleetgen --help" for usage\n'],
    [['--host', 'store-0001'], 'fleetgen: --host goes with --stdout: a build writes every host — e.g. "fleetgen build fleet.yaml --host store-0001 --target cloud-init --stdout"\n'],
  ])('refuses %j, saying why (exit 2)', async (args, message) => {
    const dir = copyExample({ withLock: true });
    const result = await fleetgen(['build', 'fleet.yaml', ...args], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(message);
    expect(result.stdout).toBe('');
  });
});
