/**
 * The generating thread's side (generating-thread.ts has the build's side): generates hosts' parts ahead of the
 * build, a chunk of hosts at a time, claiming each chunk from the counter the build's own thread claims from too, and
 * posts each chunk's parts as it finishes it. It never runs more than MAX_CHUNKS_AHEAD chunks ahead of the chunk the
 * build is placing, so that what waits in memory stays bounded however slow placing is.
 *
 * A chunk whose generating throws is posted as failed, without the error: the build generates that chunk again on its
 * own thread, in host order, and so throws the error it would have thrown without this thread (its class included,
 * which a message would not carry), after placing exactly the hosts it would have placed before it.
 */
import type { MessagePort } from 'node:worker_threads';
import { TARGET_PARTS } from '../build.js';
import { InternalError } from '../diagnostics/diagnostic.js';
import type { Fleet, Host } from '../model/fleet.js';
import { shareHostState } from '../targets/common/host-state.js';
import type { GeneratedFile } from '../targets/fileset.js';
import { TARGET_NAMES, type HostOutput, type TargetName, type TargetOptions, type TargetWarning } from '../targets/target.js';

/** One target's part of one host, as the build places it: TARGET_PARTS[name].host with its files listed. */
export interface HostPart {
  files: GeneratedFile[];
  summary: unknown;
  warnings: TargetWarning[];
}

/** Hosts in a chunk: a message per chunk, and a chunk of work (some tens of milliseconds) per claim. */
export const CHUNK_HOSTS = 16;
/** How many chunks past the one the build is placing the thread may generate: what it holds in memory at most. */
export const MAX_CHUNKS_AHEAD = 8;

/** Int32 slots of the shared signal buffer. */
export const SIGNAL = {
  /** The next chunk nobody has claimed yet: each side takes one with Atomics.add. */
  claimed: 0,
  /** Chunks the build has placed: the thread waits on it when it is MAX_CHUNKS_AHEAD ahead. */
  placed: 1,
  /** Bumped (and notified) after every chunk the thread posts, and when it stops. */
  results: 2,
  /** Set when the thread has stopped (done, failed to start, or crashed). */
  stopped: 3,
  /** Set by the build when it needs nothing more (it failed, or it is done): the thread stops at the next host. */
  cancelled: 4,
} as const;
export const SIGNAL_SLOTS = 5;

/** Which hosts to generate ahead: plan entry i is fleet.hosts[hosts[i]], for the targets in bit mask targets[i]. */
export interface GeneratePlan {
  hosts: Int32Array;
  /** Bit n: TARGET_NAMES[n]. */
  targets: Uint8Array;
}

export interface GenerateWorkerData {
  port: MessagePort;
  signal: SharedArrayBuffer;
  fleet: Fleet;
  options: TargetOptions;
  plan: GeneratePlan;
}

/** A chunk's parts, one array per plan entry in the order of its targets; or `isFailed` (see the module comment). */
export interface GeneratedChunk {
  chunk: number;
  parts?: HostPart[][];
  isFailed?: boolean;
}

/** The targets of plan entry `entry`, in TARGET_NAMES order. */
export function targetsOf(plan: GeneratePlan, entry: number): TargetName[] {
  const mask = plan.targets[entry] ?? 0;
  return TARGET_NAMES.filter((_, bit) => (mask & (1 << bit)) !== 0);
}

/** The host of plan entry `entry`. */
export function hostOf(fleet: Fleet, plan: GeneratePlan, entry: number): Host {
  const host = fleet.hosts[plan.hosts[entry] ?? -1];
  if (host === undefined) throw new InternalError(`the plan of hosts to generate ahead has no host at entry ${entry}`);
  return host;
}

/** The parts of one host, generated with its host state shared between the targets, as the build does. */
export function generateHostParts(fleet: Fleet, host: Host, targets: readonly TargetName[], options: TargetOptions): HostPart[] {
  return shareHostState(host, () => targets.map((name) => hostPartOf(TARGET_PARTS[name].host(fleet, host, options))));
}

/** A target's output for one host as the build places it (and as this thread posts it). */
export function hostPartOf(output: HostOutput<unknown>): HostPart {
  return { files: output.files.list(), summary: output.summary, warnings: output.warnings };
}

/** Generates every chunk it can claim, then closes its port (which ends the thread). */
export function serveGenerating({ port, signal: buffer, fleet, options, plan }: GenerateWorkerData): void {
  const signal = new Int32Array(buffer);
  const chunkCount = Math.ceil(plan.hosts.length / CHUNK_HOSTS);
  withBuffers(fleet);
  for (;;) {
    const chunk = Atomics.add(signal, SIGNAL.claimed, 1);
    if (chunk >= chunkCount) break;
    for (let placed = Atomics.load(signal, SIGNAL.placed); chunk >= placed + MAX_CHUNKS_AHEAD && Atomics.load(signal, SIGNAL.cancelled) === 0; placed = Atomics.load(signal, SIGNAL.placed)) {
      Atomics.wait(signal, SIGNAL.placed, placed);
    }
    const parts: HostPart[][] = [];
    let isFailed = false;
    for (let entry = chunk * CHUNK_HOSTS; entry < Math.min((chunk + 1) * CHUNK_HOSTS, plan.hosts.length); entry++) {
      if (Atomics.load(signal, SIGNAL.cancelled) !== 0) break;
      try {
        parts.push(generateHostParts(fleet, hostOf(fleet, plan, entry), targetsOf(plan, entry), options));
      } catch {
        isFailed = true;
        break;
      }
    }
    if (Atomics.load(signal, SIGNAL.cancelled) !== 0) break;
    const message: GeneratedChunk = isFailed ? { chunk, isFailed } : { chunk, parts };
    port.postMessage(message);
    Atomics.add(signal, SIGNAL.results, 1);
    Atomics.notify(signal, SIGNAL.results);
  }
  port.close();
}

/**
 * Structured cloning (how the fleet reaches this thread) turns a Buffer into a plain Uint8Array, whose toString()
 * gives its bytes as comma-separated numbers: the fleet's Buffers (a repository key's content) become Buffers again,
 * as views of the same bytes. (The model is otherwise plain data: objects, arrays, strings, numbers, booleans.)
 */
function withBuffers(fleet: Fleet): void {
  // No set of objects seen: the model has no cycles (the build fingerprints it with JSON.stringify), and a set of a
  // 10,000-host fleet's objects would cost tens of megabytes at the very start.
  const visit = (node: object): void => {
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (value instanceof Uint8Array) record[key] = asBuffer(value);
      else if (value !== null && typeof value === 'object') visit(value);
    }
  };
  visit(fleet);
}

/** The same bytes as a Buffer (a generated file's binary content comes back from the thread as a Uint8Array). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
