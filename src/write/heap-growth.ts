/**
 * How far V8 lets the heap grow before its next full collection, as a build sets it.
 *
 * A first build of thousands of hosts allocates many times what stays live, in short-lived text; V8's own growth lets
 * such a heap reach several times its live data (a 10,000-host build went past 700 MB resident). So every run starts
 * with the heap growing by half of what is live at each full collection (main.ts), which keeps that build near 430 MB
 * at no measurable cost in time. A rebuild that regenerates few hosts is the other way round: what it allocates mostly
 * stays live to its end (the model, the cache and record it read), so a full collection at every half finds little to
 * free; at 10,000 hosts they cost a one-host rebuild about 0.35 s of CPU. So a rebuild lets V8 grow the heap its own
 * way, and once it finds many hosts to regenerate goes back to the slow growth, after one full collection, so that
 * generating them starts from what is live rather than from what the free growth let pile up.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export type HeapGrowth = 'slow' | 'free';

let growth: HeapGrowth = 'slow';

/** By half of what is live: what every run starts with (main.ts), and what generating many hosts needs. */
export function growHeapSlowly(): void {
  const wasFree = growth === 'free';
  setFlagsFromString('--heap-growing-percent=50');
  growth = 'slow';
  if (wasFree) collectGarbage();
}

/** V8's own growth (the flag's default, 0): for a rebuild, whose heap is mostly what stays live. */
export function growHeapFreely(): void {
  setFlagsFromString('--heap-growing-percent=0');
  growth = 'free';
}

/** How the heap grows now (for tests). */
export function heapGrowth(): HeapGrowth {
  return growth;
}

/**
 * A full collection now. The flag makes `gc` a global of every context made from here on (not of this one): the one
 * way a running process can ask V8 for a collection.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
