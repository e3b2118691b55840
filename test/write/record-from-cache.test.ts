/**
 * A rebuild takes the record's files (out/.fleetgen-state.json) from the build cache, without reading the record, when
 * the cache says the last build left it listing exactly the cached files and it is still that very file (identity and
 * ctime): these tests state that it then does exactly what reading it would do, and that any other record is read.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Fleet } from '../../src/model/fleet.js';
import { TARGET_NAMES, type TargetOptions } from '../../src/targets/target.js';
import { CACHE_DIR, readCache, recordLeftBy, type BuildCache, type CachedFile } from '../../src/write/cache.js';
import { buildIntoOut, isCachedFileList, type StreamedBuildOptions } from '../../src/write/incremental.js';
import { STATE_FILE, type RecordedFile } from '../../src/write/state.js';
import { sampleFleet, sampleFleetWithRemoteIngress, withPort } from '../support/sample-fleet.js';
import { ageFiles, changedPaths, outputOf, snapshotDisk } from './disk.js';

/** How many times a build read a record (readState), wherever it was called from. */
const reads = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/write/state.js', async (importOriginal) => {
  const state = await importOriginal<typeof import('../../src/write/state.js')>();
  return {
    ...state,
    readState: (outDir: string) => {
      reads.count++;
      return state.readState(outDir);
    },
  };
});

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
beforeEach(() => void (reads.count = 0));

function tempOut(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-record-from-cache-'));
  made.push(dir);
  return join(dir, 'out');
}

const everything: StreamedBuildOptions = { targets: TARGET_NAMES, options: {} as TargetOptions };
const ansibleOnly: StreamedBuildOptions = { targets: ['ansible'], scope: ['ansible'], options: {} };

/** The fleet without one host (and a group left empty by it). */
function without(fleet: Fleet, name: string): Fleet {
  fleet.hosts = fleet.hosts.filter((h) => h.name !== name);
  for (const group of fleet.groups) group.hosts = group.hosts.filter((host) => host !== name);
  fleet.groups = fleet.groups.filter((group) => group.hosts.length > 0);
  return fleet;
}

/**
 * Moves the file's ctime and nothing else (chmod to its own mode), as any touch of it does: a build then reads it. Done
 * again until the clock shows it, since a ctime moves in ticks of a few milliseconds.
 */
function moveCtime(path: string): void {
  const { ctimeMs, mode } = statSync(path);
  do chmodSync(path, mode & 0o7777);
  while (statSync(path).ctimeMs === ctimeMs);
}

type Outcome = { result: ReturnType<typeof buildIntoOut> } | { error: string };

function attempt(out: string, fleet: Fleet, build: StreamedBuildOptions): { outcome: Outcome; reads: number; changed: string[] } {
  const before = snapshotDisk(out);
  reads.count = 0;
  let outcome: Outcome;
  try {
    outcome = { result: buildIntoOut(out, fleet, build) };
  } catch (err) {
    outcome = { error: String(err).replaceAll(out, 'out') };
  }
  return { outcome, reads: reads.count, changed: changedPaths(before, snapshotDisk(out)).filter((path) => !path.startsWith(CACHE_DIR)) };
}

interface Step {
  what: string;
  fleet: Fleet;
  build?: StreamedBuildOptions;
  /** Whether the build that may take the record from the cache reads it (the other always does). */
  isRead?: boolean;
  /** Done to both out/ folders before the build. */
  before?: (out: string) => void;
}

describe('a rebuild takes the record from the cache when the last build left it', () => {
  it('does exactly what reading it does: the same result, the same files written and removed in the same order, the same record and output', () => {
    const steps: Step[] = [
      { what: 'a first build', fleet: sampleFleet() },
      { what: 'nothing changed (the record is not rewritten)', fleet: sampleFleet() },
      { what: "a host's port", fleet: withPort(sampleFleet(), 'store-0001', 9090) },
      // Removed in the record's order (sorted), which is not the cache's (host by host, target by target).
      { what: 'a host removed', fleet: without(sampleFleet(), 'lab-pi-3') },
      { what: 'the host back', fleet: sampleFleet() },
      // Secrets encrypted: files no longer kept out of git, a record with other flags.
      { what: 'other flags', fleet: sampleFleet(), build: { ...everything, options: { vaultPassword: 'vault password' } } },
      { what: 'the flags back', fleet: sampleFleet() },
      { what: 'one target (--target ansible), a port', fleet: withPort(sampleFleet(), 'store-0001', 9091), build: ansibleOnly },
      { what: 'every target after one (the cache kept the others as read)', fleet: withPort(sampleFleet(), 'store-0001', 9091) },
      // The record keeps kiosk-17's files of the other targets, which the cache no longer holds: it is not the cached
      // file list, and the next build reads it.
      { what: 'one target, a host removed', fleet: without(sampleFleet(), 'kiosk-17'), build: ansibleOnly },
      { what: 'every target, the host still removed (its other files removed)', fleet: without(sampleFleet(), 'kiosk-17'), isRead: true },
      { what: 'the host back', fleet: sampleFleet() },
      {
        what: 'refused: a link in the way',
        fleet: sampleFleetWithRemoteIngress(),
        before: (out) => {
          const elsewhere = `${out}-elsewhere`;
          mkdirSync(elsewhere, { recursive: true });
          symlinkSync(elsewhere, join(out, 'ansible/inventory/host_vars/kiosk-18'));
        },
      },
      { what: 'after the refusal (out/ and its cache as they were)', fleet: sampleFleetWithRemoteIngress(), before: (out) => rmSync(join(out, 'ansible/inventory/host_vars/kiosk-18')) },
      {
        what: 'failed half-way through putting files in place (as a kill: no cache left)',
        fleet: withPort(sampleFleet(), 'store-0001', 9092),
        build: {
          ...everything,
          onWrite: () => {
            throw new Error('killed');
          },
        },
      },
      { what: 'after the failure (no cache)', fleet: withPort(sampleFleet(), 'store-0001', 9092), isRead: true },
      { what: 'after that', fleet: sampleFleet() },
    ];
    // `taken` as builds leave it; `read` the same but for its record's ctime, moved before each build: always read.
    const taken = tempOut();
    const read = tempOut();
    for (const [index, { what, fleet, build = everything, isRead = false, before }] of steps.entries()) {
      before?.(taken);
      before?.(read);
      if (index > 0) moveCtime(join(read, STATE_FILE));
      const fromCache = attempt(taken, structuredClone(fleet), build);
      const fromRecord = attempt(read, structuredClone(fleet), build);
      expect({ what, reads: fromCache.reads }).toEqual({ what, reads: index > 0 && isRead ? 1 : 0 });
      expect({ what, reads: fromRecord.reads }).toEqual({ what, reads: index > 0 ? 1 : 0 });
      expect({ what, outcome: fromCache.outcome, changed: fromCache.changed }).toEqual({ what, outcome: fromRecord.outcome, changed: fromRecord.changed });
      expect({ what, output: outputOf(taken) }).toEqual({ what, output: outputOf(read) });
    }
  });

  it('reads a record edited by hand, even one that keeps its size, mtime and inode, and honours what it lists', () => {
    for (const how of ['in place', 'replaced'] as const) {
      const out = tempOut();
      const record = join(out, STATE_FILE);
      buildIntoOut(out, sampleFleet(), everything);
      // Whole seconds, which utimes puts back exactly; the build after it records the record as aged, and so the
      // one after that takes it from the cache.
      ageFiles(out);
      buildIntoOut(out, sampleFleet(), everything);
      reads.count = 0;
      buildIntoOut(out, sampleFleet(), everything);
      expect(reads.count).toBe(0);
      // kiosk-17's user-data no longer listed (another name of the same length): not fleetgen's to remove any more.
      const text = readFileSync(record, 'utf8');
      const edited = text.replace('"cloud-init/kiosk-17.yaml"', '"cloud-init/kiosk-71.yaml"');
      expect(edited).not.toBe(text);
      const { atime, mtime, ino } = lstatSync(record);
      if (how === 'in place') {
        writeFileSync(record, edited);
        utimesSync(record, atime, mtime);
        expect(lstatSync(record).ino).toBe(ino);
      } else {
        writeFileSync(`${record}.new`, edited);
        utimesSync(`${record}.new`, atime, mtime);
        renameSync(`${record}.new`, record);
      }
      expect(lstatSync(record).size).toBe(text.length);
      expect(lstatSync(record).mtimeMs).toBe(mtime.getTime());
      reads.count = 0;
      const result = buildIntoOut(out, without(sampleFleet(), 'kiosk-17'), everything);
      expect(reads.count).toBe(1);
      expect(lstatSync(join(out, 'cloud-init/kiosk-17.yaml')).isFile()).toBe(true);
      expect(result.files.filter((f) => f.action === 'remove').map((f) => f.path)).not.toContain('cloud-init/kiosk-17.yaml');
      expect(readFileSync(record, 'utf8')).not.toContain('kiosk-17.yaml"');
    }
  });

  it('reads the record when the cache was written by another fleetgen, by one that did not say, or is missing', () => {
    const damages: [string, (cacheFile: string) => void][] = [
      ['another fleetgen', (file) => writeFileSync(file, readFileSync(file, 'utf8').replace(/"generator":"[0-9a-f]/, '"generator":"x'))],
      ['no ctime (an older cache)', (file) => writeFileSync(file, readFileSync(file, 'utf8').replace(/,"ctimeMs":[0-9.e+]+/, ''))],
      ['no cache', (file) => rmSync(file)],
    ];
    for (const [what, damage] of damages) {
      const out = tempOut();
      buildIntoOut(out, sampleFleet(), everything);
      const cacheFile = join(out, CACHE_DIR, 'build.json');
      const before = readFileSync(cacheFile, 'utf8');
      damage(cacheFile);
      expect({ what, isDamaged: !statSync(cacheFile, { throwIfNoEntry: false }) || readFileSync(cacheFile, 'utf8') !== before }).toEqual({ what, isDamaged: true });
      reads.count = 0;
      buildIntoOut(out, withPort(sampleFleet(), 'store-0001', 9090), everything);
      expect({ what, reads: reads.count }).toEqual({ what, reads: 1 });
      // The cache it writes stands for the record again.
      reads.count = 0;
      buildIntoOut(out, sampleFleet(), everything);
      expect({ what, reads: reads.count }).toEqual({ what, reads: 0 });
    }
  });

  it('leaves the record’s ctime in the cache only when the record lists exactly the cached files', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    expect(recordLeftBy(readCache(out))?.ctimeMs).toBe(lstatSync(join(out, STATE_FILE)).ctimeMs);
    // The cache is gone and the build covers one target: the cache it leaves holds that target only, the record all.
    rmSync(join(out, CACHE_DIR), { recursive: true });
    buildIntoOut(out, withPort(sampleFleet(), 'store-0001', 9090), ansibleOnly);
    const left = recordLeftBy(readCache(out));
    expect(left?.size).toBe(lstatSync(join(out, STATE_FILE)).size);
    expect(left?.ctimeMs).toBeUndefined();
  });
});

describe('isCachedFileList', () => {
  const file = (path: string, mode = 0o644, isSecret = false, isKeptOutOfGit = false): CachedFile => ({ path, mode, isSecret, isKeptOutOfGit, size: 1, mtimeMs: 1, ino: 1 });
  const part = (...files: CachedFile[]): BuildCache['fleet'][string] => ({ fingerprint: 'f', warnings: [], files });
  const cache: BuildCache = { hosts: { a: { ansible: part(file('ansible/a')), chef: part(file('chef/a', 0o600, true)) } }, fleet: { chef: part(file('chef/cookbook')), ansible: part(file('ansible/role')) } };
  const kept = (...files: RecordedFile[]): RecordedFile[] => files;

  it('holds when the targets built are all there are, or the others’ cached files are those the record keeps', () => {
    expect(isCachedFileList(kept(), cache, TARGET_NAMES)).toBe(true);
    expect(isCachedFileList(kept(file('chef/cookbook'), file('chef/a', 0o600, true)), cache, ['ansible'])).toBe(true);
  });

  it('fails when the record keeps a file the cache does not hold, the cache one the record does not keep, or the two differ in mode or flags', () => {
    expect(isCachedFileList(kept(file('chef/cookbook')), cache, ['ansible'])).toBe(false);
    expect(isCachedFileList(kept(file('chef/cookbook'), file('chef/a', 0o600, true), file('chef/b')), cache, ['ansible'])).toBe(false);
    expect(isCachedFileList(kept(file('chef/cookbook'), file('chef/a', 0o640, true)), cache, ['ansible'])).toBe(false);
    expect(isCachedFileList(kept(file('chef/cookbook'), file('chef/a', 0o600, false)), cache, ['ansible'])).toBe(false);
    expect(isCachedFileList(kept(file('chef/cookbook'), file('chef/a', 0o600, true, true)), cache, ['ansible'])).toBe(false);
    // Built with --target ansible but without a scope: the record keeps no file of the others, the cache does.
    expect(isCachedFileList(kept(), cache, ['ansible'])).toBe(false);
  });
});
