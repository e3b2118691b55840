/**
 * The script a build's worker thread starts from (staging-thread.ts, generating-thread.ts), rather than from its
 * module itself: a module that cannot be loaded, or a thread that dies, still marks the thread stopped in the shared
 * signal (workerData.signal, at workerData.slots), so that the build, waiting for an answer, never waits forever.
 * `serve` is the function of workerData.module that the thread runs with its workerData.
 */
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
