/**
 * The stat-ahead thread's side (stat-ahead.ts has the build's side): reads the build cache itself and looks at every
 * cached file and the folders above it, while the build's own thread is still validating the manifest. It answers
 * with one byte per cached part, in the cache's own order (cachedPartsInOrder), and the identity of the cache file it
 * read: no paths, no cache, only what the build needs to skip looking again at what was found as recorded.
 *
 * Loaded in a worker_threads worker, never on the build's own thread; it imports only the cache's reading.
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { setPriority } from 'node:os';
import { join, sep } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { identityOfCache, isAsCached, readCache, type BuildCache, type CachedFile, type CachedPart, type FileIdentity } from './cache.js';

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
}

/** A part whose files all stat as recorded, below folders that are all real folders (no link, no file). */
export const FOUND_AS_CACHED = 1;

export interface StatAheadReport {
  /** The cache file read: the build uses the report only when it read that very file. */
  identity: FileIdentity;
  /** Per part, in cachedPartsInOrder's order: FOUND_AS_CACHED, or 0 (not as recorded, or not looked at). */
  parts: Uint8Array;
}

/**
 * Every part of the cache in one fixed order (each host's parts, then the fleet-wide parts), which the build's thread
 * and this one both follow: the same text decodes to the same order.
 */
export function cachedPartsInOrder(cache: BuildCache, visit: (part: CachedPart, index: number) => void): number {
  let index = 0;
  for (const host of Object.keys(cache.hosts)) {
    const parts = cache.hosts[host] ?? {};
    for (const target of Object.keys(parts)) visit(parts[target] as CachedPart, index++);
  }
  for (const target of Object.keys(cache.fleet)) visit(cache.fleet[target] as CachedPart, index++);
  return index;
}

/** Posts one report (none when there is no usable cache); the thread then ends, having nothing left to do. */
export function serveStatAhead({ port, signal: buffer, outDir }: StatAheadWorkerData): void {
  const signal = new Int32Array(buffer);
  try {
    yieldToOtherThreads();
    const cache = readCache(outDir);
    const identity = cache && identityOfCache(cache);
    if (cache !== undefined && identity !== undefined) {
      const parts = statCachedParts(outDir, cache);
      const report: StatAheadReport = { identity, parts };
      port.postMessage(report, [parts.buffer]);
    }
  } finally {
    Atomics.add(signal, SIGNAL.results, 1);
    Atomics.notify(signal, SIGNAL.results);
  }
}

/** Looks at each part's files until one is not as recorded (the build's thread looks at that part again itself). */
function statCachedParts(outDir: string, cache: BuildCache): Uint8Array<ArrayBuffer> {
  const base = join(outDir, '.');
  const prefix = base.endsWith(sep) ? base : `${base}${sep}`;
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
  const isFileAsCached = (file: CachedFile): boolean => {
    const slash = file.path.lastIndexOf('/');
    return (slash === -1 || isFolderChainReal(file.path.slice(0, slash))) && isAsCached(file, lstatOrUndefined(prefix + file.path));
  };
  const found: number[] = [];
  const count = cachedPartsInOrder(cache, (part, index) => {
    if (part.files.every(isFileAsCached)) found.push(index);
  });
  const parts = new Uint8Array(count);
  for (const index of found) parts[index] = FOUND_AS_CACHED;
  return parts;
}

/**
 * The lowest priority for this thread alone (Linux: a thread id is a pid to setpriority): it is to use a core nobody
 * else needs, never to slow the build's own thread down. Elsewhere it keeps its priority.
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
