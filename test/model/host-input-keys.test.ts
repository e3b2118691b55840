/**
 * LazyHosts.inputKey for a manifest read entry by entry (pipeline.ts, hostInputKeys): a host's key must change whenever
 * something its model is made from changed (else a rebuild keeps a stale model), and only then (else a rebuild makes
 * models it need not). What decides a model besides the secrets it reads: the frame, its entry, its generated hostnames,
 * its Terraform outputs, the folder its secret files are found in, and fleetgen itself.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ParseCache } from '../../src/load/parse-cache.js';
import { compileFleet } from '../../src/pipeline.js';

const EXAMPLE = fileURLToPath(new URL('../../fixtures/example/', import.meta.url));

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The bundled example, copied: secret files, Terraform outputs, a lock file with generated hostnames. */
function exampleCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-input-keys-'));
  made.push(dir);
  cpSync(EXAMPLE, dir, { recursive: true });
  return dir;
}

/** Each host's input key, by name, as `build` compiles the manifest (entry by entry). */
function inputKeys(dir: string): Map<string, string | undefined> {
  const { hosts } = compileFleet(join(dir, 'fleet.yaml'), { parsed: new ParseCache() }).lazyFleet;
  return new Map(hosts.names.map((name, index) => [name, hosts.inputKey(index)]));
}

/** The hosts whose key differs between the two. */
function changedHosts(before: Map<string, string | undefined>, after: Map<string, string | undefined>): string[] {
  expect([...after.keys()]).toEqual([...before.keys()]);
  return [...before.keys()].filter((name) => before.get(name) !== after.get(name));
}

function edit(path: string, from: string | RegExp, to: string): void {
  const text = readFileSync(path, 'utf8');
  const edited = text.replace(from, to);
  if (edited === text) throw new Error(`${path} does not hold ${String(from)}`);
  writeFileSync(path, edited);
}

const EVERY_HOST = ['kiosk-17', 'kiosk-18', 'lab-build-1', 'lab-pi-3', 'store-0001', 'store-0002', 'store-0003'];

describe("a host's input key", () => {
  it('is known for every host, and the same when nothing changed', () => {
    const dir = exampleCopy();
    const keys = inputKeys(dir);
    expect([...keys.keys()]).toEqual(EVERY_HOST);
    for (const key of keys.values()) expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(new Set(keys.values()).size).toBe(EVERY_HOST.length);
    expect(changedHosts(keys, inputKeys(dir))).toEqual([]);
  });

  const changes: { what: string; change: (dir: string) => void; hosts: string[] }[] = [
    {
      what: "the host's entry",
      change: (dir) => edit(join(dir, 'fleet.yaml'), 'service: http://localhost:8080\n        originRequest: { connectTimeout: 10s }\n\n  - name: store-0002', 'service: http://localhost:8081\n        originRequest: { connectTimeout: 10s }\n\n  - name: store-0002'),
      hosts: ['store-0001'],
    },
    {
      what: 'the frame (a default every host inherits)',
      change: (dir) => edit(join(dir, 'fleet.yaml'), '      loglevel: info', '      loglevel: debug'),
      hosts: EVERY_HOST,
    },
    {
      what: 'a generated hostname in the lock file',
      change: (dir) => edit(join(dir, 'fleet.lock.yaml'), 'rubbed-case.example.com', 'rubbed-cast.example.com'),
      hosts: ['lab-build-1'],
    },
    {
      what: "Terraform's saved outputs the host reads (the SSH CA it made)",
      change: (dir) => edit(join(dir, 'secrets/terraform/group-lab.json'), /"ssh_ca_public_key": "ecdsa-sha2-nistp256 [A-Za-z0-9+/=]+/, '"ssh_ca_public_key": "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBC8wt7JpXxw6jHjv5Nk/eJEaHg+dSCGSTvwCZX2Y22i0zCw8jIt8WqPlMBT3gygzUYVdsuYRLdZnbP9rSPySQ54='),
      hosts: ['lab-build-1'],
    },
  ];
  for (const { what, change, hosts } of changes) {
    it(`changes when ${what} changed, for exactly the hosts made from it`, () => {
      const dir = exampleCopy();
      const before = inputKeys(dir);
      change(dir);
      expect(changedHosts(before, inputKeys(dir))).toEqual(hosts);
    });
  }

  it('changes for every host when the manifest is in another folder (its secret files are found there)', () => {
    const dir = exampleCopy();
    expect(changedHosts(inputKeys(dir), inputKeys(exampleCopy()))).toEqual(EVERY_HOST);
  });
});
