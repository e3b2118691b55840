import { readFileSync, renameSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeScaleFleet } from '../../bench/scale-fleet.js';
import { CACHE_DIR } from '../../src/write/cache.js';
import { CACHE_BYTES_FOR_STAT_AHEAD } from '../../src/write/stat-ahead.js';
import { fleetgen, tempDir } from './fleetgen.js';

/** Enough hosts for a cache past CACHE_BYTES_FOR_STAT_AHEAD: `fleetgen build` starts the stat-ahead thread. */
const HOSTS = 1000;

describe('fleetgen build over a cache large enough for the stat-ahead thread', () => {
  it('restores a file edited by hand, and refuses a host folder turned into a link, as without the thread', async () => {
    const dir = tempDir();
    writeScaleFleet(dir, HOSTS);
    const build = (): ReturnType<typeof fleetgen> => fleetgen(['build', 'fleet.yaml'], { cwd: dir, timeoutMs: 120_000 });
    const first = await build();
    expect(first.status, first.stderr).toBe(0);
    expect(statSync(join(dir, 'out', CACHE_DIR, 'build.json')).size).toBeGreaterThanOrEqual(CACHE_BYTES_FOR_STAT_AHEAD);

    // Edited by hand: the same size, another time.
    const edited = join(dir, 'out', 'cloud-init', 'host-7.yaml');
    const generated = readFileSync(edited, 'utf8');
    writeFileSync(edited, generated.replaceAll('host-7', 'host-8'));
    utimesSync(edited, new Date('2001-01-01T00:00:00Z'), new Date('2001-01-01T00:00:00Z'));
    const restored = await build();
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stdout.match(/^[a-z-]+: \d+ written/gm)).toEqual(['chef: 0 written', 'ansible: 0 written', 'cloud-init: 1 written', 'ssh: 0 written', 'terraform: 0 written']);
    expect(readFileSync(edited, 'utf8')).toBe(generated);
    const check = await fleetgen(['build', 'fleet.yaml', '--check'], { cwd: dir, timeoutMs: 120_000 });
    expect(check.status, check.stdout + check.stderr).toBe(0);

    // The same files, reached through a link.
    const folder = join(dir, 'out', 'ansible', 'inventory', 'host_vars', 'host-9');
    renameSync(folder, join(dir, 'host-9'));
    symlinkSync(join(dir, 'host-9'), folder);
    const refused = await build();
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("fleetgen: out/ansible/inventory/host_vars/host-9 is a symbolic link");
  }, 300_000);
});
