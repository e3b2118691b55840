/**
 * A digest of fleetgen's own code and templates: part of every host's fingerprint in the build cache (cache.ts),
 * so that another version of fleetgen — or a changed template — regenerates every file instead of trusting files
 * an older generator wrote.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../package-root.js';

let digest: string | undefined;

/** sha256 over the running code (dist/src, or src under the tests), generators/ and package.json, by path. */
export function generatorDigest(): string {
  if (digest !== undefined) return digest;
  const hash = createHash('sha256');
  const code = dirname(dirname(fileURLToPath(import.meta.url)));
  for (const root of [code, join(packageRoot(), 'generators')]) {
    for (const path of filesBelow(root)) hash.update(`${path}\0`).update(readFileSync(path)).update('\0');
  }
  hash.update(readFileSync(join(packageRoot(), 'package.json')));
  return (digest = hash.digest('hex'));
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
