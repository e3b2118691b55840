/**
 * A digest of fleetgen's own code and templates: part of every host's fingerprint in the build cache (cache.ts),
 * so that another version of fleetgen — or a changed template — regenerates every file instead of trusting files
 * an older generator wrote.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeFolder, packageRoot } from '../package-root.js';

let digest: string | undefined;

/**
 * sha256 over the running code (dist/src, or src under the tests), generators/, schemas/ (a schema edited after the
 * build is compiled at run time, not precompiled into dist/src) and package.json, by path.
 */
export function generatorDigest(): string {
  digest ??= generatorDigestOf(codeFolder(import.meta.url), packageRoot());
  return digest;
}

/** generatorDigest for the code in `code` of the package at `root`. */
export function generatorDigestOf(code: string, root: string): string {
  const hash = createHash('sha256');
  for (const folder of [code, join(root, 'generators'), join(root, 'schemas')]) {
    for (const path of filesBelow(folder)) hash.update(`${path}\0`).update(readFileSync(path)).update('\0');
  }
  hash.update(readFileSync(join(root, 'package.json')));
  return hash.digest('hex');
}

function filesBelow(root: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) found.push(...filesBelow(path));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}
