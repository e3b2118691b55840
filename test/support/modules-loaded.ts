import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN } from '../cli/fleetgen.js';
import { runCommand, type CommandResult } from './run-command.js';

/**
 * Runs the built bin (dist/src/cli/main.js, bundled as it ships) with `args`, as a user would (after Node's own
 * `nodeArgs`), with the modules `probes(list)` gives (file name → source) written to a folder of their own, the first
 * of them given to Node's --import; then reads what they wrote to `list`. Undefined for the list when they wrote none.
 */
async function runBinWithProbe(
  args: readonly string[],
  probes: (list: string, dir: string) => Record<string, string>,
  nodeArgs: readonly string[] = [],
): Promise<{ result: CommandResult; list: string | undefined }> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-probe-'));
  try {
    const list = join(dir, 'loaded.txt');
    const files = Object.entries(probes(list, dir));
    for (const [name, source] of files) writeFileSync(join(dir, name), source);
    const [first] = files;
    if (first === undefined) throw new Error('no probe to give to --import');
    const result = await runCommand(process.execPath, [...nodeArgs, '--import', join(dir, first[0]), BIN, ...args], { timeoutMs: 60_000 });
    let text: string | undefined;
    try {
      text = readFileSync(list, 'utf8');
    } catch {
      text = undefined;
    }
    return { result, list: text };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The bin's exit code for `args`, and which modules matching `pattern` the process loaded (ESM imports of CommonJS
 * packages go through require's cache too): the probe writes them out as the process exits.
 */
export async function modulesLoadedBy(args: readonly string[], pattern: RegExp): Promise<{ code: number; loaded: string[] }> {
  const { result, list } = await runBinWithProbe(args, (list) => ({
    'probe.mjs': [
      "import { createRequire } from 'node:module';",
      "import { writeFileSync } from 'node:fs';",
      'const { cache } = createRequire(import.meta.url);',
      `process.on('exit', () => writeFileSync(${JSON.stringify(list)}, JSON.stringify(Object.keys(cache))));`,
    ].join('\n'),
  }));
  if (list === undefined) throw new Error(`the probe wrote no list of modules (status ${String(result.status)}):\n${result.stdout}${result.stderr}`);
  return { code: result.status ?? -1, loaded: (JSON.parse(list) as string[]).filter((path) => pattern.test(path)) };
}

/** The URLs of the ES modules a run of the bin with `args` loads (a loader hook notes each as it is loaded). */
export async function esModulesLoadedBy(args: readonly string[]): Promise<{ status: number | null; urls: string[]; stderr: string }> {
  const { result, list } = await runBinWithProbe(args, (list, dir) => ({
    'register.mjs': `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
    'hooks.mjs': [
      "import { appendFileSync } from 'node:fs';",
      `export async function load(url, context, next) { appendFileSync(${JSON.stringify(list)}, url + '\\n'); return next(url, context); }`,
    ].join('\n'),
  }));
  return { status: result.status, urls: (list ?? '').split('\n').filter(Boolean), stderr: result.stderr };
}

/**
 * What a run of the bin with `args` sets up for measuring Unicode text, as string-width does when it is loaded: how many
 * Intl.Segmenter objects it makes, and how many regular expressions with the `v` flag (Unicode sets and properties of
 * strings) it makes with the RegExp constructor. A probe counts the constructors' calls and writes the numbers out as
 * the process exits.
 */
export async function textMeasuringSetUpBy(args: readonly string[]): Promise<{ result: CommandResult; segmenters: number; setRegExps: number }> {
  const { result, list } = await runBinWithProbe(args, (list) => ({
    'probe.mjs': [
      "import { writeFileSync } from 'node:fs';",
      'let segmenters = 0;',
      'let setRegExps = 0;',
      'Intl.Segmenter = new Proxy(Intl.Segmenter, { construct(target, args, newTarget) { segmenters++; return Reflect.construct(target, args, newTarget); } });',
      "globalThis.RegExp = new Proxy(RegExp, { construct(target, args, newTarget) { if (String(args[1] ?? '').includes('v')) setRegExps++; return Reflect.construct(target, args, newTarget); } });",
      `process.on('exit', () => writeFileSync(${JSON.stringify(list)}, JSON.stringify({ segmenters, setRegExps })));`,
    ].join('\n'),
  }));
  if (list === undefined) throw new Error(`the probe wrote no counts (status ${String(result.status)}):\n${result.stdout}${result.stderr}`);
  return { result, ...(JSON.parse(list) as { segmenters: number; setRegExps: number }) };
}

/**
 * The V8 flags a run of the bin with `args` sets for itself (node:v8's setFlagsFromString), in order, whether each was
 * set before the first thread started, and how many threads (worker_threads) the run started: the probe wraps the
 * function and the Worker constructor before the bin loads (syncBuiltinESMExports hands the bin's
 * `import { setFlagsFromString } from 'node:v8'` the wrapper), and writes what they saw as the process exits.
 * `nodeArgs`: Node's own options, before the bin.
 */
export async function v8FlagsSetBy(
  args: readonly string[],
  nodeArgs: readonly string[] = [],
): Promise<{ result: CommandResult; flags: { flags: string; isBeforeAnyThread: boolean }[]; threads: number }> {
  const { result, list } = await runBinWithProbe(
    args,
    (list) => ({
      'probe.mjs': [
        "import { writeFileSync } from 'node:fs';",
        "import { createRequire, syncBuiltinESMExports } from 'node:module';",
        'const require = createRequire(import.meta.url);',
        "const v8 = require('node:v8');",
        "const threads = require('node:worker_threads');",
        'const set = [];',
        'let threadsStarted = 0;',
        'const setFlags = v8.setFlagsFromString;',
        'v8.setFlagsFromString = (flags) => { set.push({ flags, isBeforeAnyThread: threadsStarted === 0 }); return setFlags(flags); };',
        'const Worker = threads.Worker;',
        'threads.Worker = class extends Worker { constructor(...args) { threadsStarted++; super(...args); } };',
        'syncBuiltinESMExports();',
        `process.on('exit', () => writeFileSync(${JSON.stringify(list)}, JSON.stringify({ set, threadsStarted })));`,
      ].join('\n'),
    }),
    nodeArgs,
  );
  if (list === undefined) throw new Error(`the probe wrote no flags (status ${String(result.status)}):\n${result.stdout}${result.stderr}`);
  const { set, threadsStarted } = JSON.parse(list) as { set: { flags: string; isBeforeAnyThread: boolean }[]; threadsStarted: number };
  return { result, flags: set, threads: threadsStarted };
}
