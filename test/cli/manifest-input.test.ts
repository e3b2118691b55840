/** The <manifest> argument: a file, a folder holding fleet.yaml, or "-" for standard input; JSON reports. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../support/run-command.js';
import { BIN, copyExample, fleetgen, tempDir } from './fleetgen.js';

function fleetgenWithInput(args: string[], cwd: string, input: string) {
  const env = { ...process.env };
  delete env.FLEETGEN_DEBUG;
  return runCommand(process.execPath, [BIN, ...args], { cwd, env, input, timeoutMs: 20_000 });
}

describe('the manifest argument', () => {
  it('may be the folder that holds fleet.yaml', async () => {
    const dir = copyExample({ withLock: true });
    const result = await fleetgen(['validate', dir]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain(`${join(dir, 'fleet.yaml')}: valid (1 warning)`);
  });

  it('may be "-": the manifest is read from standard input, its file references from the current folder', async () => {
    const dir = copyExample({ withLock: true });
    const text = readFileSync(join(dir, 'fleet.yaml'), 'utf8');
    const valid = await fleetgenWithInput(['validate', '-'], dir, text);
    expect(valid.status, valid.stderr).toBe(0);
    expect(valid.stderr).toMatch(/^<stdin>: valid \(1 warning\)$/m);
    const hosts = await fleetgenWithInput(['hosts', '-', '--frozen-lockfile'], dir, text);
    expect(hosts.status, hosts.stderr).toBe(0);
    expect(hosts.stdout).toContain('store-0001');

    const broken = await fleetgenWithInput(['validate', '-'], dir, text.replace('zone: example.com', 'zone: https://example.com'));
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(/^<stdin>:\d+:7: error: zone: "https:\/\/example\.com" is a URL — write "example\.com"/m);
  });

  it('names the missing fleet.yaml of a folder', async () => {
    const dir = tempDir();
    const result = await fleetgen(['validate', dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`fleetgen: ${dir} is a folder with no fleet.yaml in it — name the manifest file, or start one there with "fleetgen init ${dir}"\n`);
  });
});

describe('JSON reports', () => {
  it('hosts --format json reports a manifest error as validate does, with the format version', async () => {
    const dir = copyExample({ withLock: true });
    const text = readFileSync(join(dir, 'fleet.yaml'), 'utf8').replace('fleet: acme-pos', 'fleet: Acme_POS');
    const [hosts, validate] = await Promise.all([
      fleetgenWithInput(['hosts', '-', '--format', 'json'], dir, text),
      fleetgenWithInput(['validate', '-', '--format', 'json'], dir, text),
    ]);
    expect(hosts.status).toBe(2);
    expect(hosts.stdout).toBe(validate.stdout);
    const report = JSON.parse(hosts.stdout) as { formatVersion: number; ok: boolean; errors: { code: string; line: number; path: string }[] };
    expect(report).toMatchObject({ formatVersion: 1, ok: false });
    expect(report.errors.map((e) => [e.code, e.path])).toEqual([['schema.format', 'fleet']]);
  });

  it('hosts --format json --frozen-lockfile reports a stale lock file as JSON (exit 1)', async () => {
    const dir = copyExample({ withLock: false });
    const result = await fleetgen(['hosts', 'fleet.yaml', '--format', 'json', '--frozen-lockfile'], { cwd: dir });
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as { formatVersion: number; ok: boolean; errors: { code: string }[] };
    expect(report).toMatchObject({ formatVersion: 1, ok: false });
    expect(report.errors.length).toBeGreaterThan(0);
  });
});
