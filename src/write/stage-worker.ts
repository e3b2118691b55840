/**
 * The writer thread's side of staging (staging-thread.ts has the build's side): makes the folders and writes the
 * temp files the build posts (or a file at its own name in a new folder's temp folder), in the order posted, exactly
 * as the build would itself (makeFolders, writeTempFile, writeNewFile), and sends back each file's stat and the
 * folders it made. After the first failure it writes nothing more: the build stops at that failure and rolls back
 * everything staged until then.
 *
 * Loaded in a worker_threads worker, never on the build's own thread; what it may import is kept to the writing
 * itself, so the thread starts in a few milliseconds.
 */
import type { MessagePort } from 'node:worker_threads';
import { writeNewFile, writeTempFile } from './atomic.js';
import { makeFolders } from './folders.js';

/**
 * One file for the thread: its full path, the folder to make first (when no earlier file made it), bytes, mode, and
 * whether `full` is its place in a new folder's temp folder (written there at its own name) rather than its place in
 * out/ (written to a temp file beside it).
 */
export interface StageRequest {
  full: string;
  folder: string | undefined;
  content: string | Uint8Array;
  mode: number;
  isInTempFolder: boolean;
}

/** What the thread did with one batch of requests, in their order. */
export interface StageResult {
  /** Requests in the batch. */
  requested: number;
  /** The first `staged` of them have their temp file; the rest were not attempted (after a failure). */
  staged: number;
  /** size, mtimeMs and ino of each staged file's temp file (which the rename keeps). */
  stats: Float64Array;
  /** Folders made, shallowest first. */
  madeFolders: string[];
  failure?: StageFailure;
}

/** A failure as the file system reported it: what the build needs to throw the same error on its own thread. */
export interface StageFailure {
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

/** Int32 slots of the shared signal buffer. */
export const SIGNAL = {
  /** Bumped (and notified) after every result the thread posts, and when it stops. */
  results: 0,
  /** Set when the thread has stopped (normally at the end, or because it failed to start or crashed). */
  stopped: 1,
} as const;
export const SIGNAL_SLOTS = 2;

export interface StageWorkerData {
  port: MessagePort;
  signal: SharedArrayBuffer;
  /** The build's temp token (atomic.ts, tempToken): the thread's temp files are named as the build's own. */
  token: string;
}

/** Serves requests until the build closes the port. */
export function serveStaging({ port, signal: buffer, token }: StageWorkerData): void {
  const signal = new Int32Array(buffer);
  let isFailed = false;
  port.on('message', (requests: StageRequest[]) => {
    const stats = new Float64Array(requests.length * 3);
    const madeFolders: string[] = [];
    let staged = 0;
    let failure: StageFailure | undefined;
    for (const request of requests) {
      if (isFailed) break;
      try {
        if (request.folder !== undefined) for (const folder of makeFolders(request.folder, 0o755)) madeFolders.push(folder);
        const stat = request.isInTempFolder ? writeNewFile(request.full, request.content, request.mode) : writeTempFile(request.full, request.content, { mode: request.mode, token }).stat;
        stats[staged * 3] = stat.size;
        stats[staged * 3 + 1] = stat.mtimeMs;
        stats[staged * 3 + 2] = stat.ino;
        staged++;
      } catch (err) {
        isFailed = true;
        failure = failureOf(err);
      }
    }
    const result: StageResult = { requested: requests.length, staged, stats, madeFolders, ...(failure ? { failure } : {}) };
    port.postMessage(result, [stats.buffer]);
    Atomics.add(signal, SIGNAL.results, 1);
    Atomics.notify(signal, SIGNAL.results);
  });
}

function failureOf(err: unknown): StageFailure {
  if (!(err instanceof Error)) return { message: String(err) };
  const { code, errno, syscall, path } = err as NodeJS.ErrnoException;
  return { message: err.message, ...(code !== undefined ? { code } : {}), ...(errno !== undefined ? { errno } : {}), ...(syscall !== undefined ? { syscall } : {}), ...(path !== undefined ? { path } : {}) };
}
