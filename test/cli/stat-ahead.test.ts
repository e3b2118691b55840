import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scaleFleetTunnelId, writeScaleFleet } from '../../bench/scale-fleet.js';
import { MAX_SECRET_BYTES } from '../../src/load/secrets.js';
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

  it('reads ahead the secret files the last build read, recording their paths only, and says of a broken one what it says without them', async () => {
    const dir = realpathSync(tempDir());
    writeScaleFleet(dir, HOSTS);
    const build = (...more: string[]): ReturnType<typeof fleetgen> => fleetgen(['build', 'fleet.yaml', ...more], { cwd: dir, timeoutMs: 120_000 });
    const list = join(dir, 'out', CACHE_DIR, 'secret-files.json');
    const secretsOf = (hosts: number): string[] => Array.from({ length: hosts }, (_, i) => join(dir, 'secrets', `${scaleFleetTunnelId(i)}.json`));
    const listed = (): string[] => (JSON.parse(readFileSync(list, 'utf8')) as { files: string[] }).files;
    // Each build below is to find the secret files changed just before it, as if written then: their ctime is too
    // recent for the build to know them by their stat (RACY_MARGIN_MS), so it reads them all and lists them to read
    // ahead. Written once before the first build, they would stop being that recent a few seconds later, at a time that
    // depends on how busy the machine is; a chmod to their own mode sets their ctime to now.
    const changeJustNow = (hosts: number): void => {
      for (const path of secretsOf(hosts)) chmodSync(path, statSync(path).mode & 0o7777);
    };

    changeJustNow(HOSTS);
    const first = await build();
    expect(first.status, first.stderr).toBe(0);
    expect([...listed()].sort()).toEqual(secretsOf(HOSTS).sort());
    expect(statSync(list).mode & 0o777).toBe(0o600);
    const text = readFileSync(list, 'utf8');
    for (const path of secretsOf(HOSTS)) {
      const { TunnelSecret, AccountTag } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
      expect(text.includes(TunnelSecret as string) || text.includes(AccountTag as string)).toBe(false);
    }

    // One host changed: the thread reads the files ahead; the same files read, the list is not written again.
    const { ino } = statSync(list);
    writeScaleFleet(dir, HOSTS, { withSecrets: false, changedHost: 3 });
    changeJustNow(HOSTS);
    const rebuilt = await build();
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toContain('cloud-init: 1 written');
    expect(statSync(list).ino).toBe(ino);

    // Broken since the last build: with the files read ahead, and with no list to read ahead from, the same words.
    const [missing, folder, fifo, large] = secretsOf(4) as [string, string, string, string];
    rmSync(missing);
    rmSync(folder);
    mkdirSync(folder);
    rmSync(fifo);
    execFileSync('mkfifo', [fifo]);
    truncateSync(large, MAX_SECRET_BYTES + 1);
    const threaded = await build();
    rmSync(list);
    const alone = await build();
    expect(threaded.status).toBe(2);
    for (const name of [scaleFleetTunnelId(0), scaleFleetTunnelId(1), scaleFleetTunnelId(2), scaleFleetTunnelId(3)]) expect(threaded.stderr).toContain(name);
    expect(threaded).toEqual(alone);
    expect(existsSync(list)).toBe(false);

    // Only a build into out/ records the list; a build reading other files writes it anew.
    rmSync(folder, { recursive: true });
    rmSync(fifo);
    writeScaleFleet(dir, HOSTS + 1);
    for (const [args, status] of [[['validate', 'fleet.yaml'], 0], [['build', 'fleet.yaml', '--check'], 1]] as const) {
      const other = await fleetgen(args, { cwd: dir, timeoutMs: 120_000 });
      expect(other.status, other.stderr).toBe(status);
      expect(existsSync(list), args.join(' ')).toBe(false);
    }
    changeJustNow(HOSTS + 1);
    const grown = await build();
    expect(grown.status, grown.stderr).toBe(0);
    expect([...listed()].sort()).toEqual(secretsOf(HOSTS + 1).sort());
  }, 300_000);
});
