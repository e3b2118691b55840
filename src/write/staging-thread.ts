/**
 * Writing a large build's temp files on a second thread, while the build's own thread goes on generating: at
 * 10,000 hosts, making folders and temp files is about as much work (most of it in the kernel) as generating them,
 * and on one thread the two only ever took turns.
 *
 * The build stays synchronous. Requests go to the thread in batches, in order; the build looks at the answers
 * between files without waiting (receiveMessageOnPort), and waits (Atomics.wait) only when too much is in flight —
 * so memory stays bounded however far generating runs ahead — and at the end, before anything is renamed into
 * place. The first failure the thread meets comes back as the same error the build's own thread would have thrown.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { InternalError } from '../diagnostics/diagnostic.js';
import { SIGNAL, SIGNAL_SLOTS, type StageFailure, type StageRequest, type StageResult, type StageWorkerData } from './stage-worker.js';
import { startThread } from './thread-bootstrap.js';

/** A batch is posted once it holds this many files or bytes: one message per file cost more than its write. */
const BATCH_FILES = 32;
const BATCH_BYTES = 128 * 1024;
/** Posted and not yet written: beyond this the build waits for the thread (its copies of the contents are held). */
const MAX_IN_FLIGHT_FILES = 1024;
const MAX_IN_FLIGHT_BYTES = 4 * 1024 * 1024;

export class StagingThread {
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(SIGNAL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  private batch: StageRequest[] = [];
  private batchBytes = 0;
  /** Each posted batch not answered yet, oldest first: its files and bytes. */
  private readonly inFlight: { files: number; bytes: number }[] = [];
  private inFlightFiles = 0;
  private inFlightBytes = 0;
  private failure: StageFailure | undefined;

  constructor(
    token: string,
    /** Called with each answer, in the order the requests were made. */
    private readonly onResult: (result: StageResult) => void,
  ) {
    this.port = startThread<StageWorkerData>('serveStaging', 'stage-worker', { token }, this.signal, SIGNAL).port;
  }

  /** Queues one file; throws the first failure the thread has reported so far. */
  stage(request: StageRequest): void {
    this.batch.push(request);
    this.batchBytes += typeof request.content === 'string' ? request.content.length : request.content.byteLength;
    if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) this.post();
    while (this.receive(false));
    while (this.inFlightFiles > MAX_IN_FLIGHT_FILES || this.inFlightBytes > MAX_IN_FLIGHT_BYTES) this.receiveOrThrow();
    this.throwFailure();
  }

  /** Returns when every queued file is written; throws the first failure. */
  finish(): void {
    this.post();
    while (this.inFlight.length > 0) this.receiveOrThrow();
    this.throwFailure();
  }

  /**
   * After the build failed: returns when the thread has written every queued file (as the build would have before
   * it failed) or stopped at its first failure, which it returns: that failure came first.
   */
  settle(): Error | undefined {
    this.post();
    while (this.inFlight.length > 0 && this.receive(true));
    return this.failureError();
  }

  /** The thread ends once its port is closed (it holds nothing else open). */
  close(): void {
    this.port.close();
  }

  private post(): void {
    if (this.batch.length === 0) return;
    this.port.postMessage(this.batch);
    this.inFlight.push({ files: this.batch.length, bytes: this.batchBytes });
    this.inFlightFiles += this.batch.length;
    this.inFlightBytes += this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
  }

  private receiveOrThrow(): void {
    if (!this.receive(true)) throw new InternalError('the thread writing temp files stopped before it had written them all');
  }

  /** Takes one answer, waiting for it when `wait`; false when there is none (or, waiting, the thread has stopped). */
  private receive(wait: boolean): boolean {
    for (;;) {
      const seen = Atomics.load(this.signal, SIGNAL.results);
      const message = receiveMessageOnPort(this.port);
      if (message !== undefined) {
        this.accept(message.message as StageResult);
        return true;
      }
      if (!wait || Atomics.load(this.signal, SIGNAL.stopped) !== 0) return false;
      Atomics.wait(this.signal, SIGNAL.results, seen);
    }
  }

  private accept(result: StageResult): void {
    const batch = this.inFlight.shift();
    if (batch === undefined || batch.files !== result.requested) throw new InternalError('the thread writing temp files answered for a batch it was not given');
    this.inFlightFiles -= batch.files;
    this.inFlightBytes -= batch.bytes;
    this.failure ??= result.failure;
    this.onResult(result);
  }

  private throwFailure(): void {
    const error = this.failureError();
    if (error !== undefined) throw error;
  }

  /** The error the build's own thread would have thrown: message, code, errno, syscall and path. */
  private failureError(): Error | undefined {
    if (this.failure === undefined) return undefined;
    const { message, ...details } = this.failure;
    return Object.assign(new Error(message), details);
  }
}
