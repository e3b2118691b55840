/**
 * How fleetgen's stages scale with fleet size, in-process: compiling the manifest, generating every target, and the
 * first write and a rebuild with nothing changed as `fleetgen build` does them. Each figure is reported as a ratio
 * against a baseline measured in the same run on the same manifest (parsing its YAML text with the yaml library and
 * nothing else), so numbers from different machines compare. Not a test: nothing here fails on a slow machine.
 * `npm run bench` runs it, then the scale bench (fleet-scale.bench.ts: the built CLI, issue 10's figures).
 *
 *   node dist/bench/build.bench.js           # fleets of 100, 1,000 and 5,000 hosts
 *   node dist/bench/build.bench.js 20000     # other sizes
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { buildFleet } from '../src/build.js';
import { compileFleet } from '../src/pipeline.js';
import { TARGET_NAMES } from '../src/targets/target.js';
import { buildIntoOut } from '../src/write/incremental.js';
import { writeScaleFleet } from './scale-fleet.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = sizes.length > 0 ? sizes : [100, 1000, 5000];
const everything = { targets: [...TARGET_NAMES], options: {} };

function time<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

/** Median of three runs: one slow run (GC, a busy core) does not decide the figure. */
function median(fn: () => unknown): number {
  const runs = [0, 1, 2].map(() => time(fn).ms).sort((a, b) => a - b);
  return runs[1] ?? 0;
}

console.log('hosts    baseline(parse)   compile         generate(all)        first build      rebuild (no change)');
for (const n of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-bench-'));
  try {
    const manifest = writeScaleFleet(dir, n);
    const text = readFileSync(manifest, 'utf8');
    const baseline = median(() => parseDocument(text).toJS());
    const compile = median(() => compileFleet(manifest, { env: {} }));
    const { fleet } = compileFleet(manifest, { env: {} });
    const build = median(() => buildFleet(fleet, everything));
    const { files } = buildFleet(fleet, everything);
    // Written as `fleetgen build` writes (generating and writing in one pass, reusing what did not change).
    const out = join(dir, 'out');
    const firstWrite = time(() => buildIntoOut(out, fleet, everything)).ms;
    const rebuild = median(() => buildIntoOut(out, fleet, everything));
    const ratio = (ms: number) => `${(ms / baseline).toFixed(1)}x`.padEnd(8);
    console.log(
      `${String(n).padEnd(8)} ${baseline.toFixed(0).padStart(6)} ms = 1x   ${ratio(compile)}${compile.toFixed(0).padStart(6)} ms   ${ratio(build)}${build.toFixed(0).padStart(7)} ms      ${ratio(firstWrite)}${firstWrite.toFixed(0).padStart(6)} ms  ${ratio(rebuild)}${rebuild.toFixed(0).padStart(6)} ms   (${files.list().length} files)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
