/**
 * The files a build produces (incremental.ts): those it places (generated, and out/.gitignore), one by one, and those
 * of the cached parts it reuses, part by part.
 *
 * A rebuild of 10,000 hosts reuses some 60,000 files. Putting each of them into one map by path, only to ask that map
 * about the few files the build generates, took about 35 ms of a one-host rebuild's 1.2 s; so the reused parts' files
 * are counted, and indexed by path only when a question needs them (issue 10). What makes that safe is what
 * writeCache writes: the parts of one build, which produced each path once (a path produced twice is an InternalError
 * there), so a cache lists every path once, and a path a part had when the cache was written is no other cached part's.
 * A file generated at a path its own part had last time (its `former` part) is so no reused part's: no index is needed
 * for it, and a one-host rebuild never makes one. Any other path (a new host's, a renamed one's, a fleet-wide file that
 * is new) is looked up in the index, made then, over the parts reused so far, and kept up to date from there on. A part
 * reused has its files looked for among those placed (isPlaced), not among those of the parts reused before it.
 */
import type { TargetName } from '../targets/target.js';
import { fileCountOf, type CachedPart } from './cache.js';
import { topFolderOf } from './out-path.js';
import type { RecordedFile } from './state.js';

/** What a record is compared with (RecordComparison): a file by path, and how many there are. A Map is one. */
export interface ProducedLookup {
  get(path: string): RecordedFile | undefined;
  readonly size: number;
}

/** Whether `path` is new to its part: `former`, the cached part of the part it belongs to, is none or did not have it. */
export function isNewPathOf(path: string, former: CachedPart | undefined): boolean {
  return former === undefined || !former.files.some((file) => file.path === path);
}

export class ProducedFiles implements ProducedLookup {
  private readonly placed = new Map<string, RecordedFile>();
  /** The parts reused whole, in the order reused. */
  private readonly reusedParts = new Set<CachedPart>();
  /** How many files the parts reused have, by target. */
  private readonly reusedByTarget = new Map<TargetName, number>();
  private reusedFileCount = 0;
  /** Path → file of every reused part, once asked for (reusedIndex). */
  private byPath: Map<string, RecordedFile> | undefined;
  /** The top folders (targets' folders) of the files placed at a path their former part did not have (hasNewPathIn). */
  private readonly newPathFolders = new Set<string>();

  /**
   * A file this build places. (The caller has made sure no file was produced at its path: has.) `isNewPath`: as for
   * has, whether its part's former part did not have its path (isNewPathOf).
   */
  place(file: RecordedFile, isNewPath = true): void {
    this.placed.set(file.path, file);
    if (isNewPath) this.newPathFolders.add(topFolderOf(file.path));
  }

  /**
   * Whether a file was placed in `folder` (a target's folder, as `chef`) at a path its former part did not have: only
   * such a file can be at a path a cached part of that target lists (the cache lists each path once), so a part to
   * reuse needs its files looked for among those placed (isPlaced) only when this is true.
   */
  hasNewPathIn(folder: string): boolean {
    return this.newPathFolders.has(folder);
  }

  /**
   * A cached part this build reuses: its files are produced as cached. (The caller has made sure none was placed:
   * isPlaced, or hasNewPathIn.) A part read from the cache is not decoded for it (fileCountOf).
   */
  reuse(target: TargetName, part: CachedPart): void {
    this.reusedParts.add(part);
    const count = fileCountOf(part);
    this.reusedByTarget.set(target, (this.reusedByTarget.get(target) ?? 0) + count);
    this.reusedFileCount += count;
    if (this.byPath !== undefined) for (const file of part.files) this.byPath.set(file.path, file);
  }

  /** Whether this build reused `part` (a cached part) whole. */
  isReused(part: CachedPart): boolean {
    return this.reusedParts.has(part);
  }

  /** The parts reused whole, in the order reused. */
  reused(): IterableIterator<CachedPart> {
    return this.reusedParts.values();
  }

  /** How many files the parts reused have, by target (those of a target none of whose parts was reused: none). */
  reusedFileCounts(): ReadonlyMap<TargetName, number> {
    return this.reusedByTarget;
  }

  /** Whether this build placed a file at `path`. */
  isPlaced(path: string): boolean {
    return this.placed.has(path);
  }

  /** The file this build placed at `path`, if any. */
  placedFile(path: string): RecordedFile | undefined {
    return this.placed.get(path);
  }

  /**
   * Whether a file is produced at `path`: placed, or one of a reused part's files. `isNewPath`: false when the cached
   * part of the part being generated (the same host and target) had the path (isNewPathOf): it is then no reused part's.
   */
  has(path: string, isNewPath = true): boolean {
    if (this.placed.has(path)) return true;
    if (this.reusedFileCount === 0 || !isNewPath) return false;
    return this.reusedIndex().has(path);
  }

  /** The file produced at `path`, placed or reused. */
  get(path: string): RecordedFile | undefined {
    return this.placed.get(path) ?? (this.reusedFileCount === 0 ? undefined : this.reusedIndex().get(path));
  }

  /** How many files are produced. */
  get size(): number {
    return this.placed.size + this.reusedFileCount;
  }

  /** Every file produced, placed or reused (a reused part's file is the cached one, a RecordedFile too). */
  *values(): IterableIterator<RecordedFile> {
    yield* this.placed.values();
    for (const part of this.reusedParts) yield* part.files;
  }

  /** Every produced file's path. */
  *paths(): IterableIterator<string> {
    for (const file of this.values()) yield file.path;
  }

  private reusedIndex(): Map<string, RecordedFile> {
    if (this.byPath === undefined) {
      this.byPath = new Map();
      for (const part of this.reusedParts) for (const file of part.files) this.byPath.set(file.path, file);
    }
    return this.byPath;
  }

  /** Whether the reused parts' files were indexed by path (for tests: a one-host rebuild never indexes them). */
  get isReusedIndexed(): boolean {
    return this.byPath !== undefined;
  }
}
