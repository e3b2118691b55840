/**
 * The script a build's worker thread starts from (staging-thread.ts, generating-thread.ts, stat-ahead.ts), rather than from its
 * module itself: a module that cannot be loaded, or a thread that dies, still marks the thread stopped in the shared
 * signal (workerData.signal, at workerData.slots), so that the build, waiting for an answer, never waits forever.
 * `serve` is the function of workerData.module that the thread runs with its workerData.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import { packageRoot } from '../package-root.js';

export function threadBootstrap(serve: string): string {
  return `
const { workerData } = require('node:worker_threads');
const signal = new Int32Array(workerData.signal);
process.on('exit', () => {
  Atomics.store(signal, workerData.slots.stopped, 1);
  Atomics.add(signal, workerData.slots.results, 1);
  Atomics.notify(signal, workerData.slots.results);
});
import(workerData.module).then((module) => module.${serve}(workerData));
`;
}

/**
 * The modules of dist/src/write/ a build thread starts from: `npm run build` bundles each of them in place, with the
 * fleetgen modules it loads (scripts/bundle-cli.mjs), as it bundles the bin, so that a thread loads one file.
 */
export const THREAD_MODULES = ['stage-worker', 'stat-ahead-worker', 'generate-worker'] as const;
export type ThreadModule = (typeof THREAD_MODULES)[number];

/** What every build thread gets besides its own data: its end of the port, and the shared signal and its slots. */
interface ThreadBasics {
  port: MessagePort;
  signal: SharedArrayBuffer;
}

/**
 * Starts a build thread running `serve` of the compiled dist/src/write/<module>.js with `data`, its end of a new
 * port and the shared `signal` (whose `slots` say where it marks itself stopped: see threadBootstrap). Returns the
 * thread and the build's end of the port. The thread does not keep the process alive, and its own failure reaches
 * the build through the signal only. (`transfer`: more ports in `data`, moved to the thread; `moduleUrl`: tests run
 * another module instead.)
 */
export function startThread<Data extends ThreadBasics>(
  serve: string,
  module: ThreadModule,
  data: Omit<Data, keyof ThreadBasics>,
  signal: Int32Array,
  slots: Readonly<Record<string, number>>,
  options: { resourceLimits?: ResourceLimits; transfer?: readonly MessagePort[]; moduleUrl?: string } = {},
): { worker: Worker; port: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  const workerData = {
    ...data,
    port: port2,
    signal: signal.buffer as SharedArrayBuffer,
    // The compiled module, also under vitest (which runs src/*.ts, where a thread gets plain Node, which cannot load
    // TypeScript): vitest's global setup builds dist/ first.
    module: options.moduleUrl ?? pathToFileURL(join(packageRoot(), 'dist', 'src', 'write', `${module}.js`)).href,
    slots,
  };
  const { resourceLimits } = options;
  // execArgv: none of the build's own Node options (a profiler, a preloaded module) are meant for a thread.
  const worker = new Worker(threadBootstrap(serve), { eval: true, workerData, transferList: [port2, ...(options.transfer ?? [])], execArgv: [], ...(resourceLimits ? { resourceLimits } : {}) });
  // The event (delivered only after the build may have returned) must not become an uncaught exception.
  worker.on('error', () => {});
  worker.unref();
  return { worker, port: port1 };
}
