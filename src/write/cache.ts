/**
 * The build cache, out/.fleetgen-cache/: per host and target, the fingerprint of everything that decides that
 * host's files, what the fleet-wide files need from it, its warnings, and each file as written (digest, mode, and
 * size, mtime and inode right after the write). A host whose fingerprint is unchanged and whose files still stat as
 * recorded is neither regenerated nor read again; anything else is regenerated and compared byte for byte.
 *
 * Only a cache: never committed (the folder ignores itself, like .pytest_cache), 0600 (fingerprints are digests
 * over secrets too), and anything wrong with it — missing, unreadable, another format — means a full build. It is
 * set aside before a build writes anything and written again last, so a build that was killed is followed by a full
 * one, which also removes the temp files the kill left (plan.ts, leftoverTemps).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { ParseCache } from '../load/parse-cache.js';
import type { TargetWarning } from '../targets/target.js';
import { writeFileAtomic } from './atomic.js';
import { isCleanRelativePath } from './out-path.js';
import type { RecordedFile } from './state.js';

export const CACHE_DIR = '.fleetgen-cache';
const CACHE_FILE = 'build.json';
const ASIDE_FILE = 'build.json.old';
/** Texts as parsed (load/parse-cache.ts), by a digest of their text. */
const PARSED_FILE = 'parsed.bin';
const FORMAT_VERSION = 1;

export interface CachedFile extends RecordedFile {
  size: number;
  mtimeMs: number;
  ino: number;
}

/** One target's output for one host, or its fleet-wide output. */
export interface CachedPart {
  fingerprint: string;
  /** HostOutput.summary (host parts only). */
  summary?: unknown;
  warnings: TargetWarning[];
  toolFiles?: { reason: string; patterns: string[] };
  files: CachedFile[];
}

export interface BuildCache {
  /** host name → target name → part. */
  hosts: Record<string, Record<string, CachedPart>>;
  /** target name → its fleet-wide part. */
  fleet: Record<string, CachedPart>;
}

export function cachedFileOf(record: RecordedFile, stat: Stats): CachedFile {
  return { ...record, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
}

/** Whether the file on disk is still the one the cache recorded (the same inode, size, mtime and mode). */
export function isAsCached(file: CachedFile, stat: Stats | undefined): boolean {
  return stat !== undefined && stat.isFile() && stat.ino === file.ino && stat.size === file.size && stat.mtimeMs === file.mtimeMs && (stat.mode & 0o7777) === file.mode;
}

/** The cache in out/, or undefined when there is none or it cannot be used. */
export function readCache(outDir: string): BuildCache | undefined {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(outDir, CACHE_DIR, CACHE_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(json) || json.version !== FORMAT_VERSION || !isObject(json.hosts) || !isObject(json.fleet)) return undefined;
  const parts = [...Object.values(json.hosts).flatMap((byTarget) => (isObject(byTarget) ? Object.values(byTarget) : [undefined])), ...Object.values(json.fleet)];
  if (!parts.every(isCachedPart)) return undefined;
  return { hosts: json.hosts as BuildCache['hosts'], fleet: json.fleet as BuildCache['fleet'] };
}

/**
 * Before the first write of a build: from here until writeCache, a kill leaves no usable cache behind. Moved aside
 * rather than deleted, so that a build refused before replacing anything (restoreCache) leaves out/ as it was.
 */
export function keepCacheAside(outDir: string): void {
  try {
    renameSync(join(outDir, CACHE_DIR, CACHE_FILE), join(outDir, CACHE_DIR, ASIDE_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export function restoreCache(outDir: string): void {
  try {
    renameSync(join(outDir, CACHE_DIR, ASIDE_FILE), join(outDir, CACHE_DIR, CACHE_FILE));
  } catch {
    // nothing was set aside: nothing to restore
  }
}

export function writeCache(outDir: string, cache: BuildCache): void {
  const dir = cacheFolder(outDir);
  rmSync(join(dir, ASIDE_FILE), { force: true });
  writeFileAtomic(join(dir, CACHE_FILE), JSON.stringify({ version: FORMAT_VERSION, ...cache }), { mode: 0o600 });
}

/** The texts an earlier build parsed; none when there are none or they cannot be used. */
export function readParseCache(outDir: string): ParseCache {
  try {
    const data: unknown = deserialize(readFileSync(join(outDir, CACHE_DIR, PARSED_FILE)));
    if (isObject(data) && data.version === FORMAT_VERSION && data.entries instanceof Map) {
      const entries = data.entries as Map<unknown, unknown>;
      if ([...entries].every(([key, bytes]) => typeof key === 'string' && bytes instanceof Uint8Array)) return new ParseCache(entries as Map<string, Uint8Array>);
    }
  } catch {
    // missing, unreadable or not ours: every entry is parsed
  }
  return new ParseCache();
}

/**
 * Remembers the texts this build parsed, when they changed. Each is found by a digest of its text, so whatever
 * happens to the build, a remembered parse is never wrong; a cache that cannot be written only costs the next build
 * the parse.
 */
export function writeParseCache(outDir: string, cache: ParseCache): void {
  if (!cache.isChanged) return;
  try {
    writeFileAtomic(join(cacheFolder(outDir), PARSED_FILE), serialize({ version: FORMAT_VERSION, entries: cache.entries() }), { mode: 0o600 });
  } catch {
    // see above
  }
}

function cacheFolder(outDir: string): string {
  const dir = join(outDir, CACHE_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const ignore = join(dir, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, "# fleetgen's build cache: local to this machine, never committed.\n*\n");
  return dir;
}

function isCachedPart(value: unknown): value is CachedPart {
  return (
    isObject(value) &&
    typeof value.fingerprint === 'string' &&
    Array.isArray(value.warnings) &&
    Array.isArray(value.files) &&
    value.files.every(
      (f: unknown) =>
        isObject(f) &&
        typeof f.path === 'string' &&
        isCleanRelativePath(f.path) &&
        typeof f.mode === 'number' &&
        typeof f.size === 'number' &&
        typeof f.mtimeMs === 'number' &&
        typeof f.ino === 'number',
    )
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
