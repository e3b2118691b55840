import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/load/manifest.js';
import { SecretReader } from '../../src/load/secrets.js';
import { effectiveHosts, effectiveSettings, mergeObjects } from '../../src/model/merge.js';
import { normalize } from '../../src/model/normalize.js';
import type { Manifest } from '../../src/validate/schema.js';
import { validateManifest } from '../../src/validate/validate.js';
import { fixtureEnv } from '../validate/run-fixture.js';

const manifest = (): Manifest => ({
  version: 1,
  fleet: 'acme-pos',
  zone: 'example.com',
  defaults: {
    cloudflared: { version: '2025.8.1', install: 'package' },
    tunnel: { mode: 'named', credentials: { file: 'secrets/default.json' }, options: { loglevel: 'info', protocol: 'quic' } },
    ingress: [{ service: 'ssh://localhost:22' }],
    ssh: { port: 22, principals: { ops: ['alice'] } },
    lockdown: false,
  },
  groups: {
    stores: {
      cloudflared: { install: 'binary', sha256: { arm64: 'a'.repeat(64) } },
      tunnel: { options: { loglevel: 'warn' } },
      ingress: [{ service: 'ssh://localhost:2222' }, { service: 'http://localhost:8080' }],
      lockdown: true,
    },
  },
  hosts: [
    {
      name: 'store-1',
      group: 'stores',
      tunnel: { id: '6ff42ae2-765d-4adf-8112-31c55c1551ef', credentials: { env: 'STORE1_CREDENTIALS' } },
      ssh: { principals: { root: ['bob'] } },
    },
    { name: 'plain' },
  ],
});

describe('settings merge: defaults ◀ group ◀ host', () => {
  it('merges objects key by key, the most specific layer winning', () => {
    const { settings } = effectiveSettings(manifest(), 0);
    expect(settings.cloudflared).toEqual({ version: '2025.8.1', install: 'binary', sha256: { arm64: 'a'.repeat(64) } });
    expect(settings.tunnel?.options).toEqual({ loglevel: 'warn', protocol: 'quic' });
    expect(settings.ssh).toEqual({ port: 22, principals: { ops: ['alice'], root: ['bob'] } });
    expect(settings.lockdown).toBe(true);
  });

  it('replaces lists instead of concatenating them', () => {
    expect(effectiveSettings(manifest(), 0).settings.ingress).toEqual([{ service: 'ssh://localhost:2222' }, { service: 'http://localhost:8080' }]);
    expect(effectiveSettings(manifest(), 1).settings.ingress).toEqual([{ service: 'ssh://localhost:22' }]);
  });

  it('replaces a secret reference whole: a host { env } never mixes with a default { file }', () => {
    expect(effectiveSettings(manifest(), 0).settings.tunnel?.credentials).toEqual({ env: 'STORE1_CREDENTIALS' });
  });

  it('gives a host without a group the defaults', () => {
    const { settings } = effectiveSettings(manifest(), 1);
    expect(settings.cloudflared).toEqual({ version: '2025.8.1', install: 'package' });
    expect(settings.lockdown).toBe(false);
  });

  it('tells which layer wrote a value, so diagnostics point at it', () => {
    const e = effectiveSettings(manifest(), 0);
    expect(e.originOf(['tunnel', 'credentials'])).toEqual(['hosts', 0, 'tunnel', 'credentials']);
    expect(e.originOf(['cloudflared', 'install'])).toEqual(['groups', 'stores', 'cloudflared', 'install']);
    expect(e.originOf(['cloudflared', 'version'])).toEqual(['defaults', 'cloudflared', 'version']);
    expect(e.originOf(['cloudflared', 'mirror'])).toEqual(['groups', 'stores', 'cloudflared']);
    expect(effectiveSettings(manifest(), 1).originOf(['metrics'])).toEqual(['hosts', 1]);
  });

  it('does not change its inputs', () => {
    const base = { a: { b: 1 } };
    mergeObjects(base, { a: { c: 2 } });
    expect(base).toEqual({ a: { b: 1 } });
  });
});

describe('effectiveHosts: every host\'s settings, worked out once per manifest', () => {
  it('gives what effectiveSettings gives for each host, the same list again for the same manifest', () => {
    const m = manifest();
    const hosts = effectiveHosts(m);
    expect(hosts.map((e) => e.settings)).toEqual(m.hosts.map((_, i) => effectiveSettings(m, i).settings));
    expect(hosts.map((e) => e.originOf(['tunnel', 'credentials']))).toEqual([['hosts', 0, 'tunnel', 'credentials'], ['defaults', 'tunnel', 'credentials']]);
    expect(effectiveHosts(m)).toBe(hosts);
    // Another manifest object (even an equal one) has its own.
    expect(effectiveHosts(manifest())).not.toBe(hosts);
  });

  it('is shared by validation and normalization, and neither changes it (frozen, the whole compile still runs)', () => {
    const dir = 'fixtures/valid/full';
    const secrets = new SecretReader(dir, fixtureEnv(dir));
    const compile = (freeze: boolean) => {
      const parsed = parseManifest(readFileSync(join(dir, 'fleet.yaml'), 'utf8'), join(dir, 'fleet.yaml'));
      if (!parsed.ok) throw new Error('the fixture must parse');
      // Frozen before validation: the schema's result is the parsed value itself, so the rules share the frozen list.
      if (freeze) deepFreeze([parsed.manifest.value, effectiveHosts(parsed.manifest.value as Manifest).map((e) => e.settings)]);
      const validation = validateManifest(parsed.manifest.value, parsed.manifest.source, secrets);
      if (!validation.isSchemaValid) throw new Error('the fixture must be valid');
      if (freeze) expect(effectiveHosts(validation.manifest)).toBe(effectiveHosts(parsed.manifest.value as Manifest));
      return { diagnostics: validation.diagnostics, fleet: normalize(validation.manifest, secrets, undefined).fleet };
    };
    const plain = compile(false);
    expect(plain.fleet.hosts.length).toBeGreaterThan(3);
    // A frozen object throws on any write in strict code (ES modules): a compile that changed the shared settings fails here.
    expect(compile(true)).toEqual(plain);
  });
});

function deepFreeze(value: unknown, seen = new Set<unknown>()): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  for (const child of Object.values(value)) deepFreeze(child, seen);
  Object.freeze(value);
}
