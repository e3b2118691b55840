/**
 * When V8 optimizes fleetgen's functions: later than it would by default in a rebuild, which mostly lasts a second.
 *
 * V8 counts the bytecode each function runs and, every `--interrupt-budget` of it (66 KB in Node 20's V8), looks at
 * whether the function is hot enough to be optimized by TurboFan, on a thread of its own. For a short run, most of what
 * it optimizes that way is over before the optimized code pays for its compilation: a one-host rebuild of 10,000 hosts
 * spent 0.3 s of CPU on TurboFan's threads (perf, on its 1.1 s), on a machine whose second core the stat-ahead thread
 * and the garbage collector's helpers need. A budget some 15 times larger leaves TurboFan the functions that really run
 * long (measured on 2 cores, tmpfs, medians; `node --interrupt-budget=…` and this module alike):
 *
 * - one-host rebuild, 10,000 hosts: 1.105 → 1.030 s wall, CPU 1.96 → 1.77 s (24 builds each, alternated);
 * - one-host rebuild, 1,000 hosts: 0.425 → 0.365 s, CPU 0.665 → 0.575 s (20 each).
 *
 * Twice the budget (2,000,000) was slower again (1.115 s against 1.045 s at 10,000 hosts), as was 3,000,000; 700,000
 * and 1,500,000 were as good as 1,000,000. A run that works for seconds is the other way round: `fleetgen validate` of
 * 10,000 hosts took 2.77 → 3.1 s with it (three runs each; 300,000 as well); a first build of them, within this
 * machine's noise run against run (7.5–9.4 s either way), took 7.5–7.9 → 8.4–8.5 s in two runs of npm run
 * bench:scale. So the bin sets the budget for a rebuild into out/ only (tierUpLater), and a rebuild that turns out to
 * regenerate many hosts, as long as a first build, sets it back (tierUpAsUsual).
 */
import { setFlagsFromString } from 'node:v8';

/** V8's interrupt budget for a rebuild (bytes of bytecode between two looks at a function's hotness). */
export const INTERRUPT_BUDGET = 1_000_000;

/**
 * The budget a long run goes back to: Node 20's V8's own default. (V8 has no way to read a flag; a later V8's default
 * may differ, and a run there goes back to this one, which is as eager or more.)
 */
export const USUAL_INTERRUPT_BUDGET = 67_584;

let isLater = false;

/**
 * Sets the larger budget for the rest of the process and its threads (V8's flags are the process's), unless Node was
 * started with one (`node --interrupt-budget=… fleetgen`: whoever set it knows better). First thing in the bin: a
 * function's budget is re-armed each time it runs out, so the functions set up before take it on at their next look.
 */
export function tierUpLater(execArgv: readonly string[] = process.execArgv): void {
  if (isBudgetGiven(execArgv)) return;
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
  isLater = true;
}

/** Back to the usual budget, when tierUpLater set the larger one: for a rebuild that generates as much as a first build. */
export function tierUpAsUsual(): void {
  if (!isLater) return;
  setFlagsFromString(`--interrupt-budget=${USUAL_INTERRUPT_BUDGET}`);
  isLater = false;
}

function isBudgetGiven(execArgv: readonly string[]): boolean {
  return execArgv.some((arg) => /^--interrupt[-_]budget(=|$)/.test(arg));
}
