import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { copyExample, fleetgen, STACK_FRAME } from './fleetgen.js';

interface HostJson {
  name: string;
  group: string | null;
  mode: string;
  ingress: { hostname: string | null; path: string | null; service: string; isGenerated: boolean; isCatchAll: boolean }[];
}

const lockedNames = (dir: string): Record<string, Record<string, string>> =>
  (parse(readFileSync(join(dir, 'fleet.lock.yaml'), 'utf8')) as { hosts: Record<string, Record<string, string>> }).hosts;

describe('fleetgen hosts', () => {
  it('prints a table of host, group, mode, hostname and service that fits in 100 columns', async () => {
    // A copy: `hosts` may write the lock file, and tests never change the repository.
    const result = await fleetgen(['hosts', 'fleet.yaml'], { cwd: copyExample({ withLock: true }) });
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^HOST\s+GROUP\s+MODE\s+HOSTNAME\s+SERVICE$/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
    expect(result.stdout).toMatch(/^store-0001\s+stores\s+named\s+\S+\.example\.com\s+ssh:\/\/localhost:22$/m);
    expect(result.stdout).toMatch(/^\s+store-0001-pos\.example\.com\s+http:\/\/localhost:8080$/m);
    expect(result.stdout).toMatch(/^kiosk-17\s+kiosks\s+token\s+\(ingress managed in Cloudflare\)$/m);
    expect(result.stdout).toMatch(/^lab-pi-3\s+lab\s+self-register\s/m);
  });

  it('prints the same data as JSON with --format json, in a versioned object, generated names taken from the lock', async () => {
    const dir = copyExample({ withLock: true });
    const result = await fleetgen(['hosts', 'fleet.yaml', '--format', 'json'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { formatVersion: number; ok: boolean; hosts: HostJson[]; warnings: { code: string }[] };
    expect(Object.keys(report)).toEqual(['formatVersion', 'ok', 'hosts', 'warnings']);
    expect(report).toMatchObject({ formatVersion: 1, ok: true });
    expect(report.warnings.map((w) => w.code)).toEqual(['tunnel.shared-origin-cert']);
    const { hosts } = report;
    expect(hosts.map((h) => h.name)).toEqual(['kiosk-17', 'kiosk-18', 'lab-build-1', 'lab-pi-3', 'store-0001', 'store-0002', 'store-0003']);
    const byName = new Map(hosts.map((h) => [h.name, h]));
    expect(byName.get('store-0002')).toMatchObject({ group: 'stores', mode: 'named' });
    const ingress = byName.get('store-0002')?.ingress ?? [];
    expect(ingress[0]).toMatchObject({ service: 'ssh://localhost:22', isGenerated: true, isCatchAll: false, path: null });
    expect(Object.values(lockedNames(dir)['store-0002'] ?? {})).toEqual([ingress[0]?.hostname]);
    expect(ingress.at(-1)).toMatchObject({ isCatchAll: true, service: 'http_status:404' });
    expect(byName.get('kiosk-17')?.ingress).toEqual([]);
  });

  it('writes the lock file atomically (mode 0644, no temp file left) when it is missing', async () => {
    const dir = copyExample({ withLock: false });
    const result = await fleetgen(['hosts', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('updated fleet.lock.yaml');
    const lock = join(dir, 'fleet.lock.yaml');
    expect(statSync(lock).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(Object.keys(lockedNames(dir)).sort()).toEqual(['kiosk-18', 'lab-build-1', 'lab-pi-3', 'store-0001', 'store-0002', 'store-0003']);
  });

  it('leaves an up-to-date lock file untouched', async () => {
    const dir = copyExample({ withLock: true });
    const before = readFileSync(join(dir, 'fleet.lock.yaml'));
    const result = await fleetgen(['hosts', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('updated');
    expect(readFileSync(join(dir, 'fleet.lock.yaml'))).toEqual(before);
  });

  it('with --frozen-lockfile, exits 1 and writes nothing when the lock is missing', async () => {
    const dir = copyExample({ withLock: false });
    const result = await fleetgen(['hosts', 'fleet.yaml', '--frozen-lockfile'], { cwd: dir });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^fleet\.lock\.yaml:1:1: error: does not exist/m);
    expect(existsSync(join(dir, 'fleet.lock.yaml'))).toBe(false);
  });

  it('with --frozen-lockfile, exits 1 naming the host that would get a new hostname, and writes nothing', async () => {
    const dir = copyExample({ withLock: true });
    const id = '0f4b2c1e-2a3b-4c5d-8e9f-a0b1c2d3e4f5';
    writeFileSync(join(dir, 'secrets', `${id}.json`), JSON.stringify({ AccountTag: 'a'.repeat(32), TunnelSecret: Buffer.alloc(32, 7).toString('base64'), TunnelID: id }));
    const newHost = ['  - name: store-0004', '    group: stores', '    tunnel:', `      id: ${id}`, `      credentials: { file: secrets/${id}.json }`, ''].join('\n');
    const manifest = readFileSync(join(dir, 'fleet.yaml'), 'utf8');
    writeFileSync(join(dir, 'fleet.yaml'), manifest.replace('\nclient:', `${newHost}\nclient:`));
    const before = readFileSync(join(dir, 'fleet.lock.yaml'));
    const result = await fleetgen(['hosts', 'fleet.yaml', '--frozen-lockfile'], { cwd: dir });
    expect(result.stderr).toMatch(/^fleet\.lock\.yaml:\d+:\d+: error: hosts\.store-0004\[.*this run would record \S+\.example\.com/m);
    expect(result.stderr).toMatch(/^fleetgen: fleet\.lock\.yaml is out of date \(generated hostnames to record or change: store-0004\); run "fleetgen hosts fleet\.yaml"/m);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toBe('');
    expect(readFileSync(join(dir, 'fleet.lock.yaml'))).toEqual(before);
  });

  it('writes no lock file when the manifest has errors', async () => {
    const dir = copyExample({ withLock: false });
    appendFileSync(join(dir, 'fleet.yaml'), 'bogus: true\n');
    const result = await fleetgen(['hosts', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/^fleet\.yaml:\d+:1: error: bogus: unknown key "bogus"/m);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.stdout).toBe('');
    expect(existsSync(join(dir, 'fleet.lock.yaml'))).toBe(false);
  });
});
