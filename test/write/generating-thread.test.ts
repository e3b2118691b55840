import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../src/package-root.js';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { TARGET_PARTS } from '../../src/build.js';
import { InternalError } from '../../src/diagnostics/diagnostic.js';
import type { Fleet, Host } from '../../src/model/fleet.js';
import { TARGET_NAMES, type TargetOptions } from '../../src/targets/target.js';
import { CACHE_DIR, readCache } from '../../src/write/cache.js';
import { plainCache } from './plain-cache.js';
import { CHUNK_HOSTS, generateHostParts, SIGNAL, type GeneratePlan } from '../../src/write/generate-worker.js';
import { GeneratingThread } from '../../src/write/generating-thread.js';
import { buildIntoOut, type StreamedBuildOptions } from '../../src/write/incremental.js';
import { sampleFleetWithRemoteIngress } from '../support/sample-fleet.js';
import { changedPaths, snapshotDisk } from './disk.js';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

function tempOut(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-generating-'));
  made.push(dir);
  return join(dir, 'out');
}

/** Repository keys as the model holds them (read from files): Buffers, which structured cloning makes Uint8Arrays. */
const ARMORED_KEY = Buffer.from('-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBAD/LAo=\n-----END PGP PUBLIC KEY BLOCK-----\n');
const BINARY_KEY = Buffer.from([0x99, 0x01, 0x0d, 0x04, 0x00, 0xff, 0x2c, 0x0a]);

/**
 * The sample fleet's hosts, each `copies` times under other names (so several chunks of hosts), those with a
 * package repository given its key inline: armored for the Raspberry Pi, binary for the others.
 */
function manyHostFleet(copies: number): Fleet {
  const fleet = sampleFleetWithRemoteIngress();
  const copiesOf = (host: Host): Host[] =>
    Array.from({ length: copies }, (_, copy) => {
      const renamed = structuredClone(host);
      renamed.name = `${host.name}-${String(copy).padStart(3, '0')}`;
      const isArmored = host.name === 'lab-pi-3';
      if (renamed.cloudflared.repository) renamed.cloudflared.repository = { url: renamed.cloudflared.repository.url, key: { file: 'keys/cloudflare.gpg', content: isArmored ? ARMORED_KEY : BINARY_KEY, isArmored } };
      return renamed;
    });
  const names = new Map(fleet.hosts.map((host) => [host.name, copiesOf(host)]));
  fleet.hosts = [...names.values()].flat().sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const group of fleet.groups) group.hosts = group.hosts.flatMap((name) => (names.get(name) ?? []).map((host) => host.name));
  return fleet;
}

const everything = { targets: TARGET_NAMES, options: {} as TargetOptions };
const withoutThread = { hostsForGeneratingThread: Infinity };
const withThread = { hostsForGeneratingThread: 1 };
const secretOptions: TargetOptions = { chefSecret: 'chef data bag secret\n', vaultPassword: 'vault password', gzip: true };

/**
 * Makes this thread's host parts slow (the generating thread runs the compiled ones, which are not): the build then
 * leaves most chunks to the thread, as it does when placing is what keeps it busy. Returns how many ran here.
 */
function slowHostPartsHere(): () => number {
  const spies = TARGET_NAMES.map((name) => {
    const original = TARGET_PARTS[name].host;
    return vi.spyOn(TARGET_PARTS[name], 'host').mockImplementation((fleet, host, options) => {
      const until = Date.now() + 2;
      while (Date.now() < until);
      return original(fleet, host, options);
    });
  });
  return () => spies.reduce((count, spy) => count + spy.mock.calls.length, 0);
}

/** Every file but the build cache, the cache without stats, the warnings and the actions of one build into a fresh out/. */
function build(fleet: Fleet, options: StreamedBuildOptions): unknown {
  const out = tempOut();
  const result = buildIntoOut(out, fleet, options);
  const disk = Object.fromEntries(
    Object.entries(snapshotDisk(out))
      .filter(([path]) => !path.startsWith(CACHE_DIR))
      .map(([path, { bytes, mode }]) => [path, { bytes, mode }]),
  );
  // Fingerprints, summaries, warnings and files of every part; not the stats, which differ from one build to the next.
  const parts = Object.values(plainCache(readCache(out))?.hosts ?? {}).flatMap((byTarget) => Object.values(byTarget));
  const cache = parts.map((part) => ({ ...part, files: part.files.map(({ path, mode, isSecret, isKeptOutOfGit }) => ({ path, mode, isSecret, isKeptOutOfGit })) }));
  return { disk, cache, warnings: result.warnings, files: result.files };
}

describe('buildIntoOut with the generating thread (large builds: hosts generated on a second thread too)', () => {
  it('writes the same files, record, cache and warnings as without it, secrets encrypted or not', () => {
    const fleet = manyHostFleet(12);
    for (const options of [{}, secretOptions]) {
      const itself = build(fleet, { ...everything, options, ...withoutThread });
      const ranHere = slowHostPartsHere();
      const threaded = build(fleet, { ...everything, options, ...withThread });
      // The thread generated hosts: fewer host parts ran here than the build places.
      expect(ranHere()).toBeLessThan(fleet.hosts.length * TARGET_NAMES.length);
      vi.restoreAllMocks();
      expect(threaded).toEqual(itself);
    }
  });

  it('writes an armored repository key as its text, not as the numbers a Uint8Array prints', () => {
    const out = tempOut();
    const fleet = manyHostFleet(12);
    slowHostPartsHere();
    buildIntoOut(out, fleet, { ...everything, ...withThread });
    const withKey = fleet.hosts.filter((host) => host.cloudflared.repository?.key?.isArmored);
    expect(withKey.length).toBeGreaterThan(0);
    for (const host of withKey) expect(readFileSync(join(out, 'cloud-init', `${host.name}.yaml`), 'utf8'), host.name).toContain('      mQENBAD/LAo=\n');
  });

  it('throws the error generating a host meets on the thread as its own thread would, and leaves out/ as it was', () => {
    const broken = manyHostFleet(12);
    const late = [...broken.hosts].reverse().find((host) => host.tunnel.mode === 'named');
    if (!late) throw new Error('the fleet has no named tunnel');
    delete late.paths.credentials;
    const outcome = (options: StreamedBuildOptions, previous: 'none' | 'built') => {
      const out = tempOut();
      if (previous === 'built') buildIntoOut(out, manyHostFleet(12), everything);
      const before = snapshotDisk(out);
      if (options === withThreadSlowHere) slowHostPartsHere();
      let thrown: unknown;
      try {
        buildIntoOut(out, broken, options);
      } catch (err) {
        thrown = err;
      }
      vi.restoreAllMocks();
      const after = snapshotDisk(out);
      return { isInternal: thrown instanceof InternalError, message: (thrown as Error).message, written: changedPaths(before, after), leftover: Object.keys(after).filter((path) => path.endsWith('.tmp')) };
    };
    const withThreadSlowHere = { ...everything, ...withThread };
    for (const previous of ['none', 'built'] as const) {
      const itself = outcome({ ...everything, ...withoutThread }, previous);
      expect(itself).toMatchObject({ isInternal: true, message: expect.stringContaining('credentials path'), written: [], leftover: [] });
      expect(outcome(withThreadSlowHere, previous)).toEqual(itself);
    }
  });
});

describe('GeneratingThread', () => {
  const fleet = manyHostFleet(12);
  const plan: GeneratePlan = { hosts: Int32Array.from(fleet.hosts.keys()), targets: Uint8Array.from(fleet.hosts, () => 0b11111) };
  const expected = fleet.hosts.map((host) => generateHostParts(fleet, host, TARGET_NAMES, {}));

  it('hands over every host of the plan in order, each target as generated here', () => {
    const ranHere = slowHostPartsHere();
    const thread = new GeneratingThread(fleet, {}, plan);
    // As the build does: a host not handed over is generated here.
    const taken = fleet.hosts.map((host, index) => {
      const parts = thread.take(index);
      return parts ? [...parts.values()] : generateHostParts(fleet, host, TARGET_NAMES, {});
    });
    thread.close();
    expect(ranHere()).toBeLessThan(fleet.hosts.length * TARGET_NAMES.length);
    vi.restoreAllMocks();
    expect(taken).toEqual(expected);
  });

  it('leaves every host to the build’s thread when its thread dies (out of memory while loading), without waiting on it', () => {
    slowHostPartsHere();
    const thread = new GeneratingThread(fleet, {}, plan, { resourceLimits: { maxOldGenerationSizeMb: 1, maxYoungGenerationSizeMb: 1 } });
    const taken = fleet.hosts.map((host, index) => {
      const parts = thread.take(index);
      return parts ? 'from the thread' : generateHostParts(fleet, host, TARGET_NAMES, {});
    });
    thread.close();
    vi.restoreAllMocks();
    expect(taken).toEqual(expected);
  });

  it('generates here the chunks a thread claimed and went silent on (killed with no exit handler run), waiting WAIT_MS once, not once a chunk', () => {
    const module = pathToFileURL(join(packageRoot(), 'test', 'support', 'silent-generate-worker.mjs')).href;
    const thread = new GeneratingThread(fleet, {}, plan, { module });
    // The silent thread claims every chunk as soon as it runs: wait for that (the build's first take() would claim
    // chunk 0 itself otherwise, and nothing would be left to wait on).
    const claimed = (thread as unknown as { signal: Int32Array }).signal;
    for (let waited = 0; Atomics.load(claimed, SIGNAL.claimed) === 0 && waited < 60_000; waited += 10) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    expect(Atomics.load(claimed, SIGNAL.claimed)).toBeGreaterThanOrEqual(Math.ceil(fleet.hosts.length / CHUNK_HOSTS));
    const wait = vi.spyOn(Atomics, 'wait');
    const taken = fleet.hosts.map((host, index) => {
      const parts = thread.take(index);
      return parts ? 'from the thread' : generateHostParts(fleet, host, TARGET_NAMES, {});
    });
    const timedOut = wait.mock.results.filter((result) => result.value === 'timed-out').length;
    thread.close();
    vi.restoreAllMocks();
    expect(taken).toEqual(expected);
    expect(Math.ceil(fleet.hosts.length / CHUNK_HOSTS)).toBeGreaterThan(1);
    expect(timedOut).toBe(1);
  });
});
