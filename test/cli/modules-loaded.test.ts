import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../support/run-command.js';
import { BIN, copyExample } from './fleetgen.js';

/**
 * A module preloaded into the child (--import) that writes to LOADED_LOG every specifier the child requires or
 * imports: CommonJS requires through Module._load, ES imports through a resolve hook (which runs on the loader's own
 * thread, hence the file).
 */
const RECORDER = `
import Module, { register } from 'node:module';
import { appendFileSync } from 'node:fs';
const log = process.env.LOADED_LOG;
const load = Module._load;
Module._load = function (request, ...rest) {
  appendFileSync(log, request + '\\n');
  return load.call(this, request, ...rest);
};
register('data:text/javascript,' + encodeURIComponent(
  'import { appendFileSync } from "node:fs";' +
  'export async function resolve(specifier, context, next) { appendFileSync(' + JSON.stringify(log) + ', specifier + "\\\\n"); return next(specifier, context); }'
));
`;

/** Runs `fleetgen build` in `dir` and gives the packages the run loaded (by the specifiers it asked for). */
async function packagesLoadedBy(dir: string): Promise<Set<string>> {
  const recorder = join(dir, 'recorder.mjs');
  const log = join(dir, 'loaded.log');
  writeFileSync(recorder, RECORDER);
  writeFileSync(log, '');
  const result = await runCommand(process.execPath, ['--import', recorder, BIN, 'build', 'fleet.yaml', '--out', join(dir, 'out')], { cwd: dir, env: { ...process.env, LOADED_LOG: log }, timeoutMs: 60_000 });
  expect(result.status, result.stderr).toBe(0);
  return new Set(readFileSync(log, 'utf8').split('\n').filter((specifier) => /^[a-z@]/.test(specifier) && !specifier.startsWith('node:')));
}

describe('what a build loads', () => {
  it('loads neither random-words nor re2js for a rebuild that draws no hostname and checks no ingress path', async () => {
    const dir = copyExample({ withLock: true });
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    // The first build checks the example's one ingress path (^/hooks/), the rebuild does not: the host is known clean.
    const first = await packagesLoadedBy(dir);
    expect(first.has('re2js')).toBe(true);
    expect(first.has('random-words')).toBe(false);
    const rebuild = await packagesLoadedBy(dir);
    expect(rebuild.has('re2js')).toBe(false);
    expect(rebuild.has('random-words')).toBe(false);
    // Loaded all the same (the recorder sees it) when a hostname is drawn: here, every generated one.
    rmSync(join(dir, 'fleet.lock.yaml'));
    expect((await packagesLoadedBy(dir)).has('random-words')).toBe(true);
  }, 120_000);
});
