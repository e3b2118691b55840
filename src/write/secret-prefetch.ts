/**
 * The secret files a rebuild needs, read on the stat-ahead thread before validation asks for them: a fleet references
 * a credential file per host, and at 10,000 hosts opening and reading them cost the build's own thread some 150 ms,
 * while the second core waited for the thread's lstat work.
 *
 * A build records the files its SecretReader read (their absolute paths, never a byte of them) in the cache folder
 * (writeSecretFileList), but for those the next build knows by their stat (validate/secret-file-answers.ts), which it
 * only stats; the next build's stat-ahead thread reads that list first, reads each file by the very steps
 * SecretReader takes (load/secrets.ts, readSecretFileAhead) and posts the bytes in batches
 * (secret-prefetch-worker.ts). SecretReader takes a file's bytes from here when they have come, and reads the file
 * itself otherwise. Only clean successes are sent: a file missing, not a file, too large, empty or unreadable is met
 * by the build's own thread, so every message about it is exactly the one a build without the thread prints. The
 * build never waits for the thread.
 *
 * Before reading them, the thread stats the files the last build knew by their stat (secret-stamps.json), which the
 * build would otherwise stat one by one while validating (some 50 ms at 10,000 hosts), and posts the stats in one
 * message (SecretStatsTaken); validation compares them with its stamps, and stats a file itself when none came.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { PrefetchedSecretFiles, StatTaken } from '../load/secrets.js';
import { writeFileAtomic } from './atomic.js';
import { CACHE_DIR, cacheFolder } from './cache.js';

/** The list of secret files the last build read, in the cache folder (0600, as the rest of it). */
const SECRET_FILE_LIST = 'secret-files.json';
const SECRET_FILE_LIST_VERSION = 1;

/** Int32 slots of the secret prefetch's own shared signal. */
export const SECRET_SIGNAL = {
  /** Bumped by the thread after each batch it posts: the build looks at its port only when this moved. */
  batches: 0,
  /** Set by the build once it reads no more secrets: the thread stops reading them and goes on with its lstat work. */
  isOver: 1,
  /** How many files the build has asked for so far (see secret-prefetch-worker.ts). */
  asked: 2,
} as const;
const SECRET_SIGNAL_SLOTS = 3;

/** What the thread gets: its end of the port, and the shared signal. */
export interface SecretPrefetchThreadEnd {
  port: MessagePort;
  signal: SharedArrayBuffer;
}

/** One message: files read, their bytes one after the other in one buffer, and where each one ends in it. */
export interface SecretFileBatch {
  paths: string[];
  bytes: ArrayBuffer;
  ends: Uint32Array;
}

/**
 * One message: the stat of each secret file the last build knew by its stat (secret-stamps.json: checked-hosts.ts),
 * taken by the thread, six numbers a file (STAT_FIELDS; NaN for a file it could not stat), in the order of `paths`.
 */
export interface SecretStatsTaken {
  statPaths: string[];
  stats: Float64Array;
}

/** A stat's numbers in SecretStatsTaken.stats: dev, ino, mode, size, mtimeMs, ctimeMs. */
export const STAT_FIELDS = 6;

/** The build's side: what has come from the thread, handed to SecretReader by path. */
export class SecretPrefetch implements PrefetchedSecretFiles {
  /** The thread's end, for its workerData (the port is transferred). */
  readonly threadEnd: SecretPrefetchThreadEnd;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(SECRET_SIGNAL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  private readonly files = new Map<string, Buffer>();
  /** The stats taken ahead, once they came: each path's index in `stats`. */
  private statIndex = new Map<string, number>();
  private stats: Float64Array = new Float64Array(0);
  private batchesReceived = 0;
  private asked = 0;
  private taken = 0;
  private isClosed = false;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.threadEnd = { port: port2, signal: this.signal.buffer as SharedArrayBuffer };
  }

  take(path: string): Buffer | undefined {
    if (this.isClosed) return undefined;
    Atomics.store(this.signal, SECRET_SIGNAL.asked, ++this.asked);
    this.receiveNew();
    const bytes = this.files.get(path);
    if (bytes === undefined) return undefined;
    // Once: a second reference to the same file (another spelling of its path) is read from disk, as without the thread.
    this.files.delete(path);
    this.taken++;
    return bytes;
  }

  statOf(path: string): StatTaken | undefined {
    if (this.isClosed) return undefined;
    this.receiveNew();
    const index = this.statIndex.get(path);
    if (index === undefined) return undefined;
    const at = index * STAT_FIELDS;
    const { stats } = this;
    const stat = { dev: stats[at] ?? NaN, ino: stats[at + 1] ?? NaN, mode: stats[at + 2] ?? NaN, size: stats[at + 3] ?? NaN, mtimeMs: stats[at + 4] ?? NaN, ctimeMs: stats[at + 5] ?? NaN };
    return Number.isNaN(stat.ino) ? undefined : stat;
  }

  /** How many files SecretReader took from here (tests). */
  get filesTaken(): number {
    return this.taken;
  }

  /**
   * The build reads no more secrets: the thread stops reading them, and what it read that was not taken (files no
   * longer referenced) is let go.
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    Atomics.store(this.signal, SECRET_SIGNAL.isOver, 1);
    this.port.close();
    this.files.clear();
    this.statIndex.clear();
  }

  /** Takes what was posted since the last look, if anything was. */
  private receiveNew(): void {
    const posted = Atomics.load(this.signal, SECRET_SIGNAL.batches);
    // Nothing new posted: not worth a look at the port (this runs for every file the manifest references).
    if (posted === this.batchesReceived) return;
    this.batchesReceived = posted;
    this.receiveAll();
  }

  private receiveAll(): void {
    for (let message = receiveMessageOnPort(this.port); message !== undefined; message = receiveMessageOnPort(this.port)) {
      const posted = message.message as SecretFileBatch | SecretStatsTaken;
      if ('statPaths' in posted) {
        this.stats = posted.stats;
        this.statIndex = new Map(posted.statPaths.map((path, index) => [path, index]));
        continue;
      }
      const { paths, bytes, ends } = posted;
      let start = 0;
      paths.forEach((path, index) => {
        const end = ends[index] ?? start;
        // A view of the batch's buffer: no copy (the bytes stay as long as any file of the batch is in use).
        this.files.set(path, Buffer.from(bytes, start, end - start));
        start = end;
      });
    }
  }
}

/**
 * Records the secret files this build read (absolute paths, in the order read), for the next build's thread; written
 * only when the list differs from the one there. A list that cannot be written only costs the next build the reading
 * ahead.
 */
export function writeSecretFileList(outDir: string, paths: readonly string[]): void {
  const text = JSON.stringify({ version: SECRET_FILE_LIST_VERSION, files: paths }) + '\n';
  if (readListText(join(outDir, CACHE_DIR, SECRET_FILE_LIST)) === text) return;
  try {
    writeFileAtomic(join(cacheFolder(outDir), SECRET_FILE_LIST), text, { mode: 0o600 });
  } catch {
    // see above
  }
}

/** The paths the last build's SecretReader read; undefined when there is no list, or it is not one that build wrote. */
export function readSecretFileList(outDir: string): string[] | undefined {
  const text = readListText(join(outDir, CACHE_DIR, SECRET_FILE_LIST));
  if (text === undefined) return undefined;
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof list !== 'object' || list === null || (list as { version?: unknown }).version !== SECRET_FILE_LIST_VERSION) return undefined;
  const { files } = list as { files?: unknown };
  if (!Array.isArray(files) || !files.every((path): path is string => typeof path === 'string' && isAbsolute(path))) return undefined;
  return files;
}

function readListText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
