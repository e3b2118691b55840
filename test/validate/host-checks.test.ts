import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/diagnostics/diagnostic.js';
import { parseManifest } from '../../src/load/manifest.js';
import { ParseCache } from '../../src/load/parse-cache.js';
import { SecretReader } from '../../src/load/secrets.js';
import { HostChecks, type CheckedHosts } from '../../src/validate/host-checks.js';
import { validateManifest } from '../../src/validate/validate.js';
import { fixtureEnv } from './run-fixture.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const GENERATOR = 'generator-1';

interface Run {
  diagnostics: string[];
  remembered: { checked: CheckedHosts; isChanged: boolean };
  notChecked: number;
}

/** Validates as `build` does: read entry by entry, with what an earlier run remembered (if anything). */
function validateWith(dir: string, text: string, earlier: CheckedHosts | undefined, options: { env?: Record<string, string>; generator?: string; whole?: boolean } = {}): Run {
  const parsed = parseManifest(text, 'fleet.yaml', options.whole === true ? {} : { cache: new ParseCache() });
  if (!parsed.ok) return { diagnostics: parsed.diagnostics.map(formatDiagnostic), remembered: { checked: { generator: '', frame: '', hosts: new Map() }, isChanged: false }, notChecked: 0 };
  const checks = new HostChecks(parsed.manifest.texts, options.generator ?? GENERATOR, earlier);
  const validation = validateManifest(parsed.manifest.value, parsed.manifest.source, new SecretReader(dir, options.env ?? {}), checks);
  return { diagnostics: validation.diagnostics.map(formatDiagnostic), remembered: checks.toRemember(), notChecked: checks.hostsNotChecked };
}

/** What `validate` reports: no parse cache, nothing remembered. */
function plain(dir: string, text: string, env: Record<string, string> = {}): string[] {
  const parsed = parseManifest(text, 'fleet.yaml');
  if (!parsed.ok) return parsed.diagnostics.map(formatDiagnostic);
  return validateManifest(parsed.manifest.value, parsed.manifest.source, new SecretReader(dir, env)).diagnostics.map(formatDiagnostic);
}

const ID = (n: number): string => `${String(n).repeat(8)}-${String(n).repeat(4)}-4${String(n).repeat(3)}-8${String(n).repeat(3)}-${String(n).repeat(12)}`;
const credentials = (n: number): string => JSON.stringify({ AccountTag: 'fake', TunnelSecret: Buffer.alloc(32, n).toString('base64'), TunnelID: ID(n) });

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-host-checks-'));
  made.push(dir);
  return dir;
}

/** Three clean hosts: named tunnels, host 2's credentials from a file, the others' from the environment. */
function fleet(dir: string, options: { defaults?: string; host2?: string } = {}): { text: string; env: Record<string, string> } {
  writeFileSync(join(dir, 'creds-2.json'), credentials(2));
  const text = `version: 1
fleet: acme
zone: example.com
defaults:
  cloudflared: { version: "2025.8.1" }
  ingress: [{ service: "ssh://localhost:22" }]
${options.defaults ?? ''}hosts:
  - name: store-1
    tunnel: { id: ${ID(1)}, credentials: { env: CREDS_1 } }
  - name: store-2
    tunnel: { id: ${ID(2)}, credentials: { file: creds-2.json } }
${options.host2 ?? ''}  - name: store-3
    tunnel: { id: ${ID(3)}, credentials: { env: CREDS_3 } }
`;
  return { text, env: { CREDS_1: credentials(1), CREDS_3: credentials(3) } };
}

describe('host checks remembered by a build', () => {
  it('find what a run without them finds, for every fixture, on a first run and on the run after it', () => {
    let skipped = 0;
    for (const kind of ['invalid', 'valid']) {
      for (const name of readdirSync(join(FIXTURES, kind))) {
        const dir = join(FIXTURES, kind, name);
        if (!existsSync(join(dir, 'fleet.yaml'))) continue;
        const text = readFileSync(join(dir, 'fleet.yaml'), 'utf8');
        const env = fixtureEnv(dir);
        const expected = plain(dir, text, env);
        const first = validateWith(dir, text, undefined, { env });
        expect(first.diagnostics, `${kind}/${name}, first run`).toEqual(expected);
        const second = validateWith(dir, text, first.remembered.checked, { env });
        expect(second.diagnostics, `${kind}/${name}, second run`).toEqual(expected);
        skipped += second.notChecked;
      }
    }
    // Not vacuous: the fixtures' clean hosts were not checked again.
    expect(skipped).toBeGreaterThan(10);
  });

  it('does not check again a host whose entry, frame and secrets are as when it was found clean', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const first = validateWith(dir, text, undefined, { env });
    expect(first.diagnostics).toEqual([]);
    expect(first.notChecked).toBe(0);
    expect(first.remembered.checked.hosts.size).toBe(3);
    expect(first.remembered.isChanged).toBe(true);
    const second = validateWith(dir, text, first.remembered.checked, { env });
    expect(second.notChecked).toBe(3);
    expect(second.remembered.isChanged).toBe(false); // nothing new: the build does not write it again
  });

  it('checks a host again when a secret file it read changed', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const first = validateWith(dir, text, undefined, { env });
    writeFileSync(join(dir, 'creds-2.json'), credentials(4)); // another tunnel's credentials: the id no longer matches
    const second = validateWith(dir, text, first.remembered.checked, { env });
    expect(second.diagnostics).toEqual(plain(dir, text, env));
    expect(second.diagnostics.join('\n')).toContain('hosts[1].tunnel');
    expect(second.notChecked).toBe(2);
  });

  it('checks a host again when an environment variable it read changed, or is gone', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const first = validateWith(dir, text, undefined, { env });
    const variants: Record<string, string>[] = [{ ...env, CREDS_3: '{"AccountTag": "fake"}' }, { CREDS_1: env.CREDS_1 ?? '' }];
    for (const changed of variants) {
      const second = validateWith(dir, text, first.remembered.checked, { env: changed });
      expect(second.diagnostics).toEqual(plain(dir, text, changed));
      expect(second.diagnostics.join('\n')).toContain('hosts[2].tunnel.credentials');
      expect(second.notChecked).toBe(2);
    }
  });

  it("checks a host again when its entry changed, and the others' positions do not matter", () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const first = validateWith(dir, text, undefined, { env });
    // Host 2 gains a line (so host 3 moves down) and an ingress rule that cloudflared refuses.
    const edited = fleet(dir, { host2: '    ingress: [{ service: "localhost:22" }]\n' });
    const second = validateWith(dir, edited.text, first.remembered.checked, { env });
    expect(second.diagnostics).toEqual(plain(dir, edited.text, env));
    expect(second.diagnostics.join('\n')).toContain('hosts[1].ingress[0].service');
    expect(second.notChecked).toBe(2);
  });

  it('checks every host again when the frame changed, or fleetgen did', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const first = validateWith(dir, text, undefined, { env });
    const edited = fleet(dir, { defaults: '  tunnel: { options: { region: us } }\n' });
    const framed = validateWith(dir, edited.text, first.remembered.checked, { env });
    expect(framed.diagnostics).toEqual(plain(dir, edited.text, env));
    expect(framed.notChecked).toBe(0);
    expect(framed.remembered.isChanged).toBe(true);
    const upgraded = validateWith(dir, text, first.remembered.checked, { env, generator: 'generator-2' });
    expect(upgraded.notChecked).toBe(0);
  });

  it('does not remember a host its host rules found something about: it is checked, and reported, every time', () => {
    const dir = tempDir();
    // sshd listens on 22 (ssh.port is not set), the ingress goes to 2222: a warning about host 2.
    const { text, env } = fleet(dir, { host2: '    ingress: [{ service: "ssh://localhost:2222" }]\n' });
    const first = validateWith(dir, text, undefined, { env });
    expect(first.diagnostics.join('\n')).toContain('goes to port 2222');
    expect(first.remembered.checked.hosts.size).toBe(2);
    const second = validateWith(dir, text, first.remembered.checked, { env });
    expect(second.diagnostics).toEqual(first.diagnostics);
    expect(second.notChecked).toBe(2);
  });

  it('trusts what it remembers: a host remembered clean is not checked (which is why the keys must cover every input)', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir, { host2: '    ingress: [{ service: "localhost:22" }]\n' });
    const first = validateWith(dir, text, undefined, { env });
    expect(first.diagnostics.join('\n')).toContain('has no scheme');
    // Forged: host 2's entry remembered as clean, having read what it reads (its credentials file) as it is now.
    const forged = validateWith(dir, fleet(dir).text, undefined, { env }).remembered.checked;
    const host2 = [...forged.hosts.values()].find((host) => host.refs.includes('file:creds-2.json'));
    const parsed = parseManifest(text, 'fleet.yaml', { cache: new ParseCache() });
    const key = parsed.ok ? parsed.manifest.texts?.entries[1] : undefined;
    if (host2 === undefined || key === undefined || !parsed.ok || parsed.manifest.texts === undefined) throw new Error('test setup');
    const trusted = validateWith(dir, text, { generator: GENERATOR, frame: parsed.manifest.texts.frame, hosts: new Map([[key, host2]]) }, { env });
    expect(trusted.notChecked).toBe(1);
    expect(trusted.diagnostics.join('\n')).not.toContain('has no scheme');
  });

  it('remembers nothing for a manifest read whole (no digests of its parts)', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const first = validateWith(dir, text, undefined, { env });
    const whole = validateWith(dir, text, first.remembered.checked, { env, whole: true });
    expect(whole.notChecked).toBe(0);
    expect(whole.remembered.checked.hosts.size).toBe(0);
  });

  it('checks a host whose remembered secret file moved with the manifest by what the file holds there', () => {
    const dir = tempDir();
    const { text, env } = fleet(dir);
    const first = validateWith(dir, text, undefined, { env });
    const moved = tempDir();
    cpSync(join(dir, 'creds-2.json'), join(moved, 'creds-2.json'));
    expect(validateWith(moved, text, first.remembered.checked, { env }).notChecked).toBe(3);
    rmSync(join(moved, 'creds-2.json'));
    const missing = validateWith(moved, text, first.remembered.checked, { env });
    expect(missing.notChecked).toBe(2);
    expect(missing.diagnostics).toEqual(plain(moved, text, env));
  });
});
