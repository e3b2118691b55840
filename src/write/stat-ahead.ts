/**
 * Looking at a large rebuild's cached files on a second thread, before the build needs them: a one-host rebuild of a
 * 10,000-host fleet otherwise lstat's some 80,000 files and folders on the build's own thread, after validating the
 * manifest, while the second core has nothing to do. `fleetgen` starts this thread before anything else
 * (cli/early-start.ts; the build command starts it itself when that did not), it reads the build cache and looks at
 * every cached file while the manifest is validated (stat-ahead-worker.ts), and the build asks it about each cached
 * part it would reuse (isFoundAsCached).
 *
 * Only a shortcut for the common answer: a part the thread found on disk exactly as recorded (each file the same
 * inode, size, mtime and mode, below real folders) is not looked at again. Anything else — a part not found so, a
 * part the thread has not answered for yet, a thread that could not start or died, a cache file other than the one
 * the build read (or its journal) — leaves the build to look for itself, as it does without the thread, so it finds
 * every link and every edited file exactly as it would. The build never waits for the thread: it takes each answer
 * once it is there (ReportAnswers). When the build catches up with the thread, it tells the thread where it is, and
 * the thread skips ahead (stat-ahead-worker.ts, LookOrSkip): the two then look at different parts, not both at the same.
 *
 * The thread first stats the secret files the last build knew by their stat, and reads those it read, for validation
 * (secretFiles: secret-prefetch.ts).
 */
import { statSync } from 'node:fs';
import { receiveMessageOnPort, type MessagePort, type ResourceLimits, type Worker } from 'node:worker_threads';
import { cacheFilePath, cachedPartsInOrder, identityOfCache, isSameCache, partPlaceOf, partPlaceTagOf, type BuildCache, type CachedPart } from './cache.js';
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
  /** Once the report is taken: its answers, for the cache the build read; NO_ANSWERS when it never comes or is about another. */
  private answers: ReportAnswers | undefined;
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
   * below real folders. False whenever it does not know, or has not looked at the part yet: the build then looks itself.
   */
  isFoundAsCached(cache: BuildCache, part: CachedPart): boolean {
    return (this.answers ?? this.take(cache))?.isFoundAsCached(part) === true;
  }

  /** How many parts the thread has found as recorded so far, in the cache the build read (0 before, and without, a report). */
  get partsFoundAsCached(): number {
    return this.answers?.foundSoFar ?? 0;
  }

  /**
   * Waits at most `ms` for every part to be looked at (or for the thread to stop). The build itself never waits (tests
   * do, so that what they state does not depend on which thread was quicker).
   */
  waitForReport(ms: number): void {
    const until = Date.now() + ms;
    for (let left = ms; left > 0; left = until - Date.now()) {
      const seen = Atomics.load(this.signal, SIGNAL.results);
      if (Atomics.load(this.signal, SIGNAL.done) !== 0 || Atomics.load(this.signal, SIGNAL.stopped) !== 0) return;
      Atomics.wait(this.signal, SIGNAL.results, seen, left);
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

  /** The report, once it is there; NO_ANSWERS for good when it never comes or is not about `cache`. */
  private take(cache: BuildCache): ReportAnswers | undefined {
    // Nothing posted and the thread not stopped: too early, and not worth a look at the port (this runs per part).
    if (Atomics.load(this.signal, SIGNAL.results) === 0) return undefined;
    const message = receiveMessageOnPort(this.port);
    this.answers = message === undefined ? NO_ANSWERS : ReportAnswers.of(message.message as StatAheadReport, cache);
    // The thread goes on answering (into shared memory) until it is done, or closed.
    if (this.answers === NO_ANSWERS) this.close();
    return this.answers;
  }
}

/**
 * A report's answers for the cache the build read (`cache`): a part is found as recorded when the thread has answered
 * for it (counted in `progress`), with that part's own tag (the part at that place in the thread's order is the same
 * one), and found it so. Each part of the cache knows its place in the order (cache.ts, partPlaceOf).
 */
export class ReportAnswers {
  private constructor(
    private readonly verdicts: Uint8Array,
    private readonly tags: Int32Array,
    private readonly progress: Int32Array,
    /** Where the build has looked for itself (StatAheadReport.reached): written here, read by the thread. */
    private readonly reached: Int32Array,
    /** The cache the build read (undefined: no answers). */
    private readonly cache: BuildCache | undefined,
  ) {}

  /** The last value written to `reached`, kept here too: only the build writes it. */
  private reachedSoFar = 0;

  /** The answers of `report` for `cache`; NO_ANSWERS when the report is about other files than `cache` was read from. */
  static of(report: StatAheadReport, cache: BuildCache): ReportAnswers {
    const identity = identityOfCache(cache);
    if (identity === undefined || !isSameCache(identity, report.identity)) return NO_ANSWERS;
    return new ReportAnswers(new Uint8Array(report.verdicts), new Int32Array(report.tags), new Int32Array(report.progress), new Int32Array(report.reached), cache);
  }

  static none(): ReportAnswers {
    return new ReportAnswers(new Uint8Array(0), new Int32Array(0), new Int32Array(1), new Int32Array(1), undefined);
  }

  /**
   * The build's question about a part it is about to reuse. A part not answered yet the build looks at itself, and so
   * the thread is told to skip it (LookOrSkip).
   */
  isFoundAsCached(part: CachedPart): boolean {
    if (this.cache === undefined) return false;
    const index = partPlaceOf(this.cache, part);
    const answer = this.answerAt(index, part);
    if (answer === NOT_YET) {
      const reached = index + 1;
      if (reached > this.reachedSoFar) {
        this.reachedSoFar = reached;
        Atomics.store(this.reached, 0, reached);
      }
    }
    return answer === FOUND;
  }

  /** How many parts are found as recorded so far (tells the thread nothing). */
  get foundSoFar(): number {
    let found = 0;
    const { cache } = this;
    // cachedPartsInOrder visits each part with its place (partPlaceOf's answer).
    if (cache !== undefined) cachedPartsInOrder(cache, (part, index) => void (this.answerAt(index, part) === FOUND && found++));
    return found;
  }

  /** The answer for `part`, at `index` (its partPlaceOf in the cache read: -1 when it is none of its parts). */
  private answerAt(index: number, part: CachedPart): Answer {
    if (this.cache === undefined || index === -1) return NOT_FOUND;
    // Read before the answer: an answer is written before the thread counts it.
    if (index >= Atomics.load(this.progress, 0)) return NOT_YET;
    return this.tags[index] === partPlaceTagOf(this.cache, part) && this.verdicts[index] === FOUND_AS_CACHED ? FOUND : NOT_FOUND;
  }
}

const NO_ANSWERS = ReportAnswers.none();

/** What the report says of a part: found as recorded, not (or not a part of the cache read), or nothing yet. */
const FOUND = 0;
const NOT_FOUND = 1;
const NOT_YET = 2;
type Answer = typeof FOUND | typeof NOT_FOUND | typeof NOT_YET;
