// The last step of `npm run build` (scripts/after-tsc.mjs), after tsc and the precompiling steps: the bin, dist/src/cli/main.js, bundled with
// every fleetgen module it loads into that one file (issue 10), and so is each module a build thread starts from
// (dist/src/write/<module>.js, THREAD_MODULES). Loading some 145 modules one by one took a third of a second of every
// run (`fleetgen --version` 0.37 s, bundled 0.28 s); one file is read and compiled at once.
//
// - The packages fleetgen depends on stay where npm installs them (`packages: 'external'`): a bundle holds fleetgen's
//   own code only, and loads yargs, yaml, handlebars… as the modules did.
// - The other modules stay in dist/src as tsc wrote them: the tests import them.
// - A module that finds files by its own place does so from the folder one below the code's root (package-root.ts,
//   codeFolder): each bundle stays where tsc put its entry, one folder below dist/src.
// - The bin first: it imports constants of the thread modules, and is bundled from them as tsc wrote them.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const { THREAD_MODULES } = await import('../dist/src/write/thread-bootstrap.js');
const entries = ['cli/main.js', ...THREAD_MODULES.map((module) => `write/${module}.js`)];
for (const entry of entries) {
  const file = fileURLToPath(new URL(`../dist/src/${entry}`, import.meta.url));
  await build({
    entryPoints: [file],
    outfile: file,
    allowOverwrite: true,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    // What a stack trace names is the code as written: no renaming, no minifying.
    minify: false,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  // A source map from an earlier build would describe the file before bundling.
  rmSync(`${file}.map`, { force: true });
}
