/**
 * The build cache, out/.fleetgen-cache/: per host and target, the fingerprint of everything that decides that
 * host's files, what the fleet-wide files need from it, its warnings, and each file as written (mode, and size,
 * mtime and inode right after the write); beside it, the texts the build parsed (parsed.bin, load/parse-cache.ts). A host whose fingerprint is unchanged and whose files still stat as
 * recorded is neither regenerated nor read again; anything else is regenerated and compared byte for byte.
 *
 * A rebuild after a few hosts changed writes only what changed: a journal beside the cache file (build.delta.json) with
 * the lines of the hosts whose parts changed since that file was written, bound to that very file; once the journal
 * grows past a share of it, the build writes the whole file again, with no journal (see the format below).
 *
 * Only a cache: never committed (the folder ignores itself, like .pytest_cache), 0600 (fingerprints are digests
 * over secrets too), and anything wrong with it — missing, unreadable, another format — means a full build. It is
 * set aside before a build writes anything and written again last, so a build that was killed is followed by a full
 * one, which also removes the temp files and temp folders the kill left (plan.ts, findLeftoverTemps).
 */
import { closeSync, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { isAscii } from 'node:buffer';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { ParseCache } from '../load/parse-cache.js';
import { TARGET_NAMES, type TargetName, type TargetWarning } from '../targets/target.js';
import { writeFileAtomic } from './atomic.js';
import { isCleanRelativePath } from './out-path.js';
import type { RecordedFile } from './state.js';

export const CACHE_DIR = '.fleetgen-cache';
const CACHE_FILE = 'build.json';
const ASIDE_FILE = 'build.json.old';
/** What changed since build.json was written: read with it, and only with that very file (see the format below). */
const JOURNAL_FILE = 'build.delta.json';
/**
 * A journal is written while it stays below this share of build.json's size; past it, build.json is written whole
 * (and the journal removed), so that reading the two never costs much more than reading one written whole.
 */
export const JOURNAL_SHARE = 0.25;
/** Texts as parsed (load/parse-cache.ts), by a digest of their text. */
const PARSED_FILE = 'parsed.bin';
/** What changed since parsed.bin was written: entries added, keys no longer used (see writeParseCache). */
const PARSED_DELTA_FILE = 'parsed.delta.bin';
/** Version 1 held each value as v8-serialized bytes; version 2 holds it as JSON text (load/parse-cache.ts). */
const PARSED_FORMAT_VERSION = 2;
/**
 * build.json's own format (see the end of this file); version 1 held an object per part and per file, version 2 was
 * one JSON document, version 3 had no host models and views, version 4 held a view as JSON rather than its text,
 * version 5 had no digest of what the fleet-wide files read of a host part, version 6 held a host's files in its line's
 * one JSON value (not after a tab, apart from the rest).
 */
const BUILD_FORMAT_VERSION = 7;

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
  /**
   * HostTarget.view of the host's model, as JSON text (host parts only; absent when not known): what the fleet-wide
   * fingerprint reads, as it is, and the fleet-wide files parse when they are made again.
   */
  viewJson?: string;
  /**
   * fingerprint.ts's fleetInputsDigest of the summary and the view (host parts only; absent when not known): what the
   * fleet-wide fingerprint reads of the part.
   */
  fleetInputs?: string;
  warnings: TargetWarning[];
  /**
   * A host part read from the cache's file has its files decoded when first asked for (PartRead): a rebuild that
   * reuses the part whole never asks (fileCountOf, keptOutOfGitOf), and the stat-ahead thread has looked at them.
   * Asking may throw CacheDamaged.
   */
  files: CachedFile[];
}

/**
 * A host part's files in the cache's file are not in the shape the rest of its line says (decoded only when asked
 * for: PartRead). Like any other damage, it means no cache: the build that meets it starts again as a full one.
 */
export class CacheDamaged extends Error {
  constructor() {
    super("a host's files in the build cache are not in shape");
    this.name = 'CacheDamaged';
  }
}

/** How many files a part has, without decoding the files of a part read (PartRead). */
export function fileCountOf(part: CachedPart): number {
  return part instanceof PartRead ? part.fileCount : part.files.length;
}

/**
 * The part's files kept out of git (clear-text secrets, user-data), their paths relative to the target's folder
 * `target` (what its fleet-wide .gitignore lists), without decoding the files of a part read (PartRead).
 */
export function keptOutOfGitOf(part: CachedPart, target: string): readonly string[] {
  if (part instanceof PartRead) return part.keptOutOfGit;
  const kept: string[] = [];
  for (const file of part.files) if (file.isKeptOutOfGit) kept.push(file.path.slice(target.length + 1));
  return kept;
}

/**
 * What a build knew of a host's model (model/lazy-fleet.ts), so that the next one can tell it unchanged without making
 * it: the digest of the model, and what decided it.
 */
export interface ModelMemo {
  /** LazyHosts.inputKey: what decides the model besides the secrets it reads. */
  inputs: string;
  /** The secrets the model read, in order, and a digest of what they answered (validate/host-checks.ts, CheckedHost). */
  refs: readonly string[];
  answers: string;
  /** The model's digest (fingerprint.ts, modelDigest). */
  model: string;
}

export interface BuildCache {
  /** host name → target name → part. */
  hosts: Record<string, Record<string, CachedPart>>;
  /** target name → its fleet-wide part. */
  fleet: Record<string, CachedPart>;
  /** host name → what is known of its model (only for hosts whose inputs were known). */
  models?: Record<string, ModelMemo>;
}

// Field by field rather than `{ ...record, size, … }`: V8 makes an object spread with properties after it the slow way
// (about 2 µs an object, against 0.1), and a build makes one for each of its files.
export function cachedFileOf(record: RecordedFile, stat: Stats): CachedFile {
  return { path: record.path, mode: record.mode, isSecret: record.isSecret, isKeptOutOfGit: record.isKeptOutOfGit, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
}

/**
 * A file whose stat is not known yet (recordStat gives it later): a size of -1 never matches a file on disk, so
 * should it stay unknown, the next build looks at the file again. (The same shape as cachedFileOf's objects.)
 */
export function unstatedFileOf(record: RecordedFile): CachedFile {
  return { path: record.path, mode: record.mode, isSecret: record.isSecret, isKeptOutOfGit: record.isKeptOutOfGit, size: -1, mtimeMs: 0, ino: 0 };
}

/** The stat of the file as written, once known (a temp file's: the rename into place keeps it). */
export function recordStat(file: CachedFile, size: number, mtimeMs: number, ino: number): void {
  file.size = size;
  file.mtimeMs = mtimeMs;
  file.ino = ino;
}

/** Whether the file on disk is still the one the cache recorded (the same inode, size, mtime and mode). */
export function isAsCached(file: Pick<CachedFile, 'mode' | 'size' | 'mtimeMs' | 'ino'>, stat: Stats | undefined): boolean {
  return stat !== undefined && stat.isFile() && stat.ino === file.ino && stat.size === file.size && stat.mtimeMs === file.mtimeMs && (stat.mode & 0o7777) === file.mode;
}

/** The cache in out/, or undefined when there is none or it cannot be used (damaged, foreign, another format). */
export function readCache(outDir: string): BuildCache | undefined {
  const read = readCacheText(outDir);
  if (read === undefined) return undefined;
  return decodeCache(read);
}

/** The cache file in out/ (stat-ahead.ts looks at its size before reading it). */
export function cacheFilePath(outDir: string): string {
  return join(outDir, CACHE_DIR, CACHE_FILE);
}

/** The texts of the cache file and its journal (if any), not decoded, and which files they were. */
export interface CacheText {
  text: string;
  identity: FileIdentity;
  journal: { text: string; identity: FileIdentity } | undefined;
}

/** Which files a cache was read from: the cache file, and its journal when there was one. */
export interface CacheIdentity {
  base: FileIdentity;
  journal: FileIdentity | undefined;
}

/**
 * The cache file's text and its journal's, not decoded, and which files they were (the stat-ahead thread's reading:
 * stat-ahead-worker.ts); undefined when either cannot be read (a journal that is not there is none).
 */
export function readCacheText(outDir: string): CacheText | undefined {
  const base = readText(cacheFilePath(outDir));
  if (base === undefined) return undefined;
  try {
    return { ...base, journal: readTextAndIdentity(join(outDir, CACHE_DIR, JOURNAL_FILE)) };
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? { ...base, journal: undefined } : undefined;
  }
}

/** The identity of the files a cache was read from (readCache); undefined for a cache built, not read. */
export function identityOfCache(cache: BuildCache): CacheIdentity | undefined {
  const read = linesRead.get(cache);
  return read === undefined ? undefined : { base: read.identity, journal: read.journal?.identity };
}

export function isSameCache(a: CacheIdentity, b: CacheIdentity): boolean {
  return isSameFile(a.base, b.base) && (a.journal === undefined ? b.journal === undefined : b.journal !== undefined && isSameFile(a.journal, b.journal));
}

/**
 * The record (out/.fleetgen-state.json) as the build that wrote a cache left it: the file's identity, and the
 * generator (generatorDigest) that wrote it. A record still that very file is the text that generator's
 * serializeState gave, so a build with the same generator and the same files need not serialize it again.
 */
export interface RecordLeft extends FileIdentity {
  generator: string;
  /**
   * The record's ctime as left, given only when the record lists exactly the files of this cache and out/.gitignore,
   * with their modes and flags: a rebuild that finds it with this ctime too (a write, utimes or chmod moves a file's
   * ctime, and nothing sets it back) takes the record's files from the cache without reading it (incremental.ts).
   */
  ctimeMs?: number;
}

/** The record as the build that wrote the cache `cache` was read from left it; undefined when not known. */
export function recordLeftBy(cache: BuildCache | undefined): RecordLeft | undefined {
  return cache === undefined ? undefined : linesRead.get(cache)?.record;
}

/** What tells the file read apart from any other: a rename (keepCacheAside) keeps all three. */
export interface FileIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
}

/** What identifies a file (FileIdentity) in its stat. */
export function identityOf(stat: Pick<Stats, 'size' | 'mtimeMs' | 'ino'>): FileIdentity {
  return { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
}

/**
 * The file's text, and the identity of the very file read (fstat of the descriptor read from); throws what opening or
 * reading it throws.
 */
export function readTextAndIdentity(path: string): { text: string; identity: FileIdentity } {
  const fd = openSync(path, 'r');
  try {
    const identity = identityOf(fstatSync(fd));
    return { text: textOf(readFileSync(fd)), identity };
  } finally {
    closeSync(fd);
  }
}

/**
 * The UTF-8 text of `bytes`. The cache's files are ASCII (JSON.stringify of ASCII paths, digests and numbers, unless a
 * warning or a summary carries other characters): read one byte a character, a 20 MB build.json decodes in about a
 * fifth of the time UTF-8 decoding takes (10 ms against 45), and ASCII is the same text either way.
 */
export function textOf(bytes: Buffer): string {
  return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
}

/** readTextAndIdentity, or undefined when the file cannot be read: a cache that cannot be read is no cache. */
function readText(path: string): { text: string; identity: FileIdentity } | undefined {
  try {
    return readTextAndIdentity(path);
  } catch {
    return undefined;
  }
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

/**
 * `previous`: the cache this build read (readCache), if any. A host whose parts are all the very objects read from it
 * (reused, not regenerated) is written as the line it was read from, or (a journal) not written at all.
 *
 * The cache file was set aside (keepCacheAside) before the build's first write. A journal goes first, bound to that
 * file, which then comes back into place; a whole file removes the journal first. So a kill at any point in between
 * leaves no cache file in place: no usable cache, as a kill before writeCache does.
 */
export function writeCache(outDir: string, cache: BuildCache, previous?: BuildCache, record?: RecordLeft, options: { journalShare?: number } = {}): void {
  const dir = cacheFolder(outDir);
  const read = previous === undefined ? undefined : linesRead.get(previous);
  const journalText = read?.journal === undefined ? undefined : textReadAgain(dir, [JOURNAL_FILE], read.journal.identity);
  const isJournalAsRead = read !== undefined && (read.journal === undefined || journalText !== undefined);
  if (read !== undefined && isJournalAsRead) {
    // Only the cache file's identity is needed, not its 12 MB text: its lines stand as they are.
    const base = placeOf(dir, read.identity, [ASIDE_FILE, CACHE_FILE]);
    const journal = base === undefined ? undefined : encodeJournal(cache, read, journalText, record, read.identity.size * (options.journalShare ?? JOURNAL_SHARE));
    if (base !== undefined && journal !== undefined) {
      writeFileAtomic(join(dir, JOURNAL_FILE), journal, { mode: 0o600 });
      if (base === ASIDE_FILE) renameSync(join(dir, ASIDE_FILE), join(dir, CACHE_FILE));
      return;
    }
  }
  // The lines are read again rather than kept through the build (12 MB at 10,000 hosts, which raised the rebuild's
  // peak memory by about 60 MB): from the file set aside, or not yet set aside, when it is still the file read.
  const text = read === undefined ? undefined : textReadAgain(dir, [ASIDE_FILE, CACHE_FILE], read.identity);
  rmSync(join(dir, JOURNAL_FILE), { force: true });
  rmSync(join(dir, ASIDE_FILE), { force: true });
  const previousRead = read !== undefined && text !== undefined && isJournalAsRead ? { read, text, journalText } : undefined;
  writeFileAtomic(join(dir, CACHE_FILE), encodeCache(cache, previousRead, record), { mode: 0o600 });
}

/** The text of the file once read (under one of `names`: set aside since or not); undefined when none is that one any more. */
function textReadAgain(dir: string, names: readonly string[], identity: FileIdentity): string | undefined {
  for (const name of names) {
    const again = readText(join(dir, name));
    if (again !== undefined && isSameFile(again.identity, identity)) return again.text;
  }
  return undefined;
}

/** Where the file read is now (among `names`: the cache file set aside, or still in place); undefined when none is that file. */
function placeOf<Name extends string>(dir: string, identity: FileIdentity, names: readonly Name[]): Name | undefined {
  for (const name of names) {
    try {
      if (isSameFile(identityOf(lstatSync(join(dir, name))), identity)) return name;
    } catch {
      // not there
    }
  }
  return undefined;
}

export function isSameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/** What a parse cache read from disk was read from: parsed.bin's identity and entries (for writeParseCache). */
const parsedRead = new WeakMap<ParseCache, { identity: FileIdentity; base: ReadonlyMap<string, string> }>();

/**
 * The texts an earlier build parsed: parsed.bin, with the entries its journal (parsed.delta.bin) adds and removes when
 * that journal was written for that very file. None when parsed.bin is missing or cannot be used; parsed.bin alone
 * when the journal cannot be (each entry is found by a digest of its text, so parsed.bin alone is never wrong either:
 * it only lacks what the journal added).
 */
export function readParseCache(outDir: string): ParseCache {
  const dir = join(outDir, CACHE_DIR);
  let identity: FileIdentity;
  let base: Map<string, string>;
  try {
    const fd = openSync(join(dir, PARSED_FILE), 'r');
    try {
      identity = identityOf(fstatSync(fd));
      const entries = parsedEntriesIn(deserialize(readFileSync(fd)));
      if (entries === undefined) return new ParseCache();
      base = entries;
    } finally {
      closeSync(fd);
    }
  } catch {
    // missing, unreadable or not ours: every entry is parsed
    return new ParseCache();
  }
  let earlier: ReadonlyMap<string, string> = base;
  try {
    const delta: unknown = deserialize(readFileSync(join(dir, PARSED_DELTA_FILE)));
    const added = isObject(delta) && isIdentityOf(delta.base, identity) && Array.isArray(delta.removed) ? parsedEntriesIn(delta) : undefined;
    if (isObject(delta) && added !== undefined && (delta.removed as unknown[]).every((key) => typeof key === 'string')) {
      const combined = new Map(base);
      for (const key of delta.removed as string[]) combined.delete(key);
      for (const [key, bytes] of added) combined.set(key, bytes);
      earlier = combined;
    }
  } catch {
    // none, or not for this parsed.bin: parsed.bin alone
  }
  const cache = new ParseCache(earlier);
  parsedRead.set(cache, { identity, base });
  return cache;
}

/** The entries of a parsed.bin (or a journal's added ones), or undefined when `data` is not one of ours. */
function parsedEntriesIn(data: unknown): Map<string, string> | undefined {
  if (!isObject(data) || data.version !== PARSED_FORMAT_VERSION || !(data.entries instanceof Map)) return undefined;
  const entries = data.entries as Map<unknown, unknown>;
  // Map.forEach: see decodeCache.
  let isEveryString = true;
  entries.forEach((json, key) => {
    if (typeof key !== 'string' || typeof json !== 'string') isEveryString = false;
  });
  return isEveryString ? (entries as Map<string, string>) : undefined;
}

/**
 * Remembers the texts this build parsed, when they changed. Each is found by a digest of its text, so whatever
 * happens to the build, a remembered parse is never wrong; a cache that cannot be written only costs the next build
 * the parse.
 *
 * What changed since parsed.bin was written (entries added, keys no longer used) goes into its journal while that
 * stays below JOURNAL_SHARE of parsed.bin; past it, parsed.bin is written anew with exactly the entries this build used
 * (so unused ones are dropped) and the journal removed.
 */
export function writeParseCache(outDir: string, cache: ParseCache, options: { journalShare?: number } = {}): void {
  if (!cache.isChanged) return;
  try {
    const dir = cacheFolder(outDir);
    const used = cache.entries();
    const read = parsedRead.get(cache);
    const delta = read !== undefined && placeOf(dir, read.identity, [PARSED_FILE]) !== undefined ? parsedDeltaOf(used, read, read.identity.size * (options.journalShare ?? JOURNAL_SHARE)) : undefined;
    if (delta !== undefined) {
      writeFileAtomic(join(dir, PARSED_DELTA_FILE), delta, { mode: 0o600 });
      return;
    }
    writeFileAtomic(join(dir, PARSED_FILE), serialize({ version: PARSED_FORMAT_VERSION, entries: used }), { mode: 0o600 });
    rmSync(join(dir, PARSED_DELTA_FILE), { force: true });
  } catch {
    // see above
  }
}

/** The journal of `used` over the parsed.bin read, or undefined when it would take more than `maxBytes`. */
function parsedDeltaOf(used: ReadonlyMap<string, string>, read: { identity: FileIdentity; base: ReadonlyMap<string, string> }, maxBytes: number): Uint8Array | undefined {
  const added = new Map<string, string>();
  // Keys are 44 characters (a base64 sha256), each entry's bytes a few hundred: a bound, not an exact size.
  let bytes = 0;
  // Map.forEach: see decodeCache.
  used.forEach((value, key) => {
    if (read.base.has(key)) return;
    added.set(key, value);
    bytes += key.length + value.length;
  });
  const removed: string[] = [];
  read.base.forEach((_, key) => {
    if (used.has(key)) return;
    removed.push(key);
    bytes += key.length;
  });
  if (bytes > maxBytes) return undefined;
  return serialize({ version: PARSED_FORMAT_VERSION, base: read.identity, entries: added, removed });
}

/** out/.fleetgen-cache/, made (ignoring itself) when missing. */
export function cacheFolder(outDir: string): string {
  const dir = join(outDir, CACHE_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const ignore = join(dir, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, "# fleetgen's build cache: local to this machine, never committed.\n*\n");
  return dir;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/*
 * The file's format. At 10,000 hosts the cache is read whole by every rebuild, and what it holds stays in memory for
 * the build: so what many hosts share is stored once, and what every host has is stored without key names. A line per
 * host, so that a rebuild writes the lines of the hosts it did not regenerate as it read them, without encoding them
 * again; the first line, which holds what those lines refer to, is written new by every build. A host's line is its
 * index, a tab, and its body: the index is all a rebuild needs to reuse the host whole; the body, the host's files, is
 * decoded only for a part the build looks at file by file (PartRead), and the stat-ahead thread reads only the bodies.
 *
 *   {"version": 7, "summaries": [{"profile": "8ea7…", "stored": […]}, …], "fleet": {"chef": <part>, …}, "record": <record>}
 *   ["web-1", "<fingerprint>", {"chef": <host part>, …}, <model>]<TAB>{"chef": [<file>, <file>…], …}
 *   …                         a line per host: the fingerprint its parts share, once; its body has the same targets, in
 *                             the same order
 *
 *   summaries each distinct summary once; a rebuild keeps the table it read as it is (the lines it writes again
 *             refer to it) and adds new summaries at its end, and starts a new table when most of it is unused
 *   <part>    a fleet-wide part: [fingerprint, index into summaries or null (none), [<warning>…], [<file>, <file>…]]
 *   <host part> [fingerprint or null (the host's), index into summaries or null (none), [<warning>…], file count,
 *             [kept…], view, inputs]: kept, the paths of its files kept out of git, relative to the target's folder
 *             (keptOutOfGitOf), in the order of its files; view, a host part's HostTarget.view as JSON text, a string;
 *             inputs, CachedPart.fleetInputs, a string, only after a view; both absent when not known
 *   <model>   [inputs, [ref…], answers, model]: the host's ModelMemo; absent when not known
 *   <file>    path, mode, flags (1 secret, 2 kept out of git), size, mtimeMs, ino: six values in the part's list
 *   <warning> [target, code, message, host or null, detail or null]
 *   <record>  {"size", "mtimeMs", "ino", "generator", "ctimeMs"}: out/.fleetgen-state.json as this build left it
 *             (RecordLeft; "ctimeMs" only when it lists exactly the cached files); absent when not known
 *
 * Read back, every part that refers to one summary gets the same object: a fleet's thousands of hosts with one
 * Chef profile hold it once in memory too. Anything out of place (a wrong type, an index out of range, a host twice, a
 * missing last line break) makes the whole cache unusable, which means a full build — never a part reused on the
 * strength of a damaged record. A host's body is checked when it is decoded, if ever (a part reused whole never is; the
 * stat-ahead thread, which vouches for its files, checks each path it looks at): out of place, the build that decodes
 * it throws CacheDamaged and starts again as a full build (incremental.ts).
 *
 * The journal, build.delta.json, holds what changed since build.json was written, in the same shape:
 *
 *   {"version": 7, "base": {"size", "mtimeMs", "ino"}, "summaries": […], "fleet": {…}, "record": <record>}
 *   ["web-7", "<fingerprint>", {"chef": <host part>, …}, <model>]<TAB>{…} a host's line: replaces build.json's line for that host, or adds the host
 *   ["web-9"]                                                              a host removed (one build.json has a line for): no tab, no body
 *
 *   base       build.json's identity (FileIdentity) when the journal was written: the journal is read with that very
 *              file only. Any other file there (or a journal out of place, as above) means no cache at all: a journal
 *              that does not fit is a sign of something gone wrong, and a full build is what clears it up.
 *   summaries  added at the end of build.json's table: the lines of both refer to the two as one table
 *   fleet, record  replace build.json's
 *
 * Each build writes the journal whole (temp + rename, as every file): the lines of every host whose parts (or model) differ from
 * build.json's line, the ones it read from the journal as read. Read back, the hosts come in the order of build.json's
 * lines (less those the journal replaces or removes), then the journal's lines: cachedPartsInOrder and forEachPartInText
 * both follow it.
 */
type PartEntry = [fingerprint: string | null, summary: number | null, warnings: WarningEntry[], files: FileFields, view?: string, inputs?: string];
type HostPartEntry = [fingerprint: string | null, summary: number | null, warnings: WarningEntry[], fileCount: number, kept: string[], view?: string, inputs?: string];
type ModelEntry = [inputs: string, refs: string[], answers: string, model: string];
/** Each file's FILE_FIELDS values, one file after the other: no array per file to parse and collect. */
type FileFields = (string | number)[];
type WarningEntry = [target: string, code: string, message: string, host: string | null, detail: TargetWarning['detail'] | null];

/** What a cache read from disk keeps of its text, for writeCache to write again. */
interface LinesRead {
  /** The file read (its text is read again by writeCache, and used only when the file is still this one). */
  identity: FileIdentity;
  /** The journal read with it, if any (its text is read again too, under the same condition). */
  journal: { identity: FileIdentity } | undefined;
  /** The summaries of both files, one table: build.json's first (the first `baseSummaries`), then the journal's. */
  summaries: readonly unknown[];
  baseSummaries: number;
  /** The record as the build that wrote this cache left it (RecordLeft). */
  record: RecordLeft | undefined;
  /**
   * host name → the parts read from its line, where the line is (start, end) in build.json's text or (isInJournal) the
   * journal's, and the summaries it refers to.
   */
  hosts: Map<string, { parts: Record<string, CachedPart>; model: ModelMemo | undefined; start: number; end: number; summaries: readonly number[]; isInJournal: boolean }>;
  /** The hosts build.json has a line for, whether the journal replaced or removed it or not. */
  baseHosts: readonly string[];
  /** Each fleet-wide part's place in cachedPartsInOrder's order, and its tag (a host part read knows its own: PartRead). */
  fleetPlaces: Map<CachedPart, { index: number; tag: number }>;
}

/** Kept beside each cache readCache returns, not in it: a BuildCache is the same whether read or built. */
const linesRead = new WeakMap<BuildCache, LinesRead>();

const NO_WARNINGS = Object.freeze([]) as unknown as TargetWarning[];
/** A file's values in FileFields: path, mode, flags (SECRET | KEPT_OUT_OF_GIT), size, mtimeMs, ino. */
export const FILE_FIELDS = 6;
const SECRET = 1;
const KEPT_OUT_OF_GIT = 2;

/**
 * The summary table a build writes: the one read, kept as it is for the lines written again, with new summaries added
 * at its end; `referred` collects the indexes the lines written (or left standing) refer to.
 */
function summaryTableOf(read: readonly unknown[]): { summaries: unknown[]; referred: Set<number>; indexOf: (summary: unknown) => number } {
  const summaries: unknown[] = [...read];
  const referred = new Set<number>();
  // Summaries read from the cache are shared objects, found by identity; fresh ones by their JSON.
  const byObject = new Map<unknown, number>();
  let byJson: Map<string, number> | undefined;
  summaries.forEach((summary, index) => {
    if (typeof summary === 'object' && summary !== null && !byObject.has(summary)) byObject.set(summary, index);
  });
  const indexOf = (summary: unknown): number => {
    let index = byObject.get(summary);
    if (index === undefined) {
      // Made on the first fresh summary only: a build that reuses every host never stringifies the table.
      byJson ??= new Map(summaries.map((known, i) => [JSON.stringify(known), i]));
      const json = JSON.stringify(summary);
      index = byJson.get(json);
      if (index === undefined) {
        index = summaries.push(summary) - 1;
        byJson.set(json, index);
      }
      if (typeof summary === 'object' && summary !== null) byObject.set(summary, index);
    }
    referred.add(index);
    return index;
  };
  return { summaries, referred, indexOf };
}

/** A fleet-wide part: its own fingerprint always (a host part's may be its host's: encodeHostPart). */
function encodeFleetPart(part: CachedPart, summaryIndex: (summary: unknown) => number): PartEntry {
  const entry: PartEntry = [part.fingerprint, part.summary !== undefined ? summaryIndex(part.summary) : null, part.warnings.map(encodeWarning), encodeFiles(part.files)];
  if (part.viewJson !== undefined) {
    entry.push(part.viewJson);
    if (part.fleetInputs !== undefined) entry.push(part.fleetInputs);
  }
  return entry;
}

function encodeHostPart(part: CachedPart, target: string, hostFingerprint: string, summaryIndex: (summary: unknown) => number): HostPartEntry {
  const entry: HostPartEntry = [
    part.fingerprint === hostFingerprint ? null : part.fingerprint,
    part.summary !== undefined ? summaryIndex(part.summary) : null,
    part.warnings.map(encodeWarning),
    fileCountOf(part),
    [...keptOutOfGitOf(part, target)],
  ];
  if (part.viewJson !== undefined) {
    entry.push(part.viewJson);
    if (part.fleetInputs !== undefined) entry.push(part.fleetInputs);
  }
  return entry;
}

function encodeHostLine(host: string, byTarget: Record<string, CachedPart>, model: ModelMemo | undefined, summaryIndex: (summary: unknown) => number): string {
  const first = Object.keys(byTarget)[0];
  const fingerprint = (first !== undefined ? byTarget[first]?.fingerprint : undefined) ?? '';
  const parts: Record<string, HostPartEntry> = {};
  const body: Record<string, FileFields> = {};
  for (const target of Object.keys(byTarget)) {
    const part = byTarget[target] as CachedPart;
    parts[target] = encodeHostPart(part, target, fingerprint, summaryIndex);
  }
  const index = model === undefined ? [host, fingerprint, parts] : [host, fingerprint, parts, [model.inputs, [...model.refs], model.answers, model.model] satisfies ModelEntry];
  // The very parts of one body read (a host whose model memo alone changed): that body, as read, not decoded.
  const bodyRead = HostBody.of(byTarget);
  if (bodyRead !== undefined) return `${JSON.stringify(index)}\t${bodyRead}`;
  for (const target of Object.keys(byTarget)) body[target] = encodeFiles((byTarget[target] as CachedPart).files);
  // JSON.stringify writes a tab inside a string as \t: the line's first tab is the one between the two.
  return `${JSON.stringify(index)}\t${JSON.stringify(body)}`;
}

/** `previous`: the cache read, and the texts of its files (read again). */
function encodeCache(cache: BuildCache, previousRead: { read: LinesRead; text: string; journalText: string | undefined } | undefined, record: RecordLeft | undefined): string {
  const previous = previousRead?.read;
  // Once fewer than half of the table read is still referred to, everything is encoded afresh into a new table.
  const table = summaryTableOf(previous === undefined ? [] : previous.summaries);
  const lines: string[] = [];
  for (const host of Object.keys(cache.hosts)) {
    const byTarget = cache.hosts[host] ?? {};
    const read = previous?.hosts.get(host);
    const source = read === undefined ? undefined : read.isInJournal ? previousRead?.journalText : previousRead?.text;
    const model = cache.models?.[host];
    if (read !== undefined && source !== undefined && isSameParts(read.parts, byTarget) && read.model === model) {
      lines.push(source.slice(read.start, read.end));
      for (const index of read.summaries) table.referred.add(index);
      continue;
    }
    lines.push(encodeHostLine(host, byTarget, model, table.indexOf));
  }
  const fleet = mapValues(cache.fleet, (part) => encodeFleetPart(part, table.indexOf));
  if (previous !== undefined && table.referred.size * 2 < table.summaries.length) return encodeCache(cache, undefined, record);
  // One join, with a line break after every line: no string per line and no second copy of the 12 MB text.
  return [JSON.stringify({ version: BUILD_FORMAT_VERSION, summaries: table.summaries, fleet, ...(record !== undefined ? { record } : {}) }), ...lines, ''].join('\n');
}

/**
 * The journal for `cache` over the cache file `read` was read from: the lines of the hosts whose parts are not the ones
 * read from that file. Undefined when it would take more than `maxLength` characters, or a new summary table is due:
 * the file is then written whole.
 */
function encodeJournal(cache: BuildCache, read: LinesRead, journalText: string | undefined, record: RecordLeft | undefined, maxLength: number): string | undefined {
  const table = summaryTableOf(read.summaries);
  const lines: string[] = [];
  let length = 0;
  // Indexed: see decodeCache.
  const hosts = Object.keys(cache.hosts);
  for (let position = 0; position < hosts.length; position++) {
    const host = hosts[position] as string;
    const byTarget = cache.hosts[host] ?? {};
    const was = read.hosts.get(host);
    const model = cache.models?.[host];
    let line: string;
    if (was !== undefined && isSameParts(was.parts, byTarget) && was.model === model && (!was.isInJournal || journalText !== undefined)) {
      for (let used = 0; used < was.summaries.length; used++) table.referred.add(was.summaries[used] as number);
      if (!was.isInJournal) continue;
      line = (journalText ?? '').slice(was.start, was.end);
    } else {
      line = encodeHostLine(host, byTarget, model, table.indexOf);
    }
    length += line.length + 1;
    if (length > maxLength) return undefined;
    lines.push(line);
  }
  for (let position = 0; position < read.baseHosts.length; position++) {
    const host = read.baseHosts[position] as string;
    if (Object.hasOwn(cache.hosts, host)) continue;
    const removal = JSON.stringify([host]);
    length += removal.length + 1;
    lines.push(removal);
  }
  const fleet = mapValues(cache.fleet, (part) => encodeFleetPart(part, table.indexOf));
  if (table.referred.size * 2 < table.summaries.length) return undefined;
  const head = JSON.stringify({ version: BUILD_FORMAT_VERSION, base: read.identity, summaries: table.summaries.slice(read.baseSummaries), fleet, ...(record !== undefined ? { record } : {}) });
  if (length + head.length + 1 > maxLength) return undefined;
  return [head, ...lines, ''].join('\n');
}

/** The same targets, each with the very part object read. */
function isSameParts(read: Record<string, CachedPart>, parts: Record<string, CachedPart>): boolean {
  const targets = Object.keys(parts);
  return targets.length === Object.keys(read).length && targets.every((target) => read[target] === parts[target]);
}

function encodeFiles(files: readonly CachedFile[]): FileFields {
  const fields: FileFields = [];
  for (const file of files) fields.push(file.path, file.mode, (file.isSecret ? SECRET : 0) | (file.isKeptOutOfGit ? KEPT_OUT_OF_GIT : 0), file.size, file.mtimeMs, file.ino);
  return fields;
}

function encodeWarning(warning: TargetWarning): WarningEntry {
  return [warning.target, warning.code, warning.message, warning.host ?? null, warning.detail ?? null];
}

/**
 * What tells a part's place in the order both visitors below follow: the ordinal of its host among the hosts visited
 * (undefined: a fleet-wide part) and its target. The stat-ahead thread sends it with each part's answer, and the
 * build takes an answer only for the part whose own tag it carries.
 */
export function partTagOf(hostOrdinal: number | undefined, target: string): number {
  const targetIndex = (TARGET_NAMES as readonly string[]).indexOf(target);
  return ((hostOrdinal ?? -1) + 1) * 8 + (targetIndex === -1 ? 7 : targetIndex);
}

/**
 * The place of `part` in cachedPartsInOrder's order of `cache` (a cache read from its file), -1 when it is no part of
 * that cache; partPlaceTagOf, its tag. Kept on each part when the cache is read: no map of tens of thousands of parts.
 */
export function partPlaceOf(cache: BuildCache, part: CachedPart): number {
  const read = linesRead.get(cache);
  if (read === undefined) return -1;
  if (part instanceof PartRead) return part.readFrom === read ? part.placeIndex : -1;
  return read.fleetPlaces.get(part)?.index ?? -1;
}

/** The tag (partTagOf) of `part`, a part of `cache` (partPlaceOf is not -1). */
export function partPlaceTagOf(cache: BuildCache, part: CachedPart): number {
  if (part instanceof PartRead) return part.placeTag;
  return linesRead.get(cache)?.fleetPlaces.get(part)?.tag ?? -1;
}

/**
 * Every part of a cache read from its file (none for a cache built: undefined), in the order of the text: each host's
 * line, its parts in the order written, then the fleet-wide parts, each with its partTagOf. forEachPartInText follows
 * the same order.
 */
export function cachedPartsInOrder(cache: BuildCache, visit: (part: CachedPart, index: number, tag: number) => void): number | undefined {
  const read = linesRead.get(cache);
  if (read === undefined) return undefined;
  let index = 0;
  let ordinal = 0;
  // Map.forEach and indexed: see decodeCache.
  read.hosts.forEach(({ parts }) => {
    const targets = Object.keys(parts);
    for (let position = 0; position < targets.length; position++) {
      const target = targets[position] as string;
      visit(parts[target] as CachedPart, index++, partTagOf(ordinal, target));
    }
    ordinal++;
  });
  for (const target of Object.keys(cache.fleet)) visit(cache.fleet[target] as CachedPart, index++, partTagOf(undefined, target));
  return index;
}

/**
 * The file fields (FileFields: path, mode, flags, size, mtimeMs, ino, file after file) of each part in a cache's
 * text and its journal's (`journal`, if any), in cachedPartsInOrder's order, without decoding the cache: for the
 * stat-ahead thread, which needs no more and must not take the memory or time of a second decoded cache. Checks no
 * more than the order depends on: what else is wrong (a journal for another file among it) makes readCache refuse the
 * texts, and the build then has no cache to use the stat-ahead report with.
 * A part not in its shape comes as undefined. Returns the number of parts; undefined when the text is not lines of
 * the shape cachedPartsInOrder reads.
 */
export function forEachPartInText(text: string, visit: (files: readonly unknown[] | undefined, index: number, tag: number, target: string) => void, journal?: string): number | undefined {
  if (!text.endsWith('\n')) return undefined;
  let end = text.indexOf('\n');
  const head = parseJson(text.slice(0, end));
  if (!isObject(head) || head.version !== BUILD_FORMAT_VERSION || !isObject(head.fleet)) return undefined;
  const changes = journal === undefined ? undefined : journalEntries(journal);
  if (journal !== undefined && changes === undefined) return undefined;
  let index = 0;
  let ordinal = 0;
  // A host's files: its line's body (after the tab), target by target.
  const visitBody = (source: string, bodyStart: number, bodyEnd: number, hostOrdinal: number): boolean => {
    const body = parseJson(source.slice(bodyStart, bodyEnd));
    if (!isObject(body)) return false;
    for (const target of Object.keys(body)) {
      const files = body[target];
      visit(Array.isArray(files) ? files : undefined, index++, partTagOf(hostOrdinal, target), target);
    }
    return true;
  };
  for (let start = end + 1; start < text.length; start = end + 1) {
    end = text.indexOf('\n', start);
    const tab = text.indexOf('\t', start);
    if (tab === -1 || tab > end) return undefined;
    // Only a journal replaces lines: the host's name is needed then, not otherwise.
    if (changes !== undefined) {
      const entry = parseJson(text.slice(start, tab));
      if (!Array.isArray(entry)) return undefined;
      if (changes.hosts.has(entry[0] as string)) continue;
    }
    if (!visitBody(text, tab + 1, end, ordinal++)) return undefined;
  }
  for (const { entry, end: lineEnd, bodyStart } of changes?.lines ?? []) {
    if (entry.length === 1) continue;
    if (journal === undefined || !visitBody(journal, bodyStart, lineEnd, ordinal++)) return undefined;
  }
  const fleet = changes?.head.fleet ?? head.fleet;
  for (const target of Object.keys(fleet)) {
    const entry = fleet[target];
    visit(Array.isArray(entry) && Array.isArray(entry[3]) ? (entry[3] as unknown[]) : undefined, index++, partTagOf(undefined, target), target);
  }
  return index;
}

/** A journal's line, read: its entry (a host's index, or a removal), where it is, and where its body starts (after the tab). */
interface JournalLine {
  entry: unknown[];
  start: number;
  end: number;
  /** A host's line: the first character after its tab. A removal has no body (its end). */
  bodyStart: number;
}

/**
 * A journal's head and lines, each line a host's (its index, before the tab, parsed; its body not) or a removal (one
 * element, no tab), each host once; undefined when the text is not in that shape. (Its `base` is checked by decodeCache.)
 */
function journalEntries(text: string): { head: Record<string, unknown> & { fleet: Record<string, unknown> }; lines: JournalLine[]; hosts: Set<string> } | undefined {
  if (!text.endsWith('\n')) return undefined;
  let end = text.indexOf('\n');
  const head = parseJson(text.slice(0, end));
  if (!isObject(head) || head.version !== BUILD_FORMAT_VERSION || !isObject(head.fleet) || !Array.isArray(head.summaries)) return undefined;
  const lines: JournalLine[] = [];
  const hosts = new Set<string>();
  for (let start = end + 1; start < text.length; start = end + 1) {
    end = text.indexOf('\n', start);
    const found = text.indexOf('\t', start);
    const tab = found === -1 || found > end ? end : found;
    const entry = parseJson(text.slice(start, tab));
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || hosts.has(entry[0])) return undefined;
    // A removal has no body; a host's line has one.
    if (entry.length === 1 ? tab !== end : (entry.length !== 3 && entry.length !== 4) || tab === end) return undefined;
    hosts.add(entry[0]);
    lines.push({ entry, start, end, bodyStart: entry.length === 1 ? end : tab + 1 });
  }
  return { head: head as Record<string, unknown> & { fleet: Record<string, unknown> }, lines, hosts };
}

/** The cache the texts hold, or undefined when anything in them is not as writeCache writes them. */
function decodeCache({ text, identity, journal }: CacheText): BuildCache | undefined {
  // The last line break is there: nothing was cut off after a host's line.
  if (!text.endsWith('\n')) return undefined;
  let end = text.indexOf('\n');
  const head = parseJson(text.slice(0, end));
  if (!isObject(head) || head.version !== BUILD_FORMAT_VERSION || !Array.isArray(head.summaries) || !isObject(head.fleet)) return undefined;
  const changes = journal === undefined ? undefined : journalEntries(journal.text);
  if (journal !== undefined && (changes === undefined || !isIdentityOf(changes.head.base, identity))) return undefined;
  const latest = changes?.head ?? head;
  const summaries: unknown[] = changes === undefined ? head.summaries : [...(head.summaries as unknown[]), ...(changes.head.summaries as unknown[])];
  const read: LinesRead = {
    identity,
    journal: journal && { identity: journal.identity },
    summaries,
    baseSummaries: head.summaries.length,
    hosts: new Map(),
    record: recordLeftIn(latest.record),
    baseHosts: [],
    fleetPlaces: new Map(),
  };
  // No prototype: a host named like an Object property ("constructor") must not find one in the cache.
  const hosts: BuildCache['hosts'] = Object.create(null) as BuildCache['hosts'];
  const baseHosts = new Set<string>();
  for (let start = end + 1; start < text.length; start = end + 1) {
    end = text.indexOf('\n', start);
    const tab = text.indexOf('\t', start);
    if (tab === -1 || tab > end) return undefined;
    const entry = parseJson(text.slice(start, tab));
    if (!Array.isArray(entry) || (entry.length !== 3 && entry.length !== 4) || typeof entry[0] !== 'string' || typeof entry[1] !== 'string' || !isObject(entry[2])) return undefined;
    const host: string = entry[0];
    if (baseHosts.has(host)) return undefined;
    baseHosts.add(host);
    const used: number[] = [];
    const byTarget = decodeHostParts(entry[2], entry[1], summaries, used, text, tab + 1, end);
    const model = entry.length === 4 ? decodeModel(entry[3]) : undefined;
    if (byTarget === undefined || (entry.length === 4 && model === undefined)) return undefined;
    if (changes?.hosts.has(host) === true) continue;
    hosts[host] = byTarget;
    read.hosts.set(host, { parts: byTarget, model, start, end, summaries: used, isInJournal: false });
  }
  for (const { entry, start, end: lineEnd, bodyStart } of changes?.lines ?? []) {
    const host = entry[0] as string;
    if (entry.length === 1) {
      // A removal of a host build.json does not have is not one this code writes.
      if (!baseHosts.has(host)) return undefined;
      continue;
    }
    if (typeof entry[1] !== 'string' || !isObject(entry[2]) || journal === undefined) return undefined;
    const used: number[] = [];
    const byTarget = decodeHostParts(entry[2], entry[1], summaries, used, journal.text, bodyStart, lineEnd);
    const model = entry.length === 4 ? decodeModel(entry[3]) : undefined;
    if (byTarget === undefined || (entry.length === 4 && model === undefined)) return undefined;
    hosts[host] = byTarget;
    read.hosts.set(host, { parts: byTarget, model, start, end: lineEnd, summaries: used, isInJournal: true });
  }
  read.baseHosts = [...baseHosts];
  if (!isObject(latest.fleet)) return undefined;
  const fleet = decodeFleetParts(latest.fleet, summaries);
  if (fleet === undefined) return undefined;
  // read.hosts holds exactly the hosts of the cache (a line replaced or removed by the journal is not there), each
  // with the model entry of its latest line. (Map.forEach, and indexed loops in cachedPartsInOrder and decodeHostParts:
  // for every host of every rebuild, mostly in code V8 has not optimized yet, where a for-of makes an iterator and a
  // result per step: write/tiering.ts.)
  const models: Record<string, ModelMemo> = Object.create(null) as Record<string, ModelMemo>;
  let modelCount = 0;
  read.hosts.forEach(({ model }, host) => {
    if (model === undefined) return;
    models[host] = model;
    modelCount++;
  });
  const cache: BuildCache = modelCount > 0 ? { hosts, fleet, models } : { hosts, fleet };
  linesRead.set(cache, read);
  // Each part's place in cachedPartsInOrder's order and its tag, kept on the part (partPlaceOf, partPlaceTagOf): the
  // stat-ahead thread answers by place.
  cachedPartsInOrder(cache, (part, index, tag) => {
    if (part instanceof PartRead) part.placeIn(read, index, tag);
    else read.fleetPlaces.set(part, { index, tag });
  });
  return cache;
}

/** Whether `value` (a journal's `base`) names the file `identity` is of. */
function isIdentityOf(value: unknown, identity: FileIdentity): boolean {
  return isObject(value) && value.size === identity.size && value.mtimeMs === identity.mtimeMs && value.ino === identity.ino;
}

/** The head's `record`, when it is one (an older cache has none: the record is then serialized as before). */
function recordLeftIn(value: unknown): RecordLeft | undefined {
  if (!isObject(value)) return undefined;
  const { size, mtimeMs, ino, generator, ctimeMs } = value;
  if (typeof size !== 'number' || typeof mtimeMs !== 'number' || typeof ino !== 'number' || typeof generator !== 'string') return undefined;
  return typeof ctimeMs === 'number' ? { size, mtimeMs, ino, generator, ctimeMs } : { size, mtimeMs, ino, generator };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `used`: gets the index of each summary the parts refer to. */
function decodeFleetParts(entries: Record<string, unknown>, summaries: unknown[]): Record<string, CachedPart> | undefined {
  const parts: Record<string, CachedPart> = {};
  for (const target of Object.keys(entries)) {
    const entry = entries[target];
    const part = isTargetName(target) ? decodeFleetPart(entry, summaries) : undefined;
    if (part === undefined) return undefined;
    parts[target] = part;
  }
  return parts;
}

/** A fleet-wide part, its files decoded now (a host part's wait: decodeHostPart). Rejects one without its own fingerprint. */
function decodeFleetPart(entry: unknown, summaries: unknown[]): CachedPart | undefined {
  if (!Array.isArray(entry) || entry.length < 4 || entry.length > 6) return undefined;
  const fingerprint: unknown = entry[0];
  const summaryEntry: unknown = entry[1];
  const warnings = decodeWarnings(entry[2]);
  const fileEntries: unknown = entry[3];
  if (typeof fingerprint !== 'string' || (summaryEntry !== null && !isIndexInto(summaries, summaryEntry))) return undefined;
  if (warnings === undefined || !Array.isArray(fileEntries)) return undefined;
  if (fileEntries.length % FILE_FIELDS !== 0) return undefined;
  const files: CachedFile[] = [];
  for (let offset = 0; offset < fileEntries.length; offset += FILE_FIELDS) {
    const file = decodeFile(fileEntries, offset);
    if (file === undefined) return undefined;
    files.push(file);
  }
  const part: CachedPart = summaryEntry === null ? { fingerprint, warnings, files } : { fingerprint, summary: summaries[summaryEntry], warnings, files };
  if (entry.length >= 5) {
    const viewJson: unknown = entry[4];
    if (typeof viewJson !== 'string') return undefined;
    part.viewJson = viewJson;
  }
  if (entry.length === 6) {
    const fleetInputs: unknown = entry[5];
    if (typeof fleetInputs !== 'string') return undefined;
    part.fleetInputs = fleetInputs;
  }
  return part;
}

/**
 * A host's parts from its line's index (`entries`), their files left in the body, `source` from `bodyStart` to
 * `bodyEnd`, to decode when first asked for (HostBody). `used`: gets the index of each summary the parts refer to.
 */
function decodeHostParts(entries: Record<string, unknown>, hostFingerprint: string, summaries: unknown[], used: number[], source: string, bodyStart: number, bodyEnd: number): Record<string, CachedPart> | undefined {
  const parts: Record<string, PartRead> = {};
  const body = new HostBody(source, bodyStart, bodyEnd, parts);
  const targets = Object.keys(entries);
  for (let position = 0; position < targets.length; position++) {
    const target = targets[position] as string;
    const part = isTargetName(target) ? decodeHostPart(entries[target], hostFingerprint, summaries, used, body, target) : undefined;
    if (part === undefined) return undefined;
    parts[target] = part;
  }
  return parts;
}

// Indexed rather than destructured, and no spreads: this runs for every part of every host on every rebuild.
function decodeHostPart(entry: unknown, hostFingerprint: string, summaries: unknown[], used: number[], body: HostBody, target: TargetName): PartRead | undefined {
  if (!Array.isArray(entry) || entry.length < 5 || entry.length > 7) return undefined;
  const fingerprint: unknown = entry[0] === null ? hostFingerprint : entry[0];
  const summaryEntry: unknown = entry[1];
  const warnings = decodeWarnings(entry[2]);
  const fileCount: unknown = entry[3];
  const kept: unknown = entry[4];
  if (typeof fingerprint !== 'string' || (summaryEntry !== null && !isIndexInto(summaries, summaryEntry)) || warnings === undefined) return undefined;
  if (!Number.isInteger(fileCount) || (fileCount as number) < 0 || !Array.isArray(kept) || !kept.every((path) => typeof path === 'string')) return undefined;
  if (summaryEntry !== null) used.push(summaryEntry);
  const viewJson: unknown = entry[5];
  const fleetInputs: unknown = entry[6];
  if ((entry.length >= 6 && typeof viewJson !== 'string') || (entry.length === 7 && typeof fleetInputs !== 'string')) return undefined;
  return new PartRead(fingerprint, summaryEntry === null ? NO_SUMMARY : summaries[summaryEntry], viewJson as string | undefined, fleetInputs as string | undefined, warnings, fileCount as number, kept as string[], body, target);
}

/** PartRead's summary when the part has none (a part built has no `summary` property then). */
const NO_SUMMARY: unique symbol = Symbol('no summary');

/**
 * A host part read from the cache's file: all but its files, which stay text (the line's body, HostBody) until first
 * asked for. A rebuild that reuses the part whole takes their number and the paths kept out of git from the line's
 * index, and leaves the line as it was read: tens of thousands of files are never made, nor garbage collected.
 * (`summary` and the others are properties of the object only when the part has them, as in a part built.)
 */
class PartRead implements CachedPart {
  declare summary?: unknown;
  declare viewJson?: string;
  declare fleetInputs?: string;

  constructor(
    public fingerprint: string,
    summary: unknown,
    viewJson: string | undefined,
    fleetInputs: string | undefined,
    public warnings: TargetWarning[],
    /** How many files the part has (checked against the body when it is decoded). */
    readonly fileCount: number,
    /** keptOutOfGitOf the part (checked against the body when it is decoded). */
    readonly keptOutOfGit: readonly string[],
    private readonly body: HostBody,
    readonly target: TargetName,
  ) {
    if (summary !== NO_SUMMARY) this.summary = summary;
    if (viewJson !== undefined) this.viewJson = viewJson;
    if (fleetInputs !== undefined) this.fleetInputs = fleetInputs;
  }

  /** The cache read it is a part of, and its index and tag in cachedPartsInOrder's order (partPlaceOf, partPlaceTagOf). */
  readFrom: LinesRead | undefined = undefined;
  placeIndex = -1;
  placeTag = -1;

  placeIn(read: LinesRead, index: number, tag: number): void {
    this.readFrom = read;
    this.placeIndex = index;
    this.placeTag = tag;
  }

  /** Decoded from the body when first asked for; throws CacheDamaged when the body is not in shape. */
  get files(): CachedFile[] {
    return this.body.filesOf(this.target);
  }

  /** The body the part's files are in (HostBody.of). */
  get bodyRead(): HostBody {
    return this.body;
  }
}

/**
 * A host line's body in the text read: `{"chef": [<file>…], …}`, the files of each of its parts (`parts`: the same
 * targets, in the same order), decoded all at once when a part's files are first asked for.
 */
class HostBody {
  private decoded: Record<string, CachedFile[]> | undefined;

  constructor(
    private readonly source: string,
    private readonly start: number,
    private readonly end: number,
    private readonly parts: Readonly<Record<string, PartRead>>,
  ) {}

  /** The text of the body whose parts `byTarget` are, all of them and in its order; undefined when it is no such body. */
  static of(byTarget: Readonly<Record<string, CachedPart>>): string | undefined {
    const first = Object.values(byTarget)[0];
    if (!(first instanceof PartRead)) return undefined;
    const body = first.bodyRead;
    const targets = Object.keys(byTarget);
    const own = Object.keys(body.parts);
    if (targets.length !== own.length || targets.some((target, index) => target !== own[index] || byTarget[target] !== body.parts[target])) return undefined;
    return body.source.slice(body.start, body.end);
  }

  filesOf(target: string): CachedFile[] {
    this.decoded ??= this.decode();
    const files = this.decoded[target];
    if (files === undefined) throw new CacheDamaged();
    return files;
  }

  /**
   * The files of every part: each path clean and inside its target's folder, each part with as many files as its
   * index says, and the files kept out of git it lists.
   */
  private decode(): Record<string, CachedFile[]> {
    const body = parseJson(this.source.slice(this.start, this.end));
    const targets = Object.keys(this.parts);
    if (!isObject(body)) throw new CacheDamaged();
    const bodyTargets = Object.keys(body);
    if (bodyTargets.length !== targets.length || bodyTargets.some((target, index) => target !== targets[index])) throw new CacheDamaged();
    const decoded: Record<string, CachedFile[]> = {};
    for (const target of targets) {
      const part = this.parts[target] as PartRead;
      const fields = body[target];
      if (!Array.isArray(fields) || fields.length !== part.fileCount * FILE_FIELDS) throw new CacheDamaged();
      const files: CachedFile[] = [];
      let kept = 0;
      for (let offset = 0; offset < fields.length; offset += FILE_FIELDS) {
        const file = decodeFile(fields, offset);
        if (file === undefined || !file.path.startsWith(`${target}/`)) throw new CacheDamaged();
        if (file.isKeptOutOfGit && part.keptOutOfGit[kept++] !== file.path.slice(target.length + 1)) throw new CacheDamaged();
        files.push(file);
      }
      if (kept !== part.keptOutOfGit.length) throw new CacheDamaged();
      decoded[target] = files;
    }
    return decoded;
  }
}

function decodeWarnings(entries: unknown): TargetWarning[] | undefined {
  if (!Array.isArray(entries)) return undefined;
  // Most parts have no warning: they share one empty list (frozen: nothing adds to a cached part's warnings).
  if (entries.length === 0) return NO_WARNINGS;
  const warnings: TargetWarning[] = [];
  for (const entry of entries) {
    const warning = decodeWarning(entry);
    if (warning === undefined) return undefined;
    warnings.push(warning);
  }
  return warnings;
}

function decodeModel(entry: unknown): ModelMemo | undefined {
  if (!Array.isArray(entry) || entry.length !== 4) return undefined;
  const inputs: unknown = entry[0];
  const refs: unknown = entry[1];
  const answers: unknown = entry[2];
  const model: unknown = entry[3];
  if (typeof inputs !== 'string' || !Array.isArray(refs) || !refs.every((ref) => typeof ref === 'string') || typeof answers !== 'string' || typeof model !== 'string') return undefined;
  return { inputs, refs: refs as string[], answers, model };
}

function decodeFile(fields: readonly unknown[], offset: number): CachedFile | undefined {
  const path = fields[offset];
  const mode = fields[offset + 1];
  const flags = fields[offset + 2];
  const size = fields[offset + 3];
  const mtimeMs = fields[offset + 4];
  const ino = fields[offset + 5];
  if (typeof path !== 'string' || !isCleanRelativePath(path) || !Number.isInteger(mode) || !isFileFlags(flags)) return undefined;
  if (typeof size !== 'number' || typeof mtimeMs !== 'number' || typeof ino !== 'number') return undefined;
  const bits = flags;
  // The property order of cachedFileOf's objects: one shape for every file of a build.
  return { path, mode: mode as number, isSecret: (bits & SECRET) !== 0, isKeptOutOfGit: (bits & KEPT_OUT_OF_GIT) !== 0, size, mtimeMs, ino };
}

/** Whether `value` is a file's flags in FileFields (SECRET | KEPT_OUT_OF_GIT), no other bit. */
export function isFileFlags(value: unknown): value is number {
  return Number.isInteger(value) && ((value as number) & ~(SECRET | KEPT_OUT_OF_GIT)) === 0;
}

function decodeWarning(entry: unknown): TargetWarning | undefined {
  if (!Array.isArray(entry) || entry.length !== 5) return undefined;
  const target: unknown = entry[0];
  const code: unknown = entry[1];
  const message: unknown = entry[2];
  const host: unknown = entry[3];
  const detail: unknown = entry[4];
  if (!isTargetName(target) || typeof code !== 'string' || typeof message !== 'string') return undefined;
  if ((host !== null && typeof host !== 'string') || (detail !== null && !isWarningDetail(detail))) return undefined;
  const warning: TargetWarning = { target, code, message };
  if (host !== null) warning.host = host;
  if (detail !== null) warning.detail = detail;
  return warning;
}

function isTargetName(value: unknown): value is TargetName {
  return (TARGET_NAMES as readonly unknown[]).includes(value);
}

function isWarningDetail(value: unknown): value is NonNullable<TargetWarning['detail']> {
  return isObject(value) && Object.values(value).every((v) => typeof v === 'string' || typeof v === 'number' || (Array.isArray(v) && v.every((s) => typeof s === 'string')));
}

function isIndexInto(list: readonly unknown[], value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) < list.length;
}

function mapValues<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  const mapped: Record<string, U> = {};
  for (const key of Object.keys(record)) mapped[key] = map(record[key] as T);
  return mapped;
}
