/**
 * A generating thread that goes silent (generating-thread.test.ts): it claims every chunk there is, as a thread does
 * when it starts ahead of the build, then never posts one and does not stop — as a thread killed for memory, where no
 * exit handler runs, looks to the build. It only ends when the build closes it.
 */
export function serveGenerating(workerData) {
  const signal = new Int32Array(workerData.signal);
  const { slots } = workerData;
  // 16 hosts a chunk (generate-worker.ts, CHUNK_HOSTS): more claims than chunks are harmless, as the build's own are.
  Atomics.add(signal, slots.claimed, Math.ceil(workerData.plan.hosts.length / 16));
  while (Atomics.load(signal, slots.cancelled) === 0) Atomics.wait(signal, slots.placed, Atomics.load(signal, slots.placed), 100);
}
