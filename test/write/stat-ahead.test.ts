import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { TARGET_NAMES, type TargetOptions } from '../../src/targets/target.js';
import { CACHE_DIR, cachedPartsInOrder, identityOfCache, readCache, readCacheText, type BuildCache, type CachedPart } from '../../src/write/cache.js';
import { buildIntoOut, type StreamedBuildResult } from '../../src/write/incremental.js';
import { OutputError } from '../../src/write/output-error.js';
import { ReportAnswers, StatAhead, type StatAheadOptions } from '../../src/write/stat-ahead.js';
import { FOUND_AS_CACHED, LookOrSkip, statCachedParts, type StatAheadReport } from '../../src/write/stat-ahead-worker.js';
import { sampleFleet } from '../support/sample-fleet.js';
import { changedPaths, outputOf, snapshotDisk } from './disk.js';
import { hostRuns } from './part-runs.js';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

function tempOut(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-stat-ahead-'));
  made.push(dir);
  return join(dir, 'out');
}

const everything = { targets: TARGET_NAMES, options: {} as TargetOptions };
const EDITED = 'chef/data_bags/acme_pos/store-0001.json';
/**
 * A thread that dies while loading (as generating-thread.test.ts's). It dies without a word (no exit handler runs):
 * the build, which never waits for the thread, goes on without its report; a test waits a second for it.
 */
const dying: StatAheadOptions = { resourceLimits: { maxOldGenerationSizeMb: 1, maxYoungGenerationSizeMb: 1 } };

/**
 * The thread, forced on however small the cache, once it has reported (or stopped, or `ms` passed): what it found
 * then does not depend on which thread was quicker.
 */
function statAheadOf(out: string, options: StatAheadOptions = {}, ms = 20_000): StatAhead {
  const statAhead = StatAhead.start(out, { cacheBytesForStatAhead: 0, ...options });
  if (statAhead === undefined) throw new Error(`no stat-ahead thread started for ${out}: it has no cache`);
  statAhead.waitForReport(ms);
  return statAhead;
}

function cachedPartCount(out: string): number {
  const cache = readCache(out);
  if (cache === undefined) throw new Error(`${out} has no cache`);
  return Object.values(cache.hosts).reduce((count, parts) => count + Object.keys(parts).length, 0) + Object.keys(cache.fleet).length;
}

/** Edits a generated file by hand, keeping its size, and moves its mtime (so that it does not stat as recorded). */
function editByHand(out: string): string {
  const path = join(out, EDITED);
  const generated = readFileSync(path, 'utf8');
  writeFileSync(path, generated.replace('store-0001', 'store-0666'));
  const past = new Date('2001-01-01T00:00:00Z');
  utimesSync(path, past, past);
  expect(statSync(path).size).toBe(Buffer.byteLength(generated));
  return generated;
}

/**
 * A build of out/ as it is, with the thread (as given) or without: what it threw (out/ shown as <out>) or changed
 * (files other than unchanged), and which entries of out/ it changed, the cache included.
 */
function outcome(out: string, statAhead: StatAhead | undefined): { thrown?: string; actions?: StreamedBuildResult['files']; written: string[] } {
  const before = snapshotDisk(out);
  try {
    const { files } = buildIntoOut(out, sampleFleet(), { ...everything, ...(statAhead ? { statAhead } : {}) });
    return { actions: files.filter((f) => f.action !== 'unchanged'), written: changedPaths(before, snapshotDisk(out)) };
  } catch (err) {
    const thrown = err instanceof OutputError ? `OutputError: ${err.path} ${err.message}` : String(err);
    return { thrown: thrown.replaceAll(out, '<out>'), written: changedPaths(before, snapshotDisk(out)) };
  } finally {
    statAhead?.close();
  }
}

/** Two out/ folders built alike, then changed alike by `change` (given out/, and a folder outside it). */
function twinOuts(change: (out: string, outside: string) => void): [string, string] {
  const outs = [tempOut(), tempOut()] as [string, string];
  for (const out of outs) {
    buildIntoOut(out, sampleFleet(), everything);
    const outside = tempOut();
    mkdirSync(outside, { recursive: true });
    change(out, outside);
  }
  return outs;
}

describe('buildIntoOut with the stat-ahead thread (cached files looked at while the manifest is validated)', () => {
  it('regenerates no host and rewrites nothing when nothing changed, looking at no part again', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    const before = snapshotDisk(out);
    const statAhead = statAheadOf(out);
    let result: StreamedBuildResult | undefined;
    const runs = hostRuns(() => (result = buildIntoOut(out, sampleFleet(), { ...everything, statAhead })));
    statAhead.close();
    expect(statAhead.partsFoundAsCached).toBe(cachedPartCount(out));
    expect(runs).toEqual({ chef: 0, ansible: 0, 'cloud-init': 0, ssh: 0, terraform: 0 });
    expect(changedPaths(before, snapshotDisk(out))).toEqual([]);
    expect(result?.files.every((f) => f.action === 'unchanged')).toBe(true);
  });

  it('finds a file edited by hand (same size, mtime moved) and restores it, trusting every other part', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    const generated = editByHand(out);
    const statAhead = statAheadOf(out);
    let result: StreamedBuildResult | undefined;
    const runs = hostRuns(() => (result = buildIntoOut(out, sampleFleet(), { ...everything, statAhead })));
    statAhead.close();
    expect(readFileSync(join(out, EDITED), 'utf8')).toBe(generated);
    expect(result?.files.filter((f) => f.action !== 'unchanged')).toEqual([{ path: EDITED, action: 'change' }]);
    // Only the edited file's part was not found as recorded: that host's chef part alone is regenerated.
    expect(runs).toEqual({ chef: 1, ansible: 0, 'cloud-init': 0, ssh: 0, terraform: 0 });
    expect(statAhead.partsFoundAsCached).toBe(cachedPartCount(out) - 1);
  });

  it('regenerates and compares a file whose mtime alone moved, writing nothing', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    const path = join(out, EDITED);
    utimesSync(path, new Date('2001-01-01T00:00:00Z'), new Date('2001-01-01T00:00:00Z'));
    const statAhead = statAheadOf(out);
    let result: StreamedBuildResult | undefined;
    const runs = hostRuns(() => (result = buildIntoOut(out, sampleFleet(), { ...everything, statAhead })));
    statAhead.close();
    expect(runs.chef).toBe(1);
    expect(result?.files.every((f) => f.action === 'unchanged')).toBe(true);
  });

  it.each([
    [
      'a cached file replaced by a link',
      (out: string, outside: string): void => {
        cpSync(join(out, EDITED), join(outside, 'store-0001.json'));
        rmSync(join(out, EDITED));
        symlinkSync(join(outside, 'store-0001.json'), join(out, EDITED));
      },
    ],
    [
      "a host's folder turned into a link to the very same files",
      (out: string, outside: string): void => {
        const folder = join(out, 'ansible/inventory/host_vars/store-0001');
        renameSync(folder, join(outside, 'store-0001'));
        symlinkSync(join(outside, 'store-0001'), folder);
      },
    ],
  ])('refuses %s exactly as without the thread, leaving out/ as it was', (_, change) => {
    const [alone, withThread] = twinOuts(change);
    const statAhead = statAheadOf(withThread);
    const threaded = outcome(withThread, statAhead);
    expect(threaded).toMatchObject({ thrown: expect.stringMatching(/^OutputError: <out>\/.* is a symbolic link/), written: [] });
    expect(threaded).toEqual(outcome(alone, undefined));
    // Every other part was found as recorded: the refusal is not owed to a thread that reported nothing.
    expect(statAhead.partsFoundAsCached).toBe(cachedPartCount(withThread) - 1);
  });

  it('does as without it when the thread dies while loading: finds the edited file, refuses a link', () => {
    const edited = twinOuts((out) => editByHand(out));
    const dead = statAheadOf(edited[1], dying, 1000);
    const threaded = outcome(edited[1], dead);
    expect(threaded).toEqual({ actions: [{ path: EDITED, action: 'change' }], written: [`${CACHE_DIR}/build.json`, EDITED] });
    expect(threaded).toEqual(outcome(edited[0], undefined));
    expect(dead.partsFoundAsCached).toBe(0);

    const linked = twinOuts((out, outside) => {
      const folder = join(out, 'ansible/inventory/host_vars/store-0001');
      renameSync(folder, join(outside, 'store-0001'));
      symlinkSync(join(outside, 'store-0001'), folder);
    });
    const refused = outcome(linked[1], statAheadOf(linked[1], dying, 1000));
    expect(refused).toMatchObject({ thrown: expect.stringMatching(/^OutputError: <out>\/.* is a symbolic link/), written: [] });
    expect(refused).toEqual(outcome(linked[0], undefined));
  });

  it('reuses no part it found in a folder removed since it looked, which the build finds missing', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    // The first host's user-data not as recorded (its mtime moved): the build looks at its folder itself, before
    // any other host's user-data, and finds it gone.
    const past = new Date('2001-01-01T00:00:00Z');
    utimesSync(join(out, 'cloud-init/kiosk-17.yaml'), past, past);
    const statAhead = statAheadOf(out);
    rmSync(join(out, 'cloud-init'), { recursive: true });
    let result: StreamedBuildResult | undefined;
    const runs = hostRuns(() => (result = buildIntoOut(out, sampleFleet(), { ...everything, statAhead })));
    statAhead.close();
    // The thread had found every other part as recorded, the other hosts' user-data among them.
    expect(statAhead.partsFoundAsCached).toBe(cachedPartCount(out) - 1);
    const produced = result?.files.filter((f) => f.action !== 'remove') ?? [];
    expect(produced.filter((f) => f.path.startsWith('cloud-init/')).length).toBeGreaterThan(2);
    expect(produced.filter((f) => !existsSync(join(out, f.path)))).toEqual([]);
    expect(runs['cloud-init']).toBe(sampleFleet().hosts.length);
  });

  it('trusts nothing it found when the cache file changed after it read it, and so finds a file edited since', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    const statAhead = statAheadOf(out);
    // After the thread looked (it found every file as recorded): the file is edited, and the cache written again,
    // the same text as another file.
    const generated = editByHand(out);
    const cacheFile = join(out, CACHE_DIR, 'build.json');
    writeFileSync(`${cacheFile}.new`, readFileSync(cacheFile));
    renameSync(`${cacheFile}.new`, cacheFile);
    const result = buildIntoOut(out, sampleFleet(), { ...everything, statAhead });
    statAhead.close();
    expect(statAhead.partsFoundAsCached).toBe(0);
    expect(readFileSync(join(out, EDITED), 'utf8')).toBe(generated);
    expect(result.files.filter((f) => f.action !== 'unchanged')).toEqual([{ path: EDITED, action: 'change' }]);
  });
});

describe("the thread's looking, when the build has caught up with it (LookOrSkip)", () => {
  /** Each part's answer from the thread's loop over out/'s cache, the build's place set by `buildAt` before each part. */
  function answersWith(out: string, looks: LookOrSkip, buildAt: (index: number) => void = () => {}): boolean[] {
    const read = readCacheText(out);
    if (read === undefined) throw new Error('no cache text');
    const found: boolean[] = [];
    statCachedParts(out, read.text, undefined, looks, (index, _tag, isFound) => {
      found[index] = isFound;
      buildAt(index + 1);
    });
    return found;
  }

  it('looks at every part while the build is behind it', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    const found = answersWith(out, new LookOrSkip(new Int32Array(1), 2));
    expect(found).toHaveLength(cachedPartCount(out));
    expect(found.every(Boolean)).toBe(true);
  });

  it('skips what the build reached and the next parts, then looks again; a skipped part is left to the build ("not found")', () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    const reached = new Int32Array(1);
    // The build asked about part 1 before the thread started; later, having passed the thread, about part 7.
    Atomics.store(reached, 0, 1 + 1);
    const found = answersWith(out, new LookOrSkip(reached, 2), (next) => {
      if (next === 6) Atomics.store(reached, 0, 7 + 1);
    });
    expect(found.length).toBeGreaterThan(12);
    const skipped = found.flatMap((isFound, index) => (isFound ? [] : [index]));
    // Parts 0–3 (1, and two past it), then 6–9 (the thread was at 6 when it saw the build at 7; two past it).
    expect(skipped).toEqual([0, 1, 2, 3, 6, 7, 8, 9]);
  });
});

describe('StatAhead.start', () => {
  it("vouches for no part whose path in the cache is not clean, though it stats as recorded: the build decodes that host's files, finds them damaged, and makes a full build", () => {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    const path = join(out, CACHE_DIR, 'build.json');
    // A Chef file of the first host, as `chef/./…`: the same file on disk, a path no build writes.
    const text = readFileSync(path, 'utf8');
    const damaged = text.replace(/(\t\{"chef":\[")chef\//, '$1chef/./');
    expect(damaged).not.toBe(text);
    writeFileSync(path, damaged);
    const cache = readCache(out);
    if (cache === undefined) throw new Error('the cache was not read');
    const first = Object.values(cache.hosts)[0]?.chef;
    const looked = statAheadOf(out);
    const parts: CachedPart[] = [];
    cachedPartsInOrder(cache, (part, index) => (parts[index] = part));
    expect(parts.filter((part) => !looked.isFoundAsCached(cache, part))).toEqual([first]);
    looked.close();

    const statAhead = statAheadOf(out);
    expect(hostRuns(() => buildIntoOut(out, sampleFleet(), { ...everything, statAhead })).chef).toBe(sampleFleet().hosts.length);
    statAhead.close();
    const fresh = tempOut();
    buildIntoOut(fresh, sampleFleet(), everything);
    expect(outputOf(out)).toEqual(outputOf(fresh));
  });

  it('starts no thread for a cache smaller than the threshold, nor without a cache', () => {
    const out = tempOut();
    expect(StatAhead.start(out, { cacheBytesForStatAhead: 0 })).toBeUndefined();
    buildIntoOut(out, sampleFleet(), everything);
    const size = statSync(join(out, CACHE_DIR, 'build.json')).size;
    expect(StatAhead.start(out, { cacheBytesForStatAhead: size + 1 })).toBeUndefined();
    // The default: a sample fleet's cache is far too small to pay for a thread.
    expect(StatAhead.start(out)).toBeUndefined();
    const started = StatAhead.start(out, { cacheBytesForStatAhead: size });
    expect(started).toBeInstanceOf(StatAhead);
    started?.close();
  });
});

describe("the thread's answers, taken as they come (ReportAnswers)", () => {
  /** The cache of a build of the sample fleet, as read from its file, and its parts in order (cachedPartsInOrder). */
  function builtCache(): { cache: BuildCache; parts: CachedPart[] } {
    const out = tempOut();
    buildIntoOut(out, sampleFleet(), everything);
    const cache = readCache(out);
    if (cache === undefined) throw new Error('no cache');
    const parts: CachedPart[] = [];
    cachedPartsInOrder(cache, (part, index) => (parts[index] = part));
    return { cache, parts };
  }

  /** A report for `cache`, as the thread posts it, with every part answered "found" and its own tag. */
  function reportFor(cache: BuildCache): { report: StatAheadReport; verdicts: Uint8Array; tags: Int32Array; progress: Int32Array; reached: Int32Array; count: number } {
    const identity = identityOfCache(cache);
    if (identity === undefined) throw new Error('a cache read from a file has an identity');
    const tagsInOrder: number[] = [];
    const count = cachedPartsInOrder(cache, (_, index, tag) => (tagsInOrder[index] = tag)) ?? 0;
    const report: StatAheadReport = { identity, verdicts: new SharedArrayBuffer(count), tags: new SharedArrayBuffer(count * 4), progress: new SharedArrayBuffer(4), reached: new SharedArrayBuffer(4) };
    const verdicts = new Uint8Array(report.verdicts).fill(FOUND_AS_CACHED);
    const tags = new Int32Array(report.tags);
    tags.set(tagsInOrder);
    return { report, verdicts, tags, progress: new Int32Array(report.progress), reached: new Int32Array(report.reached), count };
  }

  it('tells the thread the furthest part it asked about before the thread had answered it, and nothing else', () => {
    const { cache, parts } = builtCache();
    const { report, progress, reached, count } = reportFor(cache);
    const answers = ReportAnswers.of(report, cache);
    Atomics.store(progress, 0, 3);
    // Answered parts: nothing to tell. Counting what was found tells nothing either.
    for (const index of [0, 1, 2]) answers.isFoundAsCached(parts[index] as CachedPart);
    expect(answers.foundSoFar).toBe(3);
    expect(Atomics.load(reached, 0)).toBe(0);
    // The build caught up: it looks at part 4 itself, and says so (its place, plus one: 0 means none).
    expect(answers.isFoundAsCached(parts[4] as CachedPart)).toBe(false);
    expect(Atomics.load(reached, 0)).toBe(5);
    // Asking about an earlier part again does not take it back.
    expect(answers.isFoundAsCached(parts[3] as CachedPart)).toBe(false);
    expect(Atomics.load(reached, 0)).toBe(5);
    Atomics.store(progress, 0, count);
    expect(answers.isFoundAsCached(parts[count - 1] as CachedPart)).toBe(true);
    expect(Atomics.load(reached, 0)).toBe(5);
  });

  it('trusts an answer only once the thread counted it, for the part whose tag it carries, and only when it is "found"', () => {
    const { cache, parts } = builtCache();
    const { report, verdicts, tags, progress, count } = reportFor(cache);
    expect(count).toBeGreaterThan(4);
    const answers = ReportAnswers.of(report, cache);
    const found = (): boolean[] => parts.map((part) => answers.isFoundAsCached(part));

    // Nothing counted yet: nothing trusted, though every answer is written.
    expect(found().some(Boolean)).toBe(false);
    // Counted as they come: the first three.
    Atomics.store(progress, 0, 3);
    expect(found()).toEqual(parts.map((_, index) => index < 3));
    expect(answers.foundSoFar).toBe(3);
    Atomics.store(progress, 0, count);
    expect(found().every(Boolean)).toBe(true);
    // A part answered "not as recorded", and a part whose place holds another part's tag (the thread's order and the
    // build's differ there): not trusted.
    verdicts[1] = 0;
    tags[2] = tags[3] as number;
    expect(found()).toEqual(parts.map((_, index) => index !== 1 && index !== 2));
    // A part of another cache read from the same file is not one of these.
    expect(answers.isFoundAsCached({ ...(parts[0] as CachedPart) })).toBe(false);
  });

  it('trusts nothing of a report about another cache file than the one the build read', () => {
    const { cache, parts } = builtCache();
    const { report, progress, count } = reportFor(cache);
    Atomics.store(progress, 0, count);
    const other: StatAheadReport = { ...report, identity: { ...report.identity, base: { ...report.identity.base, ino: report.identity.base.ino + 1 } } };
    const answers = ReportAnswers.of(other, cache);
    expect(parts.some((part) => answers.isFoundAsCached(part))).toBe(false);
    expect(ReportAnswers.of(report, cache).foundSoFar).toBe(count);
  });
});
