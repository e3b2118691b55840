/** What a folder holds on disk, to prove that a step wrote (or did not write) exactly what it should. */
import { existsSync, lstatSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR } from '../../src/write/cache.js';

export interface DiskEntry {
  /** base64 of the bytes; `link` for a symbolic link; empty for a folder (whose path ends in `/`). */
  bytes: string;
  mode: number;
  /** 0 for folders (their mtime changes whenever an entry is added or removed, which is not a write). */
  mtimeMs: number;
}

/** Every file and folder under dir, links not followed. Empty when dir does not exist. */
export function snapshotDisk(dir: string): Record<string, DiskEntry> {
  const result: Record<string, DiskEntry> = {};
  const visit = (relative: string): void => {
    const full = join(dir, relative);
    const stat = lstatSync(full);
    if (stat.isDirectory()) {
      result[`${relative}/`] = { bytes: '', mode: stat.mode & 0o7777, mtimeMs: 0 };
      for (const entry of readdirSync(full).sort()) visit(relative ? `${relative}/${entry}` : entry);
    } else {
      result[relative] = {
        bytes: stat.isSymbolicLink() ? 'link' : readFileSync(full).toString('base64'),
        mode: stat.mode & 0o7777,
        mtimeMs: stat.mtimeMs,
      };
    }
  };
  if (existsSync(dir)) visit('');
  return result;
}

/** Moves every file's mtime into the past, so that a rewrite shows even within one clock tick. */
export function ageFiles(dir: string): void {
  const past = new Date('2001-01-01T00:00:00Z');
  for (const [path, entry] of Object.entries(snapshotDisk(dir))) {
    if (!path.endsWith('/') && entry.bytes !== 'link') utimesSync(join(dir, path), past, past);
  }
}

/** The paths whose entry differs between two snapshots (added, removed or changed), sorted. */
export function changedPaths(before: Record<string, DiskEntry>, after: Record<string, DiskEntry>): string[] {
  const paths = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...paths].filter((path) => JSON.stringify(before[path]) !== JSON.stringify(after[path])).sort();
}

/** Every entry of out/ but fleetgen's build cache (out/.fleetgen-cache/), bytes and modes only. */
export function outputOf(out: string): Record<string, Omit<DiskEntry, 'mtimeMs'>> {
  return Object.fromEntries(
    Object.entries(snapshotDisk(out))
      .filter(([path]) => !path.startsWith(CACHE_DIR))
      .map(([path, { bytes, mode }]) => [path, { bytes, mode }]),
  );
}
