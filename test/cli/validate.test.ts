import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyExample, fleetgen, STACK_FRAME, tempDir } from './fleetgen.js';

/** A manifest with one mistake the schema catches, at a known position (line 7, the misspelt key). */
const MISSPELT_KEY = `version: 1
fleet: acme
zone: example.com
hosts:
  - name: web-01
    tunnel:
      credentials_file: secrets/x.json
`;

describe('fleetgen validate', () => {
  it('accepts the bundled example and exits 0, printing its warnings', async () => {
    const result = await fleetgen(['validate', 'fixtures/example/fleet.yaml']);
    // lab-pi-3 registers itself with a shared cert.pem: worth a warning, not a failure.
    expect(result.stderr).toMatch(/^fixtures\/example\/fleet\.yaml:\d+:\d+: warning: hosts\[5\]\.tunnel\.originCert: /m);
    expect(result.stderr).toMatch(/^fixtures\/example\/fleet\.yaml: valid \(\d+ warnings?\)$/m);
    expect(result.status, result.stderr).toBe(0);
  });

  it('reports a located error, exits 2, and prints no stack trace', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fleet.yaml'), MISSPELT_KEY);
    const result = await fleetgen(['validate', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/^fleet\.yaml:7:7: error: hosts\[0\]\.tunnel\.credentials_file: unknown key "credentials_file"/m);
    expect(result.stderr).toContain('did you mean "credentials"?');
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.stdout).toBe('');
  });

  it('prints {formatVersion, ok, errors, warnings} as JSON on stdout with --format json', async () => {
    const valid = await fleetgen(['validate', 'fixtures/example/fleet.yaml', '--format', 'json']);
    expect(valid.status, valid.stderr).toBe(0);
    const report = JSON.parse(valid.stdout) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(['formatVersion', 'ok', 'errors', 'warnings']);
    expect(report.formatVersion).toBe(1);
    expect(report.ok).toBe(true);
    expect(report.errors).toEqual([]);
    expect(Array.isArray(report.warnings)).toBe(true);

    const dir = tempDir();
    writeFileSync(join(dir, 'fleet.yaml'), MISSPELT_KEY);
    const invalid = await fleetgen(['validate', 'fleet.yaml', '--format', 'json'], { cwd: dir });
    expect(invalid.status, invalid.stderr).toBe(2);
    const failed = JSON.parse(invalid.stdout) as { ok: boolean; errors: Record<string, unknown>[] };
    expect(failed.ok).toBe(false);
    expect(failed.errors[0]).toMatchObject({
      severity: 'error',
      code: 'schema.unknown-key',
      file: 'fleet.yaml',
      line: 7,
      column: 7,
      path: 'hosts[0].tunnel.credentials_file',
    });
    expect(failed.errors[0]?.message).toEqual(expect.any(String));
  });

  it('never writes the lock file', async () => {
    const dir = copyExample({ withLock: false });
    const result = await fleetgen(['validate', join(dir, 'fleet.yaml')]);
    expect(result.status, result.stderr).toBe(0);
    expect(existsSync(join(dir, 'fleet.lock.yaml'))).toBe(false);
  });

  it('exits 1 with --frozen-lockfile when the lock file is missing, naming the hosts that need names', async () => {
    const dir = copyExample({ withLock: false });
    const result = await fleetgen(['validate', 'fleet.yaml', '--frozen-lockfile'], { cwd: dir });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/^fleet\.lock\.yaml:1:1: error: does not exist/m);
    expect(result.stderr).toMatch(/^fleetgen: fleet\.lock\.yaml does not exist \(generated hostnames to record or change: .*store-0002.*\)/m);
    expect(result.stderr).toContain('run "fleetgen hosts fleet.yaml" (or "fleetgen build") without --frozen-lockfile, then commit fleet.lock.yaml');
    expect(existsSync(join(dir, 'fleet.lock.yaml'))).toBe(false);
  });

  it('passes --frozen-lockfile when the committed lock file is up to date', async () => {
    const result = await fleetgen(['validate', 'fixtures/example/fleet.yaml', '--frozen-lockfile']);
    expect(result.stderr).not.toContain('error');
    expect(result.status, result.stderr).toBe(0);
  });

  it('reports an out-of-date lock as JSON errors located in the lock file', async () => {
    const dir = copyExample({ withLock: false });
    const result = await fleetgen(['validate', 'fleet.yaml', '--frozen-lockfile', '--format', 'json'], { cwd: dir });
    expect(result.status, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as { ok: boolean; errors: { code: string; file: string }[] };
    expect(report.ok).toBe(false);
    expect(report.errors.length).toBeGreaterThan(0);
    for (const error of report.errors) expect(error).toMatchObject({ code: expect.stringMatching(/^lockfile\./), file: 'fleet.lock.yaml' });
  });

  it('rejects an unknown --format', async () => {
    const result = await fleetgen(['validate', 'fixtures/example/fleet.yaml', '--format', 'xml']);
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toBe('fleetgen: --format must be one of "text", "json", not "xml" — run "fleetgen validate --help" for its options and examples\n');
  });
});
