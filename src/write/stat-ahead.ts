/**
 * Looking at a large rebuild's cached files on a second thread, before the build needs them: a one-host rebuild of a
 * 10,000-host fleet otherwise lstat's some 80,000 files and folders on the build's own thread, after validating the
 * manifest, while the second core has nothing to do. `fleetgen build` starts this thread first (StatAhead.start), it
 * reads the build cache and looks at every cached file while the manifest is validated (stat-ahead-worker.ts), and
 * the build asks it about each cached part it would reuse (isFoundAsCached).
 *
 * Only a shortcut for the common answer: a part the thread found on disk exactly as recorded (each file the same
 * inode, size, mtime and mode, below real folders) is not looked at again. Anything else — a part not found so, a
 * report that has not come yet, a thread that could not start or died, a cache file other than the one the build
 * read (or its journal) — leaves the build to look for itself, as it does without the thread, so it finds every link and every
 * edited file exactly as it would. The build never waits for the thread: it takes the report once it is there.
 *
 * The thread first stats the secret files the last build knew by their stat, and reads those it read, for validation
 * (secretFiles: secret-prefetch.ts).
 */
import { statSync } from 'node:fs';
import { receiveMessageOnPort, type MessagePort, type ResourceLimits, type Worker } from 'node:worker_threads';
import { cacheFilePath, cachedPartsInOrder, identityOfCache, isSameCache, type BuildCache, type CachedPart } from './cache.js';
import { SecretPrefetch } from './secret-prefetch.js';
import { FOUND_AS_CACHED, SIGNAL, SIGNAL_SLOTS, type StatAheadReport, type StatAheadWorkerData } from './stat-ahead-worker.js';
import { startThread } from './thread-bootstrap.js';

/**
 * A cache file of at least this many bytes starts the thread: about 1,000 hosts, some 6,000 files (a 10,000-host
 * fleet's is 12 MB). A smaller build has too little to look at to pay for starting a thread.
 */
export const CACHE_BYTES_FOR_STAT_AHEAD = 1024 * 1024;

export interface StatAheadOptions {
  /** The smallest cache file (bytes) worth a thread; default about 1 MB. (Tests set 0.) */
  cacheBytesForStatAhead?: number;
  /** (Tests give it a heap too small to load in: a thread that dies.) */
  resourceLimits?: ResourceLimits;
}

export class StatAhead {
  /** The secret files the thread reads first, for the build's SecretReader (secret-prefetch.ts). */
  readonly secretFiles = new SecretPrefetch();
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(SIGNAL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  /** Once the report is taken (or known never to come): the parts it found as recorded, in the cache the build read. */
  private found: ReadonlySet<CachedPart> | undefined;
  private closed = false;

  /** The thread, when out/ holds a cache large enough to pay for it; undefined otherwise. */
  static start(outDir: string, options: StatAheadOptions = {}): StatAhead | undefined {
    let size: number;
    try {
      size = statSync(cacheFilePath(outDir)).size;
    } catch {
      return undefined;
    }
    if (size < (options.cacheBytesForStatAhead ?? CACHE_BYTES_FOR_STAT_AHEAD)) return undefined;
    return new StatAhead(outDir, options.resourceLimits);
  }

  private constructor(outDir: string, resourceLimits: ResourceLimits | undefined) {
    const { secretFiles } = this;
    ({ worker: this.worker, port: this.port } = startThread<StatAheadWorkerData>('serveStatAhead', 'stat-ahead-worker', { outDir, secretFiles: secretFiles.threadEnd }, this.signal, SIGNAL, {
      transfer: [secretFiles.threadEnd.port],
      ...(resourceLimits ? { resourceLimits } : {}),
    }));
  }

  /**
   * Whether the thread found every file of `part` (a part of `cache`, the cache the build read) on disk as recorded,
   * below real folders. False whenever it does not know, or its report has not come yet: the build then looks itself.
   */
  isFoundAsCached(cache: BuildCache, part: CachedPart): boolean {
    return (this.found ?? this.take(cache))?.has(part) === true;
  }

  /** How many parts the report found as recorded, in the cache the build read (0 before, and without, a report). */
  get partsFoundAsCached(): number {
    return this.found?.size ?? 0;
  }

  /**
   * Waits at most `ms` for the report (or for the thread to stop). The build itself never waits (tests do, so that
   * what they state does not depend on which thread was quicker).
   */
  waitForReport(ms: number): void {
    const until = Date.now() + ms;
    for (let left = ms; Atomics.load(this.signal, SIGNAL.results) === 0 && left > 0; left = until - Date.now()) {
      Atomics.wait(this.signal, SIGNAL.results, 0, left);
    }
  }

  /** Whether close() was called (tests). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Ends the thread, if it is still looking (the build is done, or failed before it needed the report). */
  close(): void {
    this.closed = true;
    this.secretFiles.close();
    this.port.close();
    void this.worker.terminate().catch(() => {});
  }

  /** The report, once it is there; EMPTY for good when it never comes or is not about `cache`. */
  private take(cache: BuildCache): ReadonlySet<CachedPart> | undefined {
    // Nothing posted and the thread not stopped: too early, and not worth a look at the port (this runs per part).
    if (Atomics.load(this.signal, SIGNAL.results) === 0) return undefined;
    const message = receiveMessageOnPort(this.port);
    this.found = message === undefined ? EMPTY : foundIn(message.message as StatAheadReport, cache);
    this.close();
    return this.found;
  }
}

const EMPTY: ReadonlySet<CachedPart> = new Set();

/** The parts of `cache` the report found as recorded; none when it is about other files than the ones `cache` was read from. */
function foundIn(report: StatAheadReport, cache: BuildCache): ReadonlySet<CachedPart> {
  const identity = identityOfCache(cache);
  if (identity === undefined || !isSameCache(identity, report.identity)) return EMPTY;
  const found = new Set<CachedPart>();
  const count = cachedPartsInOrder(cache, (part, index) => {
    if (report.parts[index] === FOUND_AS_CACHED) found.add(part);
  });
  // The same file decodes to the same parts; should they differ in number all the same, nothing is trusted.
  return count === report.parts.length ? found : EMPTY;
}
