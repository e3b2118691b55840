import { describe, expect, it } from 'vitest';
import { effectiveSettings, mergeObjects } from '../../src/model/merge.js';
import type { Manifest } from '../../src/validate/schema.js';

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
