/**
 * When V8 optimizes fleetgen's functions: later than it would by default, since a run lasts a second or a few.
 *
 * V8 counts the bytecode each function runs and, every `--interrupt-budget` of it (66 KB in Node 20's V8), looks at
 * whether the function is hot enough to be optimized by TurboFan, on a thread of its own. For a short run, most of what
 * it optimizes that way is over before the optimized code pays for its compilation: a one-host rebuild of 10,000 hosts
 * spent 0.3 s of CPU on TurboFan's threads (perf, on its 1.1 s), on a machine whose second core the stat-ahead thread
 * and the garbage collector's helpers need. A budget some 15 times larger leaves TurboFan the functions that really run
 * long (measured on 2 cores, tmpfs, medians; `node --interrupt-budget=…` and this module alike):
 *
 * - one-host rebuild, 10,000 hosts: 1.195 → 1.110 s wall, CPU 2.045 → 1.870 s (16 builds each, alternated);
 * - one-host rebuild, 1,000 hosts: 0.390 → 0.345 s, CPU 0.615 → 0.530 s (20 each);
 * - cold build, 1,000 hosts: 1.36 → 1.20 s, CPU 2.35 → 1.89 s (8 each); 10,000 hosts: the same within noise (4 each).
 *
 * Twice the budget (2,000,000) was slower again (1.115 s against 1.045 s at 10,000 hosts), as was 3,000,000; 700,000
 * and 1,500,000 were as good as 1,000,000.
 */
import { setFlagsFromString } from 'node:v8';

/** V8's interrupt budget for fleetgen's runs (bytes of bytecode between two looks at a function's hotness). */
export const INTERRUPT_BUDGET = 1_000_000;

/**
 * Sets V8's interrupt budget for the rest of the process and its threads (V8's flags are the process's), unless Node
 * was started with one (`node --interrupt-budget=… fleetgen`: whoever set it knows better). First thing in the bin:
 * functions set up before keep the budget they were given.
 */
export function tierUpLater(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((arg) => /^--interrupt[-_]budget(=|$)/.test(arg))) return;
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
}
