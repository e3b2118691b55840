import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  it("checks Terraform's saved outputs once they exist: a host missing from its module's file is located in the manifest, with what to run", async () => {
    const dir = copyExample({ withLock: true });
    const stores = join(dir, 'secrets', 'terraform', 'group-stores.json');
    const saved = readFileSync(stores, 'utf8');
    rmSync(stores);
    const missing = await fleetgen(['validate', 'fleet.yaml'], { cwd: dir });
    expect(missing.status, missing.stderr).toBe(2);
    expect(missing.stderr).toMatch(
      /^fleet\.yaml:\d+:\d+: error: hosts\[2\]: Terraform creates this tunnel, and secrets\/terraform\/group-stores\.json, the outputs of its module group-stores, is not saved yet — run `terraform -chdir=out\/terraform\/group-stores apply`, then `terraform -chdir=out\/terraform\/group-stores output -json > secrets\/terraform\/group-stores\.json`$/m,
    );
    expect(missing.stderr).not.toMatch(STACK_FRAME);

    // The same file saved as one output's value (`terraform output -json hosts`): the shape is wrong, no value is quoted.
    const value = (JSON.parse(saved) as { hosts: { value: Record<string, Record<string, string>> } }).hosts.value;
    writeFileSync(stores, JSON.stringify(value, null, 2));
    const shape = await fleetgen(['validate', 'fleet.yaml', '--format', 'json'], { cwd: dir });
    expect(shape.status, shape.stderr).toBe(2);
    const report = JSON.parse(shape.stdout) as { errors: { file: string; code: string }[] };
    // One error per member that is not an output: here each host of the group.
    expect(report.errors.map((e) => [e.file, e.code])).toEqual(Object.keys(value).map(() => ['secrets/terraform/group-stores.json', 'terraform-outputs.invalid']));
    expect(Object.keys(value).length).toBeGreaterThan(0);
    for (const secret of Object.values(value).flatMap((fields) => Object.values(fields))) expect(shape.stdout).not.toContain(secret);
  });

  it('validates a Terraform-managed fleet before its first apply, when no outputs are saved yet', async () => {
    const dir = copyExample({ withLock: true });
    rmSync(join(dir, 'secrets', 'terraform'), { recursive: true });
    const result = await fleetgen(['validate', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/fleet\.yaml: valid/);
  });

  it('rejects an unknown --format', async () => {
    const result = await fleetgen(['validate', 'fixtures/example/fleet.yaml', '--format', 'xml']);
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toBe('fleetgen: --format must be one of "text", "json", not "xml" — run "fleetgen validate --help" for its options and examples\n');
  });
});
