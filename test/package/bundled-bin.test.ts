/**
 * The bin `npm run build` leaves (scripts/bundle-cli.mjs): dist/src/cli/main.js holds every fleetgen module a run
 * loads, so that a run reads one file rather than some 145 (issue 10), and yargs with the packages it loads (another
 * 45 ES modules), whose licenses lie beside it; the other packages fleetgen depends on stay outside it; so does each
 * module a build thread starts from. What the bundled modules find by their own place (the precompiled validator and
 * templates) is checked by precompiled-schema.test.ts and precompiled-templates.test.ts, which run this bin.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, EXAMPLE_DIR, REPO } from '../cli/fleetgen.js';
import { esModulesLoadedBy, textMeasuringSetUpBy, v8FlagsSetBy } from '../support/modules-loaded.js';
import { writeScaleFleet } from '../../bench/scale-fleet.js';
import { INTERRUPT_BUDGET, USUAL_INTERRUPT_BUDGET } from '../../src/write/tiering.js';
import { THREAD_MODULES } from '../../src/write/thread-bootstrap.js';

/** An import of a module by a relative path (`from './x.js'`, `import('../y.js')`). */
const RELATIVE_IMPORT = /\b(?:from|import)\s*\(?\s*["']\.\.?\//g;
/** The comment esbuild puts before the code of each module it bundles from a package: the package's name. */
const PACKAGE_MODULE = /^\/\/ (?:\S*\/)?node_modules\/((?:@[^/\s]+\/)?[^/\s]+)\//gm;
/** A package fleetgen's own code imports (`from 'yaml'`), by name. */
const PACKAGE_IMPORT = /^import\b[^;]*?\bfrom\s*"((?:@[^/"]+\/)?[^/"]+)(?:\/[^"]*)?";$/gm;

function packagesHeldBy(code: string): string[] {
  return [...new Set([...code.matchAll(PACKAGE_MODULE)].map((match) => match[1] as string))].sort();
}

describe('the bundled bin', () => {
  it('is one file: it imports none of fleetgen’s modules by a relative path', () => {
    const code = readFileSync(BIN, 'utf8');
    expect(code.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(code.match(RELATIVE_IMPORT) ?? []).toEqual([]);
    // It is the bundle, not tsc's main.js (which imports ./early-start.js and ../write/heap-growth.js).
    expect(code).toContain('function startStatAheadEarly(');
    expect(code).toContain('function compileFleet(');
  });

  it('has each module a build thread starts from bundled as well', () => {
    for (const module of THREAD_MODULES) {
      const code = readFileSync(join(REPO, 'dist', 'src', 'write', `${module}.js`), 'utf8');
      expect(code.match(RELATIVE_IMPORT) ?? [], module).toEqual([]);
    }
    // The stat-ahead thread's module holds what it imports of the build cache (tsc's imports it from ./cache.js).
    expect(readFileSync(join(REPO, 'dist', 'src', 'write', 'stat-ahead-worker.js'), 'utf8')).toContain('function forEachPartInText(');
  });

  it('holds yargs and yaml with what they load, and leaves every other package to node_modules; of the threads’ modules, the generating one holds yaml', () => {
    const code = readFileSync(BIN, 'utf8');
    const held = packagesHeldBy(code);
    expect(held).toEqual(expect.arrayContaining(['yargs', 'yargs-parser', 'cliui', 'y18n', 'yaml']));
    // None of the packages npm installs with fleetgen is in the bin: each is loaded from node_modules, when needed.
    const { dependencies, devDependencies } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<'dependencies' | 'devDependencies', Record<string, string>>;
    expect(Object.keys(dependencies)).toEqual(expect.arrayContaining(['handlebars', 'ajv']));
    expect(held.filter((name) => Object.hasOwn(dependencies, name))).toEqual([]);
    // What the bundles hold is needed only to build fleetgen.
    expect(Object.keys(devDependencies)).toEqual(expect.arrayContaining(['yargs', 'yaml']));
    // No package is imported by the bin as it loads (Node's own modules aside): the others are required where needed.
    expect([...code.matchAll(PACKAGE_IMPORT)].map((match) => match[1] as string).filter((name) => !isBuiltin(name))).toEqual([]);
    for (const module of THREAD_MODULES) {
      const holds = packagesHeldBy(readFileSync(join(REPO, 'dist', 'src', 'write', `${module}.js`), 'utf8'));
      expect(holds, module).toEqual(module === 'generate-worker' ? ['yaml'] : []);
    }
  });

  it('keys the parse cache by the version of the yaml it holds, the one npm installed for the build', () => {
    const code = readFileSync(BIN, 'utf8');
    const { version } = JSON.parse(readFileSync(join(REPO, 'node_modules', 'yaml', 'package.json'), 'utf8')) as { version: string };
    expect(readFileSync(`${BIN}.LICENSES.txt`, 'utf8')).toContain(`\nyaml ${version} (ISC)\n`);
    // scripts/bundle-cli.mjs defines the version load/parse-cache.ts reads; nothing is left to read at run time.
    expect(code).not.toContain('__FLEETGEN_YAML_VERSION__');
    expect(code).toMatch(new RegExp(`\\bYAML_VERSION = .*${JSON.stringify(version).replaceAll('.', '\\.')}`));
  });

  it('has the license of each package it holds beside it, with the text the package ships', () => {
    const held = packagesHeldBy(readFileSync(BIN, 'utf8'));
    const licenses = readFileSync(`${BIN}.LICENSES.txt`, 'utf8');
    const named = [...licenses.matchAll(/^(\S+) \d+\.\d+\.\d+\S* \((MIT|ISC|[^)]+)\)$/gm)].map((match) => match[1] as string);
    expect([...new Set(named)].sort()).toEqual(held);
    const yargsLicense = readFileSync(join(REPO, 'node_modules', 'yargs', 'LICENSE'), 'utf8').trim();
    expect(licenses).toContain(yargsLicense);
  });

  it('loads string-width (yargs’ measure of help text) only to print help: no segmenter nor Unicode-set regexp otherwise', async () => {
    // Loaded, string-width makes an Intl.Segmenter (7.x, through cliui and wrap-ansi) or five `v` regexps (8.x, yargs'
    // own): some 25 ms of every command. The bin loads each copy when first called (scripts/bundle-cli.mjs,
    // lazyStringWidth).
    for (const args of [['--version'], ['validate', join(EXAMPLE_DIR, 'fleet.yaml')]]) {
      const run = await textMeasuringSetUpBy(args);
      expect(run.result.status, args.join(' ')).toBe(0);
      expect({ segmenters: run.segmenters, setRegExps: run.setRegExps }, args.join(' ')).toEqual({ segmenters: 0, setRegExps: 0 });
    }
    // Help lays out its columns by the widths string-width measures: a copy is loaded then, and makes its segmenter.
    const help = await textMeasuringSetUpBy(['build', '--help']);
    expect(help.result.status).toBe(0);
    expect(help.result.stdout).toMatch(/^ +--out +output folder/m);
    expect(help.segmenters).toBeGreaterThanOrEqual(1);
    expect(help.segmenters).toBeLessThanOrEqual(3);
  });

  it('sets V8’s larger interrupt budget for a rebuild, first, and back for one that regenerates many hosts; not for a first build, nor when Node was given one (write/tiering.ts)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetgen-tiering-'));
    try {
      const budgets = (run: Awaited<ReturnType<typeof v8FlagsSetBy>>): string[] => run.flags.map(({ flags }) => flags).filter((flags) => /interrupt.budget/.test(flags));
      // Hosts enough for a build to start its threads (generating, staging).
      writeScaleFleet(dir, 500);
      const build = ['build', join(dir, 'fleet.yaml'), '--out', join(dir, 'out')];
      // A first build works for seconds at scale: V8's own budget.
      const first = await v8FlagsSetBy(build);
      expect(first.result.status, first.result.stderr).toBe(0);
      expect(first.threads).toBeGreaterThanOrEqual(1);
      expect(budgets(first)).toEqual([]);
      // A rebuild: the larger budget, before anything else and before any thread starts.
      const rebuild = await v8FlagsSetBy(build);
      expect(rebuild.result.status, rebuild.result.stderr).toBe(0);
      expect(rebuild.flags[0]).toEqual({ flags: `--interrupt-budget=${INTERRUPT_BUDGET}`, isBeforeAnyThread: true });
      expect(budgets(rebuild)).toEqual([`--interrupt-budget=${INTERRUPT_BUDGET}`]);
      // A rebuild that regenerates every host (another port for each), as long as a first build: back to the usual one.
      writeScaleFleet(dir, 500, { withSecrets: false, port: 9090 });
      const everyHost = await v8FlagsSetBy(build);
      expect(everyHost.result.status, everyHost.result.stderr).toBe(0);
      expect(everyHost.threads).toBeGreaterThanOrEqual(1);
      expect(budgets(everyHost)).toEqual([`--interrupt-budget=${INTERRUPT_BUDGET}`, `--interrupt-budget=${USUAL_INTERRUPT_BUDGET}`]);
      // Given by whoever started Node, the budget is theirs: the bin sets none, nor sets one back.
      for (const given of ['--interrupt-budget=500000', '--interrupt_budget=500000']) {
        writeScaleFleet(dir, 500, { withSecrets: false, port: given.includes('_') ? 9091 : 9092 });
        const run = await v8FlagsSetBy(build, [given]);
        expect(run.result.status, given).toBe(0);
        expect(budgets(run), given).toEqual([]);
      }
      // Nor does any other command (`validate` of the same 500 hosts works for as long as a first build does).
      expect(budgets(await v8FlagsSetBy(['validate', join(dir, 'fleet.yaml')]))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads no module of dist/src but itself when it validates a manifest, nor any of yargs or yaml', async () => {
    const { status, urls, stderr } = await esModulesLoadedBy(['validate', join(EXAMPLE_DIR, 'fleet.yaml')]);
    expect(stderr).toContain('valid');
    expect(status).toBe(0);
    const ours = urls.filter((url) => url.startsWith(pathToFileURL(join(REPO, 'dist')).href));
    expect(ours).toEqual([pathToFileURL(BIN).href]);
    // yargs and what it loads are in the bin: no module of theirs is loaded (some 45 ES modules were, one by one).
    const held = packagesHeldBy(readFileSync(BIN, 'utf8'));
    expect(urls.filter((url) => held.some((name) => url.includes(`/node_modules/${name}/`)))).toEqual([]);
    expect(held).toContain('yaml');
  });
});
