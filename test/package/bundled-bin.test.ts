/**
 * The bin `npm run build` leaves (scripts/bundle-cli.mjs): dist/src/cli/main.js holds every fleetgen module a run
 * loads, so that a run reads one file rather than some 145 (issue 10); the packages fleetgen depends on stay outside
 * it; so does each module a build thread starts from. What the bundled modules find by their own place (the
 * precompiled validator and templates) is checked by precompiled-schema.test.ts and precompiled-templates.test.ts,
 * which run this bin.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, EXAMPLE_DIR, REPO } from '../cli/fleetgen.js';
import { esModulesLoadedBy } from '../support/modules-loaded.js';
import { THREAD_MODULES } from '../../src/write/thread-bootstrap.js';

/** An import of a module by a relative path (`from './x.js'`, `import('../y.js')`). */
const RELATIVE_IMPORT = /\b(?:from|import)\s*\(?\s*["']\.\.?\//g;

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

  it('loads no module of dist/src but itself when it validates a manifest, and loads the packages from node_modules', async () => {
    const { status, urls, stderr } = await esModulesLoadedBy(['validate', join(EXAMPLE_DIR, 'fleet.yaml')]);
    expect(stderr).toContain('valid');
    expect(status).toBe(0);
    const ours = urls.filter((url) => url.startsWith(pathToFileURL(join(REPO, 'dist')).href));
    expect(ours).toEqual([pathToFileURL(BIN).href]);
    // yargs is an ES module package: loaded from where npm installed it, not copied into the bundle.
    expect(urls.some((url) => url.includes('/node_modules/yargs/'))).toBe(true);
  });
});
