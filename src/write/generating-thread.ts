/**
 * Generating a large build's hosts on a second thread as well as on the build's own: at 10,000 hosts, generating
 * is about half of what the build's thread does, and the rest (comparing with the disk, staging, the fleet-wide
 * files) has to stay there, in host order.
 *
 * The hosts to regenerate go in chunks (generate-worker.ts, CHUNK_HOSTS). Both threads claim chunks from one shared
 * counter; the build places them strictly in host order. When the next chunk is the thread's and has not come yet,
 * the build generates a later one itself rather than wait (at most MAX_CHUNKS_HELD of them), and waits only past
 * that. Nothing of the thread's is trusted to arrive: a chunk it failed to generate, or that has not come when it has
 * stopped or after WAIT_MS, is generated on the build's own thread, host by host as without the thread — so a
 * generating error is thrown as it would be without it, a thread that cannot start or dies costs no more than the
 * chunks it held (and one WAIT_MS when it died without a word), and the build never hangs on it.
 */
import { receiveMessageOnPort, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import type { Fleet } from '../model/fleet.js';
import type { TargetName, TargetOptions } from '../targets/target.js';
import { startThread } from './thread-bootstrap.js';
import {
  asBuffer,
  CHUNK_HOSTS,
  generateHostParts,
  hostOf,
  SIGNAL,
  SIGNAL_SLOTS,
  targetsOf,
  type GeneratedChunk,
  type GeneratePlan,
  type GenerateWorkerData,
  type HostPart,
} from './generate-worker.js';

/** Chunks the build's thread may hold, generated ahead while the thread's chunk it needs is still coming. */
const MAX_CHUNKS_HELD = 2;
/**
 * How long the build waits for one chunk of the thread's before generating it itself: a chunk takes tens of
 * milliseconds, so this is only met when the thread is gone without a word (killed for memory, where no exit
 * handler runs) or starved.
 */
const WAIT_MS = 2000;

/** A chunk the build generates on its own thread, host by host, as it places them. */
const GENERATE_HERE = Symbol('generate here');

export class GeneratingThread {
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(SIGNAL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  private readonly chunkCount: number;
  /** Chunks generated (by either thread) or left to the build's own thread, not placed yet. */
  private readonly ready = new Map<number, HostPart[][] | typeof GENERATE_HERE>();
  /** Chunks the build's thread generated ahead, not placed yet. */
  private readonly heldHere = new Set<number>();
  /** The plan entry the build places next. */
  private nextEntry = 0;
  /** A wait for the thread's chunk timed out: no chunk of the thread's is waited for again. */
  private isSilent = false;

  constructor(
    private readonly fleet: Fleet,
    private readonly options: TargetOptions,
    private readonly plan: GeneratePlan,
    /**
     * Tests only: a heap too small to load the targets in (a thread that dies), or another module to run instead of
     * generate-worker.js (a thread that claims chunks and goes silent).
     */
    testing: { resourceLimits?: ResourceLimits; module?: string } = {},
  ) {
    this.chunkCount = Math.ceil(plan.hosts.length / CHUNK_HOSTS);
    const { resourceLimits, module } = testing;
    this.port = startThread<GenerateWorkerData>('serveGenerating', 'generate-worker', { fleet, options, plan }, this.signal, SIGNAL, {
      ...(resourceLimits ? { resourceLimits } : {}),
      ...(module !== undefined ? { moduleUrl: module } : {}),
    }).port;
  }

  /**
   * The parts of fleet.hosts[index] by target, when it is the next host of the plan; undefined when it is not in the
   * plan, or its chunk falls to the build's own thread: the build generates it then. Called for every host, in order.
   */
  take(index: number): Map<TargetName, HostPart> | undefined {
    const entry = this.nextEntry;
    if (this.plan.hosts[entry] !== index) return undefined;
    this.nextEntry++;
    const chunk = Math.floor(entry / CHUNK_HOSTS);
    const parts = this.readyChunk(chunk);
    if (entry === Math.min((chunk + 1) * CHUNK_HOSTS, this.plan.hosts.length) - 1) {
      this.ready.delete(chunk);
      this.heldHere.delete(chunk);
      Atomics.store(this.signal, SIGNAL.placed, chunk + 1);
      Atomics.notify(this.signal, SIGNAL.placed);
    }
    const hostParts = parts === GENERATE_HERE ? undefined : parts[entry - chunk * CHUNK_HOSTS];
    return hostParts && new Map(targetsOf(this.plan, entry).map((name, i) => [name, hostParts[i] as HostPart]));
  }

  /** Stops the thread at its next host (the build is done, or failed) and lets it end. */
  close(): void {
    Atomics.store(this.signal, SIGNAL.cancelled, 1);
    Atomics.notify(this.signal, SIGNAL.placed);
    this.port.close();
  }

  private readyChunk(chunk: number): HostPart[][] | typeof GENERATE_HERE {
    for (;;) {
      const seen = Atomics.load(this.signal, SIGNAL.results);
      const isStopped = Atomics.load(this.signal, SIGNAL.stopped) !== 0;
      this.receiveAll();
      const parts = this.ready.get(chunk);
      if (parts !== undefined) return parts;
      if (chunk >= Atomics.load(this.signal, SIGNAL.claimed)) {
        const claimed = Atomics.add(this.signal, SIGNAL.claimed, 1);
        if (claimed === chunk) return this.leaveHere(chunk);
        // The thread took this chunk meanwhile: the one claimed here is a later one.
        this.generateAhead(claimed);
        continue;
      }
      // The thread's chunk, not here yet.
      if (isStopped || this.isSilent) return this.leaveHere(chunk);
      if (this.heldHere.size < MAX_CHUNKS_HELD) {
        const claimed = Atomics.add(this.signal, SIGNAL.claimed, 1);
        if (claimed < this.chunkCount) {
          this.generateAhead(claimed);
          continue;
        }
      }
      if (Atomics.wait(this.signal, SIGNAL.results, seen, WAIT_MS) === 'timed-out') {
        // Gone without a word, or starved: either way, the chunks it claimed are generated here from now on, each
        // without another wait (a thread killed holding several would otherwise cost a wait each).
        this.isSilent = true;
        return this.leaveHere(chunk);
      }
    }
  }

  /** Generates a later chunk here, to be placed in its turn; one that throws is left to its turn, to throw in order. */
  private generateAhead(chunk: number): void {
    if (chunk >= this.chunkCount) return;
    this.heldHere.add(chunk);
    const parts: HostPart[][] = [];
    try {
      for (let entry = chunk * CHUNK_HOSTS; entry < Math.min((chunk + 1) * CHUNK_HOSTS, this.plan.hosts.length); entry++) {
        parts.push(generateHostParts(this.fleet, hostOf(this.fleet, this.plan, entry), targetsOf(this.plan, entry), this.options));
      }
      this.ready.set(chunk, parts);
    } catch {
      this.ready.set(chunk, GENERATE_HERE);
    }
  }

  /** A chunk generated here, host by host in its turn; should the thread's copy come later, it is dropped. */
  private leaveHere(chunk: number): typeof GENERATE_HERE {
    this.ready.set(chunk, GENERATE_HERE);
    return GENERATE_HERE;
  }

  private receiveAll(): void {
    for (let message = receiveMessageOnPort(this.port); message !== undefined; message = receiveMessageOnPort(this.port)) {
      const { chunk, parts, isFailed } = message.message as GeneratedChunk;
      if (this.ready.has(chunk) || chunk < Atomics.load(this.signal, SIGNAL.placed)) continue;
      if (isFailed || parts === undefined) {
        this.ready.set(chunk, GENERATE_HERE);
        continue;
      }
      for (const hostParts of parts) {
        for (const part of hostParts) for (const file of part.files) if (typeof file.content !== 'string') file.content = asBuffer(file.content);
      }
      this.ready.set(chunk, parts);
    }
  }
}
