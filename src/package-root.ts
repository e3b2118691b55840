/**
 * Where fleetgen itself is installed. Templates (generators/) and package.json are read relative to it at run
 * time, so the same code works from dist/src (the bin) and from src (vitest), and from a global install.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from './diagnostics/diagnostic.js';

interface PackageJson {
  name?: unknown;
  version?: unknown;
}

let found: { root: string; manifest: PackageJson } | undefined;

/**
 * A folder of fleetgen's code, by the URL of a module one folder below the code's root (`import.meta.url` of
 * src/validate/schema.ts, say): `folder` under src/ when it runs from there (vitest), under dist/src/ when it is the
 * built code. The bin that `npm run build` bundles (dist/src/cli/main.js, scripts/bundle-cli.mjs) holds every such
 * module, each with the bin's own URL: it is one folder below dist/src/ too, so the module finds what was made beside
 * it (a precompiled validator, the precompiled templates) in dist/src/<folder>/ all the same.
 */
export function codeFolder(moduleUrl: string, folder?: string): string {
  const root = dirname(dirname(fileURLToPath(moduleUrl)));
  return folder === undefined ? root : join(root, folder);
}

/** The folder holding fleetgen's own package.json, found by walking up from this module. */
export function packageRoot(): string {
  return locate().root;
}

/** fleetgen's version, from its package.json. */
export function packageVersion(): string {
  const { version } = locate().manifest;
  if (typeof version !== 'string') throw new InternalError(`fleetgen's package.json in ${packageRoot()} has no version`);
  return version;
}

function locate(): { root: string; manifest: PackageJson } {
  if (found) return found;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = readPackageJson(join(dir, 'package.json'));
    // Stop at fleetgen's own package.json; one of something else (a project fleetgen sits in) is passed by.
    if (manifest?.name === 'fleetgen') return (found = { root: dir, manifest });
    if (dirname(dir) === dir) throw new InternalError(`cannot find fleetgen's package.json in ${start} or above it`);
  }
}

function readPackageJson(path: string): PackageJson | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as PackageJson) : undefined;
  } catch {
    return undefined;
  }
}
