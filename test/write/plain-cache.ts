import type { BuildCache, CachedPart } from '../../src/write/cache.js';

/**
 * A cache as plain objects, each part's files decoded (a part read keeps them as text until asked: cache.ts, PartRead),
 * with the properties a part built has: what a test compares a cache read with, or writes as JSON.
 */
export function plainCache(cache: BuildCache | undefined): BuildCache | undefined {
  if (cache === undefined) return undefined;
  const hosts: BuildCache['hosts'] = {};
  for (const [host, parts] of Object.entries(cache.hosts)) hosts[host] = plainParts(parts);
  const plain: BuildCache = { hosts, fleet: plainParts(cache.fleet) };
  if (cache.models !== undefined) plain.models = { ...cache.models };
  return plain;
}

function plainParts(parts: Record<string, CachedPart>): Record<string, CachedPart> {
  const plain: Record<string, CachedPart> = {};
  for (const [target, part] of Object.entries(parts)) plain[target] = plainPart(part);
  return plain;
}

function plainPart(part: CachedPart): CachedPart {
  const plain: CachedPart = { fingerprint: part.fingerprint, warnings: part.warnings, files: part.files };
  if ('summary' in part) plain.summary = part.summary;
  if (part.viewJson !== undefined) plain.viewJson = part.viewJson;
  if (part.fleetInputs !== undefined) plain.fleetInputs = part.fleetInputs;
  return plain;
}
