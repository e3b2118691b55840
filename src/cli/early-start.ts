/**
 * What `fleetgen` starts before it loads the rest of itself: the stat-ahead thread of a `fleetgen build` into out/
 * (write/stat-ahead.ts). Loading fleetgen's modules takes the main thread some 150 ms; started first, the thread reads
 * the cache and looks at the cached files meanwhile, on the second core, and its report is there before the build
 * asks for it.
 *
 * The command line is read here by a few plain rules, without yargs (loading it is part of what is being overlapped):
 * a guess, never a decision. The build command, once yargs has parsed the line, takes the thread only when it is for
 * the very folder the build writes into (takeEarlyStatAhead); otherwise it is closed unused. A guess that is wrong
 * costs the second core some reading, nothing else: the thread only reads.
 */
import { resolve } from 'node:path';
import { StatAhead } from '../write/stat-ahead.js';

/** A stat-ahead thread started before the command line was parsed, and the folder it was started for. */
export interface EarlyStatAhead {
  out: string;
  statAhead: StatAhead;
}

/** `build`'s default --out (cli/commands/build.ts). */
const DEFAULT_OUT = 'out';

/**
 * The folder a build into out/ writes into, as the arguments (argv without node and the script) plainly say:
 * `build`, then no --check, --dry-run, --stdout, --help or --version, and --out given at most once (as `--out X` or
 * `--out=X`; `out` when not given). Undefined for anything else, or anything less plain.
 */
export function buildOutOf(args: readonly string[]): string | undefined {
  if (args[0] !== 'build') return undefined;
  let out: string | undefined;
  for (let index = 1; index < args.length; index++) {
    const arg = args[index] as string;
    // After `--` every word is a positional: nothing more to see.
    if (arg === '--') break;
    if (!arg.startsWith('-')) continue;
    const name = arg.replace(/^--?/, '').split('=')[0] ?? '';
    if (/^(no-)?(check|dry-run|dryRun|stdout|help|h|version)$/.test(name)) return undefined;
    if (name !== 'out') continue;
    if (out !== undefined) return undefined;
    const equals = arg.indexOf('=');
    out = equals === -1 ? args[++index] : arg.slice(equals + 1);
    if (out === undefined || out === '' || out.startsWith('-')) return undefined;
  }
  return out ?? DEFAULT_OUT;
}

/** The thread for the build `argv` (node, script, arguments…) plainly asks for, started now; undefined when there is none to start. */
export function startStatAheadEarly(argv: readonly string[]): EarlyStatAhead | undefined {
  const out = buildOutOf(argv.slice(2));
  if (out === undefined) return undefined;
  try {
    const statAhead = StatAhead.start(out);
    return statAhead === undefined ? undefined : { out, statAhead };
  } catch {
    // A thread that cannot start is no loss: the build starts its own, or goes without.
    return undefined;
  }
}

/**
 * The early thread, when it was started for `out` (the --out of a build into out/, as yargs parsed it; undefined: not
 * a build into out/); otherwise it is closed and undefined is returned (a build starts its own).
 */
export function takeEarlyStatAhead(early: EarlyStatAhead | undefined, out: string | undefined): StatAhead | undefined {
  if (early === undefined) return undefined;
  if (out !== undefined && resolve(early.out) === resolve(out)) return early.statAhead;
  early.statAhead.close();
  return undefined;
}
