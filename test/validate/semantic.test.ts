import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/diagnostics/diagnostic.js';
import { parseManifest } from '../../src/load/manifest.js';
import { SecretReader } from '../../src/load/secrets.js';
import { parsePem } from '../../src/validate/origin-cert.js';
import { validateSchema } from '../../src/validate/schema.js';
import { checkFleet } from '../../src/validate/semantic.js';
import { fixtureEnv, formatFixture } from './run-fixture.js';

const ID = (n: number): string => `${String(n).repeat(8)}-${String(n).repeat(4)}-4${String(n).repeat(3)}-8${String(n).repeat(3)}-${String(n).repeat(12)}`;
const credentials = (n: number): string => JSON.stringify({ AccountTag: 'fake', TunnelSecret: Buffer.alloc(32, n).toString('base64'), TunnelID: ID(n) });

function check(yaml: string, env: Record<string, string> = {}): string[] {
  const parsed = parseManifest(yaml, 'fleet.yaml');
  if (!parsed.ok) throw new Error(parsed.diagnostics.map(formatDiagnostic).join('\n'));
  const schema = validateSchema(parsed.manifest.value, parsed.manifest.source);
  if (!schema.ok) throw new Error(schema.diagnostics.map(formatDiagnostic).join('\n'));
  return checkFleet(schema.manifest, parsed.manifest.source, new SecretReader('/nonexistent', env)).map((d) => `${d.code} ${d.path}`);
}

const hosts = (count: number): string =>
  Array.from({ length: count }, (_, i) => `  - name: store-${i + 1}\n    tunnel: { id: ${ID(i + 1)}, credentials: { env: CREDS_${i + 1} } }\n`).join('');
const envFor = (count: number): Record<string, string> => Object.fromEntries(Array.from({ length: count }, (_, i) => [`CREDS_${i + 1}`, credentials(i + 1)]));

describe('checkFleet', () => {
  it('reports a mistake in an inherited ingress once, where it is written, however many hosts inherit it', () => {
    const yaml = `version: 1\nfleet: acme\nzone: example.com\ndefaults:\n  cloudflared: { version: "2025.8.1" }\n  ingress:\n    - service: localhost:22\nhosts:\n${hosts(3)}`;
    expect(check(yaml, envFor(3))).toEqual(['ingress.service-no-scheme defaults.ingress[0].service', 'ssh.no-ingress-rule defaults.ingress']);
  });

  it('reports an unpinned package install once for a fleet without any cloudflared settings', () => {
    const yaml = `version: 1\nfleet: acme\nzone: example.com\nhosts:\n${hosts(3).replace(/\n {2}- name/g, '\n    ingress: [{ service: "ssh://localhost:22" }]\n  - name')}    ingress: [{ service: "ssh://localhost:22" }]\n`;
    expect(check(yaml, envFor(3))).toEqual(['cloudflared.unpinned ']);
  });

  it('does not blame a host for a setting it inherits from a broader layer than its mode', () => {
    const yaml = `version: 1
fleet: acme
zone: example.com
defaults:
  cloudflared: { version: "2025.8.1" }
  ingress: [{ service: "ssh://localhost:22" }]
  tunnel: { id: ${ID(1)}, credentials: { env: CREDS_1 } }
hosts:
  - name: store-1
  - name: kiosk-1
    tunnel: { mode: token, token: { env: TOKEN } }
`;
    const token = Buffer.from(JSON.stringify({ a: 'fake', t: ID(2), s: Buffer.alloc(32).toString('base64') })).toString('base64');
    expect(check(yaml, { ...envFor(1), TOKEN: token })).toEqual([]);
  });
});

describe('secrets in diagnostics', () => {
  const invalid = fileURLToPath(new URL('../../fixtures/invalid/', import.meta.url));
  const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

  /** Long tokens of every secret a fixture holds: env values, file contents, decoded PEM fields. Tunnel IDs are not secret. */
  function secretsOf(dir: string): string[] {
    const texts = Object.values(fixtureEnv(dir));
    const secretsDir = join(dir, 'secrets');
    const files = statSafe(secretsDir) ? readdirSync(secretsDir).map((f) => join(secretsDir, f)).filter((f) => statSync(f).isFile()) : [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      texts.push(text);
      const pem = parsePem(text);
      if (pem.ok) texts.push(...pem.blocks.map((b) => b.bytes.toString('utf8')));
    }
    return texts.flatMap((t) => t.match(/[A-Za-z0-9+/=_-]{16,}/g) ?? []).filter((t) => !UUID.test(t) && !/^fake0/.test(t));
  }

  function statSafe(path: string): boolean {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  }

  it('finds the secrets to look for (the check below is not vacuous)', () => {
    const dir = join(invalid, 'tunnel-credentials-mismatch');
    const file = JSON.parse(readFileSync(join(dir, 'secrets', `${ID(1)}.json`), 'utf8')) as { TunnelSecret: string };
    expect(secretsOf(dir)).toContain(file.TunnelSecret);
    expect(secretsOf(join(invalid, 'tunnel-self-register')).some((s) => s.startsWith('FAKE-'))).toBe(true);
  });

  for (const name of readdirSync(invalid).sort()) {
    it(`${name}: no diagnostic shows a secret`, () => {
      const dir = join(invalid, name);
      const output = formatFixture(dir).join('\n');
      for (const secret of secretsOf(dir)) expect(output).not.toContain(secret);
    });
  }
});
