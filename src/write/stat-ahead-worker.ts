/**
 * The stat-ahead thread's side (stat-ahead.ts has the build's side): reads the build cache's text itself and looks at
 * every cached file and the folders above it, while the build's own thread is still validating the manifest. It
 * answers with one byte per cached part, in the cache's own order (cache.ts, cachedPartsInOrder), with each part's tag
 * (partTagOf), in shared memory the build reads as the answers come, and the identity of the cache file (and journal)
 * it read: no paths and no cache, only what the build needs to skip looking again at what was found as recorded. It
 * does not decode the cache (forEachPartInText): a second decoded cache would cost tens of megabytes while the build's
 * own memory peaks.
 *
 * Before all that, it stats and reads the secret files the last build knew by their stat and read
 * (secret-prefetch-worker.ts), which validation needs first.
 *
 * Loaded in a worker_threads worker, never on the build's own thread; it imports only the cache's reading, out/'s
 * paths and the reading of secret files.
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { setPriority } from 'node:os';
import type { MessagePort } from 'node:worker_threads';
import { FILE_FIELDS, forEachPartInText, isAsCached, isFileFlags, readCacheText, type CacheIdentity } from './cache.js';
import { isCleanRelativePath, outPrefixOf } from './out-path.js';
import type { SecretPrefetchThreadEnd } from './secret-prefetch.js';
import { prefetchSecretFiles } from './secret-prefetch-worker.js';

/** Int32 slots of the shared signal buffer (as stage-worker.ts's). */
export const SIGNAL = {
  /** Bumped (and notified) once the report is posted, once every part is looked at, and when the thread stops. */
  results: 0,
  /** Set when the thread has stopped (done, failed to start, or crashed). */
  stopped: 1,
  /** Set once every part is looked at. */
  done: 2,
} as const;
export const SIGNAL_SLOTS = 3;

export interface StatAheadWorkerData {
  port: MessagePort;
  signal: SharedArrayBuffer;
  outDir: string;
  /** Where the secret files read ahead go (secret-prefetch.ts). */
  secretFiles: SecretPrefetchThreadEnd;
}

/** A part whose files all stat as recorded, below folders that are all real folders (no link, no file). */
export const FOUND_AS_CACHED = 1;

/**
 * Posted once the thread has read the cache, before it looks at any file: the build takes each part's answer as soon
 * as it is there, rather than the whole report or none (a report that came late left the build looking at every file
 * itself until it came, while the thread went on looking at the same files).
 */
export interface StatAheadReport {
  /** The cache file and journal read: the build uses the report only when it read those very files. */
  identity: CacheIdentity;
  /** Per part, in cachedPartsInOrder's order: FOUND_AS_CACHED, or 0 (not as recorded). Uint8 over a SharedArrayBuffer. */
  verdicts: SharedArrayBuffer;
  /** Per part, its partTagOf (cache.ts): the build takes an answer only for the part whose tag it carries. Int32. */
  tags: SharedArrayBuffer;
  /** One Int32: how many parts are answered so far (each part's answer and tag are written before it is counted). */
  progress: SharedArrayBuffer;
  /**
   * One Int32, written by the build: one more than the place of the last part it asked about before the thread had
   * answered for it (0: none yet). The build looks at such a part itself, so the thread skips what the build has
   * reached (LookOrSkip) rather than look at the same files after it.
   */
  reached: SharedArrayBuffer;
}

/**
 * How far past the build's place the thread skips when the build has caught up with it: the build looks at those parts
 * itself while the thread goes on beyond them, so the two threads look at different files rather than at the same
 * ones one after the other. (Which share each thread takes depends on their speeds, not on this number: the build
 * catches up again once it is through the parts the thread answered meanwhile.)
 */
export const PARTS_LEFT_TO_THE_BUILD = 64;

/**
 * Whether the thread looks at the part at `index` (parts come in order): not when the build has reached it, nor for
 * PARTS_LEFT_TO_THE_BUILD parts past where the build was when the thread found it had caught up. A part skipped is
 * answered "not as recorded", which leaves the build to look at it, as it does at any part not answered yet.
 */
export class LookOrSkip {
  private skipThrough = -1;

  constructor(
    private readonly reached: Int32Array,
    private readonly lead = PARTS_LEFT_TO_THE_BUILD,
  ) {}

  shouldLook(index: number): boolean {
    if (index <= this.skipThrough) return false;
    // The place of the last part the build asked about unanswered (-1: none).
    const buildAt = Atomics.load(this.reached, 0) - 1;
    if (buildAt < index) return true;
    this.skipThrough = buildAt + this.lead;
    return false;
  }
}

/** Each part's entry in the cache's text takes more characters than this: the most parts a text can hold. */
const MIN_PART_CHARS = 16;

/**
 * First the secret files (secret-prefetch-worker.ts), then the report (none when there is no cache to read), posted
 * before any cached file is looked at and filled in part after part; the thread then ends, having nothing left to do.
 */
export function serveStatAhead({ port, signal: buffer, outDir, secretFiles }: StatAheadWorkerData): void {
  const signal = new Int32Array(buffer);
  try {
    yieldToOtherThreads();
    // First what the build needs first: validation reads the secrets long before the build asks for this report.
    try {
      prefetchSecretFiles(outDir, secretFiles);
    } catch {
      // whatever was not posted, the build reads itself; the report is still worth making
    }
    const read = readCacheText(outDir);
    if (read === undefined) return;
    const most = Math.ceil((read.text.length + (read.journal?.text.length ?? 0)) / MIN_PART_CHARS);
    const report: StatAheadReport = {
      identity: { base: read.identity, journal: read.journal?.identity },
      verdicts: new SharedArrayBuffer(most),
      tags: new SharedArrayBuffer(most * Int32Array.BYTES_PER_ELEMENT),
      progress: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT),
      reached: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT),
    };
    const verdicts = new Uint8Array(report.verdicts);
    const tags = new Int32Array(report.tags);
    const progress = new Int32Array(report.progress);
    port.postMessage(report);
    Atomics.add(signal, SIGNAL.results, 1);
    Atomics.notify(signal, SIGNAL.results);
    statCachedParts(outDir, read.text, read.journal?.text, new LookOrSkip(new Int32Array(report.reached)), (index, tag, isFound) => {
      if (index >= most) return;
      verdicts[index] = isFound ? FOUND_AS_CACHED : 0;
      tags[index] = tag;
      // After the answer and the tag: the build reads them only once it sees them counted.
      Atomics.store(progress, 0, index + 1);
    });
  } finally {
    Atomics.store(signal, SIGNAL.done, 1);
    Atomics.add(signal, SIGNAL.results, 1);
    Atomics.notify(signal, SIGNAL.results);
  }
}

/**
 * Looks at each part's files until one is not as recorded (the build's thread looks at that part again itself), and
 * gives each part's answer as it has it; a part `looks` skips is answered "not as recorded" without a look. (A text
 * not in shape stops it: the build, which reads the same text, then has no cache to ask about.)
 */
export function statCachedParts(outDir: string, text: string, journal: string | undefined, looks: LookOrSkip, answer: (index: number, tag: number, isFound: boolean) => void): void {
  const prefix = outPrefixOf(outDir);
  // Folder (relative) → whether it and every folder above it inside out/ is a real folder: each looked at once.
  const isRealChain = new Map<string, boolean>();
  const isFolderChainReal = (folder: string): boolean => {
    let isReal = isRealChain.get(folder);
    if (isReal === undefined) {
      const slash = folder.lastIndexOf('/');
      isReal = (slash === -1 || isFolderChainReal(folder.slice(0, slash))) && lstatOrUndefined(prefix + folder)?.isDirectory() === true;
      isRealChain.set(folder, isReal);
    }
    return isReal;
  };
  // A file found as recorded is one the build does not decode (cache.ts, PartRead): so it is checked here as decoding
  // would check it (cache.ts, decodeFile), its path clean and in its target's folder.
  const isFileAsCached = (fields: readonly unknown[], offset: number, folder: string): boolean => {
    const path = fields[offset];
    const mode = fields[offset + 1];
    const flags = fields[offset + 2];
    const size = fields[offset + 3];
    const mtimeMs = fields[offset + 4];
    const ino = fields[offset + 5];
    if (typeof path !== 'string' || !Number.isInteger(mode) || !isFileFlags(flags) || typeof size !== 'number' || typeof mtimeMs !== 'number' || typeof ino !== 'number') return false;
    if (!path.startsWith(folder) || !isCleanRelativePath(path)) return false;
    const slash = path.lastIndexOf('/');
    return (slash === -1 || isFolderChainReal(path.slice(0, slash))) && isAsCached({ mode: mode as number, size, mtimeMs, ino }, lstatOrUndefined(prefix + path));
  };
  const isPartAsCached = (fields: readonly unknown[] | undefined, target: string): boolean => {
    if (fields === undefined || fields.length % FILE_FIELDS !== 0) return false;
    const folder = `${target}/`;
    for (let offset = 0; offset < fields.length; offset += FILE_FIELDS) if (!isFileAsCached(fields, offset, folder)) return false;
    return true;
  };
  forEachPartInText(text, (fields, index, tag, target) => answer(index, tag, looks.shouldLook(index) && isPartAsCached(fields, target)), journal);
}

/**
 * The lowest priority for this thread alone (on Linux a thread's id is a pid to setpriority): it is to use a core
 * nobody else needs, never to slow the build's own thread down. Elsewhere it keeps the build's priority.
 */
function yieldToOtherThreads(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 19);
  } catch {
    // not Linux, or not allowed: the thread runs at the build's priority
  }
}

/** Whatever cannot be looked at counts as not found: the build's thread looks again and meets the error itself. */
function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
