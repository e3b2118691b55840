/**
 * The stat-ahead thread's side (stat-ahead.ts has the build's side): reads the build cache's text itself and looks at
 * every cached file and the folders above it, while the build's own thread is still validating the manifest. It
 * answers with one byte per cached part, in the cache's own order (cache.ts, cachedPartsInOrder), and the identity of
 * the cache file (and journal) it read: no paths and no cache, only what the build needs to skip looking again at what was found as
 * recorded. It does not decode the cache (forEachPartInText): a second decoded cache would cost tens of megabytes
 * while the build's own memory peaks.
 *
 * Before all that, it reads the secret files the last build read (secret-prefetch-worker.ts), which validation needs
 * first.
 *
 * Loaded in a worker_threads worker, never on the build's own thread; it imports only the cache's reading, out/'s
 * paths and the reading of secret files.
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { setPriority } from 'node:os';
import type { MessagePort } from 'node:worker_threads';
import { FILE_FIELDS, forEachPartInText, isAsCached, readCacheText, type CacheIdentity } from './cache.js';
import { outPrefixOf } from './out-path.js';
import type { SecretPrefetchThreadEnd } from './secret-prefetch.js';
import { prefetchSecretFiles } from './secret-prefetch-worker.js';

/** Int32 slots of the shared signal buffer (as stage-worker.ts's). */
export const SIGNAL = {
  /** Bumped (and notified) once the report is posted, and when the thread stops. */
  results: 0,
  /** Set when the thread has stopped (done, failed to start, or crashed). */
  stopped: 1,
} as const;
export const SIGNAL_SLOTS = 2;

export interface StatAheadWorkerData {
  port: MessagePort;
  signal: SharedArrayBuffer;
  outDir: string;
  /** Where the secret files read ahead go (secret-prefetch.ts). */
  secretFiles: SecretPrefetchThreadEnd;
}

/** A part whose files all stat as recorded, below folders that are all real folders (no link, no file). */
export const FOUND_AS_CACHED = 1;

export interface StatAheadReport {
  /** The cache file and journal read: the build uses the report only when it read those very files. */
  identity: CacheIdentity;
  /** Per part, in cachedPartsInOrder's order: FOUND_AS_CACHED, or 0 (not as recorded, or not looked at). */
  parts: Uint8Array;
}

/**
 * First reads the secret files the last build read (secret-prefetch-worker.ts), then posts one report (none when there
 * is no usable cache); the thread then ends, having nothing left to do.
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
    const parts = read && statCachedParts(outDir, read.text, read.journal?.text);
    if (read !== undefined && parts !== undefined) {
      const report: StatAheadReport = { identity: { base: read.identity, journal: read.journal?.identity }, parts };
      port.postMessage(report, [parts.buffer]);
    }
  } finally {
    Atomics.add(signal, SIGNAL.results, 1);
    Atomics.notify(signal, SIGNAL.results);
  }
}

/** Looks at each part's files until one is not as recorded (the build's thread looks at that part again itself). */
function statCachedParts(outDir: string, text: string, journal: string | undefined): Uint8Array<ArrayBuffer> | undefined {
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
  const isFileAsCached = (fields: readonly unknown[], offset: number): boolean => {
    const path = fields[offset];
    const mode = fields[offset + 1];
    const size = fields[offset + 3];
    const mtimeMs = fields[offset + 4];
    const ino = fields[offset + 5];
    if (typeof path !== 'string' || typeof mode !== 'number' || typeof size !== 'number' || typeof mtimeMs !== 'number' || typeof ino !== 'number') return false;
    const slash = path.lastIndexOf('/');
    return (slash === -1 || isFolderChainReal(path.slice(0, slash))) && isAsCached({ mode, size, mtimeMs, ino }, lstatOrUndefined(prefix + path));
  };
  const found: number[] = [];
  const count = forEachPartInText(text, (fields, index) => {
    if (fields === undefined || fields.length % FILE_FIELDS !== 0) return;
    for (let offset = 0; offset < fields.length; offset += FILE_FIELDS) if (!isFileAsCached(fields, offset)) return;
    found.push(index);
  }, journal);
  if (count === undefined) return undefined;
  const parts = new Uint8Array(count);
  for (const index of found) parts[index] = FOUND_AS_CACHED;
  return parts;
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
