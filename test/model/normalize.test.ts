import { describe, expect, it } from 'vitest';
import { SecretReader } from '../../src/load/secrets.js';
import { normalize } from '../../src/model/normalize.js';
import type { Manifest } from '../../src/validate/schema.js';

const ID = (n: number): string => `${String(n).repeat(8)}-${String(n).repeat(4)}-4${String(n).repeat(3)}-8${String(n).repeat(3)}-${String(n).repeat(12)}`;
const credentials = (n: number): string => JSON.stringify({ AccountTag: 'fake', TunnelSecret: Buffer.alloc(32, n).toString('base64'), TunnelID: ID(n) });

describe('normalize', () => {
  it("lists each group's hosts by name, in name order, and an empty list for a group without hosts", () => {
    const names = ['store-3', 'kiosk-1', 'store-1', 'lab-1', 'store-2', 'kiosk-2'];
    const groupOf = (name: string): string | undefined => (name.startsWith('store') ? 'stores' : name.startsWith('kiosk') ? 'kiosks' : undefined);
    const manifest: Manifest = {
      version: 1,
      fleet: 'acme',
      zone: 'example.com',
      defaults: { cloudflared: { version: '2025.8.1' }, ingress: [{ service: 'ssh://localhost:22' }] },
      groups: { stores: {}, kiosks: { description: 'kiosks' }, empty: {} },
      hosts: names.map((name, i) => {
        const group = groupOf(name);
        return { name, ...(group !== undefined ? { group } : {}), tunnel: { id: ID(i + 1), credentials: { env: `CREDS_${i + 1}` } } };
      }) as Manifest['hosts'],
    };
    const env = Object.fromEntries(names.map((_, i) => [`CREDS_${i + 1}`, credentials(i + 1)]));
    const { fleet } = normalize(manifest, new SecretReader('/nonexistent', env), undefined);
    expect(fleet.groups).toEqual([
      { name: 'empty', hosts: [] },
      { name: 'kiosks', description: 'kiosks', hosts: ['kiosk-1', 'kiosk-2'] },
      { name: 'stores', hosts: ['store-1', 'store-2', 'store-3'] },
    ]);
  });
});
