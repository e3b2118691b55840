// The last step of `npm run build` (scripts/after-tsc.mjs), after tsc and the precompiling steps: the bin, dist/src/cli/main.js, bundled with
// every fleetgen module it loads into that one file (issue 10), and so is each module a build thread starts from
// (dist/src/write/<module>.js, THREAD_MODULES). Loading some 145 modules one by one took a third of a second of every
// run (`fleetgen --version` 0.37 s, bundled 0.28 s); one file is read and compiled at once.
//
// - The bin holds yargs too, with the packages it loads (BUNDLED_PACKAGES): ES modules all, some 45 files that every
//   command loaded one by one before it parsed its command line (a one-host rebuild of 1,000 hosts: 0.50 → 0.47 s).
//   yargs is so needed only to build fleetgen (a devDependency); the licenses of what the bundles hold are written
//   beside the bin (LICENSES_FILE). Its string-width is loaded when first used, by help, rather than by every command
//   (lazyStringWidth: some 25 ms).
// - The bin and the generating thread's module hold yaml as well, the one copy npm installed for the build: some 40
//   CommonJS files that every command resolved, read and compiled one by one (~20 ms). What yaml writes is part of
//   the output, so the code of the version that writes it is in what generatorDigest hashes, and the version that
//   parses keys the parse cache (YAML_VERSION below). A devDependency too.
// - The other packages fleetgen depends on stay where npm installs them: those loaded only when needed (handlebars'
//   compiler, ajv, re2js, random-words), which a bundle would load every time.
// - The other modules stay in dist/src as tsc wrote them: the tests import them.
// - A module that finds files by its own place does so from the folder one below the code's root (package-root.ts,
//   codeFolder): each bundle stays where tsc put its entry, one folder below dist/src.
// - The bin first: it imports constants of the thread modules, and is bundled from them as tsc wrote them.
import { readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The packages fleetgen itself imports that go into the bundles (with whatever they import in turn). */
const BUNDLED_PACKAGES = ['yargs', 'yaml'];
/** The packages a thread's module may hold: what the generating thread imports of them (it writes YAML). */
const THREAD_PACKAGES = ['yaml'];
/**
 * yaml is CommonJS, and requires Node's `process` module: in an ES module bundle, esbuild leaves such a require to a
 * `require` the bundle must have, which this line gives it (esbuild's own advice for CommonJS in an ESM bundle).
 */
const REQUIRE_BANNER = "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);";
/** Beside the bin: each package the bin holds, its version and its license text. */
const LICENSES_FILE = 'main.js.LICENSES.txt';
/** Where fleetgen's own modules are, as esbuild names an importer (its real path). */
const OWN_CODE = realpathSync(fileURLToPath(new URL('../dist/src/', import.meta.url))) + sep;
/** What the bundles hold of yaml, from where esbuild finds it: load/parse-cache.ts keys what it parses by it. */
const YAML_VERSION = JSON.parse(readFileSync(createRequire(OWN_CODE).resolve('yaml/package.json'), 'utf8')).version;

/**
 * A package fleetgen's own code imports is left to npm's node_modules unless it is one of BUNDLED_PACKAGES; what a
 * bundled package imports is bundled with it (Node's own modules aside, which esbuild never bundles for Node).
 */
const dependenciesOutside = {
  name: 'dependencies-outside',
  setup(bundle) {
    bundle.onResolve({ filter: /^[^./]/ }, ({ path, importer }) => {
      if (!importer.startsWith(OWN_CODE)) return undefined;
      const name = path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0];
      return BUNDLED_PACKAGES.includes(name) ? undefined : { external: true };
    });
  },
};

/**
 * string-width, which yargs, cliui and wrap-ansi import to measure help text, does costly work when it is loaded: an
 * Intl.Segmenter (ICU's break rules, ~10 ms) in each 7.x copy, five Unicode-property regular expressions (~17 ms) in the
 * 8.x one. Only help measures text. In the bin, each import of it gets a function that loads it (esbuild runs a bundled
 * module's code when it is first required) when first called, and calls it: the same module, the same answers, loaded
 * by the first command that measures a text rather than by every command.
 */
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(bundle) {
    bundle.onResolve({ filter: /^string-width$/ }, async ({ path, importer, kind, resolveDir, pluginData }) => {
      if (pluginData?.isLazyStringWidth === true) return undefined;
      const real = await bundle.resolve(path, { importer, kind, resolveDir, pluginData: { isLazyStringWidth: true } });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy-string-width' };
    });
    bundle.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, ({ path }) => ({
      contents: [
        'let stringWidth;',
        'export default function lazyStringWidth(string, options) {',
        `  stringWidth ??= require(${JSON.stringify(path)}).default;`,
        '  return stringWidth(string, options);',
        '}',
      ].join('\n'),
      resolveDir: dirname(path),
      loader: 'js',
    }));
  },
};

/**
 * The packages among a bundle's inputs (esbuild's metafile, paths relative to the working folder), each once, by name:
 * its folder and its package.json.
 */
function packagesIn(metafile) {
  const byName = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    // A module a plugin made (`lazy-string-width:<path>`) is not a package's file: the file it loads is an input too.
    if (/^[\w-]+:/.test(input)) continue;
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match === null) continue;
    const folder = resolve(match[1]);
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    byName.set(`${manifest.name}@${manifest.version}`, { folder, manifest });
  }
  return [...byName.keys()].sort().map((key) => byName.get(key));
}

/** What the licenses of the packages the bin holds ask for: each one's notice, as the package ships it. */
function licensesOf(packages) {
  const sections = packages.map(({ folder, manifest }) => {
    const file = readdirSync(folder).find((name) => /^licen[cs]e([.-]|$)/i.test(name));
    if (file === undefined) throw new Error(`bundle-cli: ${manifest.name} has no license file to put beside the bin`);
    return [`${manifest.name} ${manifest.version} (${manifest.license})`, '', readFileSync(join(folder, file), 'utf8').trim()].join('\n');
  });
  const head = 'fleetgen\'s bin (main.js) holds the code of these packages, each under its license below (its threads\' modules, in ../write, hold yaml\'s too).';
  return `${[head, ...sections].join(`\n\n${'-'.repeat(78)}\n\n`)}\n`;
}

const { THREAD_MODULES } = await import('../dist/src/write/thread-bootstrap.js');
const entries = ['cli/main.js', ...THREAD_MODULES.map((module) => `write/${module}.js`)];
for (const entry of entries) {
  const file = fileURLToPath(new URL(`../dist/src/${entry}`, import.meta.url));
  // Run again without tsc before it, this step finds the bundles it made (they import nothing by a relative path):
  // bundled again, they would hold no package, and the licenses file would lose what the bin holds.
  if (!/\b(?:from|import)\s*\(?\s*["']\.\.?\//.test(readFileSync(file, 'utf8'))) continue;
  const { metafile } = await build({
    entryPoints: [file],
    outfile: file,
    allowOverwrite: true,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    plugins: [dependenciesOutside, lazyStringWidth],
    metafile: true,
    // What a stack trace names is the code as written: no renaming, no minifying.
    minify: false,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'warning',
    banner: { js: REQUIRE_BANNER },
    define: { __FLEETGEN_YAML_VERSION__: JSON.stringify(YAML_VERSION) },
  });
  // A source map from an earlier build would describe the file before bundling.
  rmSync(`${file}.map`, { force: true });
  const packages = packagesIn(metafile);
  if (entry === 'cli/main.js') writeFileSync(join(dirname(file), LICENSES_FILE), licensesOf(packages));
  else {
    const others = packages.filter((p) => !THREAD_PACKAGES.includes(p.manifest.name));
    if (others.length > 0) throw new Error(`bundle-cli: ${entry} holds packages (${others.map((p) => p.manifest.name).join(', ')}) a thread's module is not meant to`);
  }
}
