/**
 * A rebuild makes a host's model only when it cannot tell it unchanged from what decided it (model/lazy-fleet.ts, and
 * StreamedBuild.modelDigestOf in write/incremental.ts): the frame's and the entry's texts, the generated hostnames, the
 * Terraform outputs, the folder, fleetgen itself, and what each secret the model read answers now. Whatever changed,
 * what the rebuild leaves in out/ is what a build from nothing leaves.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ParseCache } from '../../src/load/parse-cache.js';
import { SecretReader } from '../../src/load/secrets.js';
import type { LazyHosts } from '../../src/model/lazy-fleet.js';
import { compileFleet } from '../../src/pipeline.js';
import { TARGET_NAMES, type TargetOptions } from '../../src/targets/target.js';
import { answersOf } from '../../src/validate/host-checks.js';
import { readCache, writeCache } from '../../src/write/cache.js';
import { buildIntoOut } from '../../src/write/incremental.js';
import { changedPaths, outputOf, snapshotDisk } from './disk.js';

const EXAMPLE = fileURLToPath(new URL('../../fixtures/example/', import.meta.url));
const everything = { targets: TARGET_NAMES, options: {} as TargetOptions };

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-host-models-'));
  made.push(dir);
  return dir;
}

/** The bundled example, copied: secret files, Terraform outputs, a lock file with generated hostnames. */
function exampleCopy(): string {
  const dir = tempDir();
  cpSync(EXAMPLE, dir, { recursive: true });
  return dir;
}

/** A build into out/ as `fleetgen build` does it: the manifest read entry by entry, the fleet's models made lazily. */
function rebuild(dir: string, out: string, env: Record<string, string> = {}): LazyHosts {
  const result = compileFleet(join(dir, 'fleet.yaml'), { env, parsed: new ParseCache() });
  buildIntoOut(out, result.lazyFleet, everything);
  return result.lazyFleet.hosts;
}

/** The hosts whose model the build made. */
function madeModels(hosts: LazyHosts): string[] {
  return hosts.names.filter((_, index) => hosts.readsOf(index) !== undefined);
}

/** What a build from nothing, with every model made, leaves in out/. */
function fromNothing(dir: string, env: Record<string, string> = {}): ReturnType<typeof outputOf> {
  const out = join(tempDir(), 'out');
  buildIntoOut(out, compileFleet(join(dir, 'fleet.yaml'), { env }).fleet, everything);
  return outputOf(out);
}

function edit(path: string, from: string | RegExp, to: string): void {
  const text = readFileSync(path, 'utf8');
  const edited = text.replace(from, to);
  if (edited === text) throw new Error(`${path} does not hold ${String(from)}`);
  writeFileSync(path, edited);
}

describe('host models in a rebuild', () => {
  it('are made for every host by a first build, for none when nothing changed, and for the one whose entry changed', () => {
    const dir = exampleCopy();
    const out = join(tempDir(), 'out');
    const first = rebuild(dir, out);
    expect(madeModels(first)).toEqual(first.names);
    expect(first.names.length).toBe(7);

    const before = snapshotDisk(out);
    expect(madeModels(rebuild(dir, out))).toEqual([]);
    expect(changedPaths(before, snapshotDisk(out))).toEqual([]);

    edit(join(dir, 'fleet.yaml'), 'service: http://localhost:8080\n        originRequest: { connectTimeout: 10s }\n\n  - name: store-0002', 'service: http://localhost:8081\n        originRequest: { connectTimeout: 10s }\n\n  - name: store-0002');
    expect(madeModels(rebuild(dir, out))).toEqual(['store-0001']);
    expect(outputOf(out)).toEqual(fromNothing(dir));
    expect(changedPaths(before, snapshotDisk(out)).filter((path) => !path.startsWith('.fleetgen-cache/')).every((path) => path.includes('store-0001'))).toBe(true);
  });

  // Each change reaches a host's model without touching its entry: the rebuild must make that model again. (When the
  // change reaches the fleet-wide files too, making them again takes one model per Chef or Ansible profile as well:
  // FleetInputs.hostForContent; `hosts` is then what must be among the models made.)
  const outside: { what: string; change: (dir: string) => void; hosts: string[]; isFleetWide?: boolean }[] = [
    {
      what: "a secret file's content (a rotated tunnel secret)",
      change: (dir) => edit(join(dir, 'secrets/570156a2-cab0-49ca-91c4-d124f5b75ece.json'), /"TunnelSecret":\s*"[^"]*"/, `"TunnelSecret":"${Buffer.alloc(32, 7).toString('base64')}"`),
      hosts: ['store-0002'],
    },
    {
      what: 'a generated hostname in the lock file',
      change: (dir) => edit(join(dir, 'fleet.lock.yaml'), 'rubbed-case.example.com', 'rubbed-cast.example.com'),
      hosts: ['lab-build-1'],
      isFleetWide: true,
    },
    {
      what: "Terraform's saved outputs (the SSH CA it made)",
      change: (dir) => edit(join(dir, 'secrets/terraform/group-lab.json'), /"ssh_ca_public_key": "ecdsa-sha2-nistp256 [A-Za-z0-9+/=]+/, '"ssh_ca_public_key": "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBC8wt7JpXxw6jHjv5Nk/eJEaHg+dSCGSTvwCZX2Y22i0zCw8jIt8WqPlMBT3gygzUYVdsuYRLdZnbP9rSPySQ54='),
      hosts: ['lab-build-1'],
      isFleetWide: true,
    },
    {
      what: 'the frame (a default every host inherits)',
      change: (dir) => edit(join(dir, 'fleet.yaml'), '      loglevel: info', '      loglevel: debug'),
      hosts: ['kiosk-17', 'kiosk-18', 'lab-build-1', 'lab-pi-3', 'store-0001', 'store-0002', 'store-0003'],
    },
  ];
  for (const { what, change, hosts, isFleetWide = false } of outside) {
    it(`are made again when ${what} changed, and out/ is what a build from nothing leaves`, () => {
      const dir = exampleCopy();
      const out = join(tempDir(), 'out');
      rebuild(dir, out);
      const before = outputOf(out);
      change(dir);
      const madeNow = madeModels(rebuild(dir, out));
      if (isFleetWide) expect(madeNow).toEqual(expect.arrayContaining(hosts));
      else expect(madeNow).toEqual(hosts);
      const after = outputOf(out);
      expect(after).not.toEqual(before);
      expect(after).toEqual(fromNothing(dir));
    });
  }

  it('are made again when an environment variable a host reads changed', () => {
    const dir = tempDir();
    const id = (n: number): string => `${String(n).repeat(8)}-${String(n).repeat(4)}-4${String(n).repeat(3)}-8${String(n).repeat(3)}-${String(n).repeat(12)}`;
    const credentials = (n: number, fill: number): string => JSON.stringify({ AccountTag: 'fake', TunnelSecret: Buffer.alloc(32, fill).toString('base64'), TunnelID: id(n) });
    writeFileSync(
      join(dir, 'fleet.yaml'),
      `version: 1
fleet: acme
zone: example.com
defaults:
  cloudflared: { version: "2025.8.1" }
  ingress: [{ hostname: ssh.example.com, service: "ssh://localhost:22" }]
hosts:
  - name: store-1
    tunnel: { id: ${id(1)}, credentials: { env: CREDS_1 } }
  - name: store-2
    tunnel: { id: ${id(2)}, credentials: { env: CREDS_2 } }
    ingress: [{ hostname: ssh-2.example.com, service: "ssh://localhost:22" }]
`,
    );
    const out = join(tempDir(), 'out');
    rebuild(dir, out, { CREDS_1: credentials(1, 1), CREDS_2: credentials(2, 2) });
    const env = { CREDS_1: credentials(1, 1), CREDS_2: credentials(2, 9) };
    expect(madeModels(rebuild(dir, out, env))).toEqual(['store-2']);
    expect(outputOf(out)).toEqual(fromNothing(dir, env));
  });

  it('are all made when the manifest is read whole (nothing tells a model unchanged then)', () => {
    const dir = exampleCopy();
    const out = join(tempDir(), 'out');
    rebuild(dir, out);
    const whole = compileFleet(join(dir, 'fleet.yaml'), {});
    buildIntoOut(out, whole.lazyFleet, everything);
    expect(madeModels(whole.lazyFleet.hosts)).toEqual(whole.lazyFleet.hosts.names);
  });

  it('are taken as the cache knows them when their inputs and answers match it: the skip is real', () => {
    const dir = exampleCopy();
    const out = join(tempDir(), 'out');
    rebuild(dir, out);
    const before = outputOf(out);
    // The secret changes, and the cache is made to say that its answer is the one it knew: a forged record is
    // trusted, so the rebuild neither makes the model nor rewrites the host's files.
    edit(join(dir, 'secrets/570156a2-cab0-49ca-91c4-d124f5b75ece.json'), /"TunnelSecret":\s*"[^"]*"/, `"TunnelSecret":"${Buffer.alloc(32, 7).toString('base64')}"`);
    const cache = readCache(out);
    const known = cache?.models?.['store-0002'];
    if (cache?.models === undefined || known === undefined) throw new Error('the cache knows store-0002');
    cache.models['store-0002'] = { ...known, answers: answersOf(known.refs, new SecretReader(dir, {})) };
    writeCache(out, cache);
    expect(madeModels(rebuild(dir, out))).toEqual([]);
    expect(outputOf(out)).toEqual(before);
    expect(outputOf(out)).not.toEqual(fromNothing(dir));
  });
});
