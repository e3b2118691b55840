/**
 * The build cache, out/.fleetgen-cache/: per host and target, the fingerprint of everything that decides that
 * host's files, what the fleet-wide files need from it, its warnings, and each file as written (mode, and size,
 * mtime and inode right after the write); beside it, the texts the build parsed (parsed.bin, load/parse-cache.ts). A host whose fingerprint is unchanged and whose files still stat as
 * recorded is neither regenerated nor read again; anything else is regenerated and compared byte for byte.
 *
 * A rebuild after a few hosts changed writes the lines of every other host as it read them (see the format below).
 *
 * Only a cache: never committed (the folder ignores itself, like .pytest_cache), 0600 (fingerprints are digests
 * over secrets too), and anything wrong with it — missing, unreadable, another format — means a full build. It is
 * set aside before a build writes anything and written again last, so a build that was killed is followed by a full
 * one, which also removes the temp files the kill left (plan.ts, leftoverTemps).
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
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
/** Texts as parsed (load/parse-cache.ts), by a digest of their text. */
const PARSED_FILE = 'parsed.bin';
const PARSED_FORMAT_VERSION = 1;
/**
 * build.json's own format (see the end of this file); version 1 held an object per part and per file, version 2 was
 * one JSON document.
 */
const BUILD_FORMAT_VERSION = 3;

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
  files: CachedFile[];
}

export interface BuildCache {
  /** host name → target name → part. */
  hosts: Record<string, Record<string, CachedPart>>;
  /** target name → its fleet-wide part. */
  fleet: Record<string, CachedPart>;
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
  return decodeCache(read.text, read.identity);
}

/** The cache file in out/ (stat-ahead.ts looks at its size before reading it). */
export function cacheFilePath(outDir: string): string {
  return join(outDir, CACHE_DIR, CACHE_FILE);
}

/** The cache file's text, not decoded, and which file it was (the stat-ahead thread's reading: stat-ahead-worker.ts). */
export function readCacheText(outDir: string): { text: string; identity: FileIdentity } | undefined {
  return readText(cacheFilePath(outDir));
}

/** The identity of the file a cache was read from (readCache); undefined for a cache built, not read. */
export function identityOfCache(cache: BuildCache): FileIdentity | undefined {
  return linesRead.get(cache)?.identity;
}

/**
 * The record (out/.fleetgen-state.json) as the build that wrote a cache left it: the file's identity, and the
 * generator (generatorDigest) that wrote it. A record still that very file is the text that generator's
 * serializeState gave, so a build with the same generator and the same files need not serialize it again.
 */
export interface RecordLeft extends FileIdentity {
  generator: string;
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
    return { text: readFileSync(fd, 'utf8'), identity };
  } finally {
    closeSync(fd);
  }
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
 * (reused, not regenerated) is written as the line it was read from.
 */
export function writeCache(outDir: string, cache: BuildCache, previous?: BuildCache, record?: RecordLeft): void {
  const dir = cacheFolder(outDir);
  const read = previous === undefined ? undefined : linesRead.get(previous);
  // The lines are read again rather than kept through the build (12 MB at 10,000 hosts, which raised the rebuild's
  // peak memory by about 60 MB): from the file set aside, or not yet set aside, when it is still the file read.
  const text = read === undefined ? undefined : textReadAgain(dir, read.identity);
  rmSync(join(dir, ASIDE_FILE), { force: true });
  writeFileAtomic(join(dir, CACHE_FILE), encodeCache(cache, read !== undefined && text !== undefined ? { read, text } : undefined, record), { mode: 0o600 });
}

/** The text of the file once read, set aside since or not; undefined when neither file is that one any more. */
function textReadAgain(dir: string, identity: FileIdentity): string | undefined {
  for (const name of [ASIDE_FILE, CACHE_FILE]) {
    const again = readText(join(dir, name));
    if (again !== undefined && isSameFile(again.identity, identity)) return again.text;
  }
  return undefined;
}

export function isSameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/** The texts an earlier build parsed; none when there are none or they cannot be used. */
export function readParseCache(outDir: string): ParseCache {
  try {
    const data: unknown = deserialize(readFileSync(join(outDir, CACHE_DIR, PARSED_FILE)));
    if (isObject(data) && data.version === PARSED_FORMAT_VERSION && data.entries instanceof Map) {
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
    writeFileAtomic(join(cacheFolder(outDir), PARSED_FILE), serialize({ version: PARSED_FORMAT_VERSION, entries: cache.entries() }), { mode: 0o600 });
  } catch {
    // see above
  }
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
 * again; the first line, which holds what those lines refer to, is written new by every build.
 *
 *   {"version": 3, "summaries": [{"profile": "8ea7…", "stored": […]}, …], "fleet": {"chef": <part>, …}, "record": <record>}
 *   ["web-1", "<fingerprint>", {"chef": <part>, …}]          a line per host: the fingerprint its parts share, once
 *   …
 *
 *   summaries each distinct summary once; a rebuild keeps the table it read as it is (the lines it writes again
 *             refer to it) and adds new summaries at its end, and starts a new table when most of it is unused
 *   <part>    [fingerprint or null (the host's), index into summaries or null (none), [<warning>…], [<file>, <file>…]]
 *   <file>    path, mode, flags (1 secret, 2 kept out of git), size, mtimeMs, ino: six values in the part's list
 *   <warning> [target, code, message, host or null, detail or null]
 *   <record>  {"size", "mtimeMs", "ino", "generator"}: out/.fleetgen-state.json as this build left it (RecordLeft);
 *             absent when not known
 *
 * Read back, every part that refers to one summary gets the same object: a fleet's thousands of hosts with one
 * Chef profile hold it once in memory too. Anything out of place (a wrong type, an index out of range, a host twice, a
 * missing last line break) makes the whole cache unusable, which means a full build — never a part reused on the
 * strength of a damaged record.
 */
type PartEntry = [fingerprint: string | null, summary: number | null, warnings: WarningEntry[], files: FileFields];
/** Each file's FILE_FIELDS values, one file after the other: no array per file to parse and collect. */
type FileFields = (string | number)[];
type WarningEntry = [target: string, code: string, message: string, host: string | null, detail: TargetWarning['detail'] | null];

/** What a cache read from disk keeps of its text, for writeCache to write again. */
interface LinesRead {
  /** The file read (its text is read again by writeCache, and used only when the file is still this one). */
  identity: FileIdentity;
  summaries: readonly unknown[];
  /** The record as the build that wrote this cache left it (RecordLeft). */
  record: RecordLeft | undefined;
  /** host name → the parts read from its line, where the line is in the text (start, end), and the summaries it refers to. */
  hosts: Map<string, { parts: Record<string, CachedPart>; start: number; end: number; summaries: readonly number[] }>;
}

/** Kept beside each cache readCache returns, not in it: a BuildCache is the same whether read or built. */
const linesRead = new WeakMap<BuildCache, LinesRead>();

const NO_WARNINGS = Object.freeze([]) as unknown as TargetWarning[];
/** A file's values in FileFields: path, mode, flags (SECRET | KEPT_OUT_OF_GIT), size, mtimeMs, ino. */
export const FILE_FIELDS = 6;
const SECRET = 1;
const KEPT_OUT_OF_GIT = 2;

/** `previous`: the cache read, and the text of its file (read again). */
function encodeCache(cache: BuildCache, previousRead: { read: LinesRead; text: string } | undefined, record: RecordLeft | undefined): string {
  const previous = previousRead?.read;
  // The table read is kept as it is, for the lines written again; once fewer than half of its summaries are still
  // referred to, everything is encoded afresh into a new table.
  const summaries: unknown[] = previous === undefined ? [] : [...previous.summaries];
  const referred = new Set<number>();
  // Summaries read from the cache are shared objects, found by identity; fresh ones by their JSON.
  const byObject = new Map<unknown, number>();
  let byJson: Map<string, number> | undefined;
  summaries.forEach((summary, index) => {
    if (typeof summary === 'object' && summary !== null && !byObject.has(summary)) byObject.set(summary, index);
  });
  const summaryIndex = (summary: unknown): number => {
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
  const encodePart = (part: CachedPart, hostFingerprint: string | undefined): PartEntry => [
    part.fingerprint === hostFingerprint ? null : part.fingerprint,
    part.summary !== undefined ? summaryIndex(part.summary) : null,
    part.warnings.map(encodeWarning),
    encodeFiles(part.files),
  ];
  const lines: string[] = [];
  for (const host of Object.keys(cache.hosts)) {
    const byTarget = cache.hosts[host] ?? {};
    const read = previous?.hosts.get(host);
    if (read !== undefined && previousRead !== undefined && isSameParts(read.parts, byTarget)) {
      lines.push(previousRead.text.slice(read.start, read.end));
      for (const index of read.summaries) referred.add(index);
      continue;
    }
    const first = Object.keys(byTarget)[0];
    const fingerprint = (first !== undefined ? byTarget[first]?.fingerprint : undefined) ?? '';
    lines.push(JSON.stringify([host, fingerprint, mapValues(byTarget, (part) => encodePart(part, fingerprint))]));
  }
  const fleet = mapValues(cache.fleet, (part) => encodePart(part, undefined));
  if (previous !== undefined && referred.size * 2 < summaries.length) return encodeCache(cache, undefined, record);
  // One join, with a line break after every line: no string per line and no second copy of the 12 MB text.
  return [JSON.stringify({ version: BUILD_FORMAT_VERSION, summaries, fleet, ...(record !== undefined ? { record } : {}) }), ...lines, ''].join('\n');
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
 * Every part of a cache read from its file (none for a cache built: undefined), in the order of the text: each host's
 * line, its parts in the order written, then the fleet-wide parts. forEachPartInText follows the same order.
 */
export function cachedPartsInOrder(cache: BuildCache, visit: (part: CachedPart, index: number) => void): number | undefined {
  const read = linesRead.get(cache);
  if (read === undefined) return undefined;
  let index = 0;
  for (const { parts } of read.hosts.values()) for (const target of Object.keys(parts)) visit(parts[target] as CachedPart, index++);
  for (const target of Object.keys(cache.fleet)) visit(cache.fleet[target] as CachedPart, index++);
  return index;
}

/**
 * The file fields (FileFields: path, mode, flags, size, mtimeMs, ino, file after file) of each part in a cache's
 * text, in cachedPartsInOrder's order, without decoding the cache: for the stat-ahead thread, which needs no more and
 * must not take the memory or time of a second decoded cache. Checks no more than the order depends on: what else is
 * wrong makes readCache refuse the text, and the build then has no cache to use the stat-ahead report with.
 * A part not in its shape comes as undefined. Returns the number of parts; undefined when the text is not lines of
 * the shape cachedPartsInOrder reads.
 */
export function forEachPartInText(text: string, visit: (files: readonly unknown[] | undefined, index: number) => void): number | undefined {
  if (!text.endsWith('\n')) return undefined;
  let end = text.indexOf('\n');
  const head = parseJson(text.slice(0, end));
  if (!isObject(head) || head.version !== BUILD_FORMAT_VERSION || !isObject(head.fleet)) return undefined;
  let index = 0;
  const visitParts = (entries: Record<string, unknown>): void => {
    for (const target of Object.keys(entries)) {
      const entry = entries[target];
      visit(Array.isArray(entry) && Array.isArray(entry[3]) ? (entry[3] as unknown[]) : undefined, index++);
    }
  };
  for (let start = end + 1; start < text.length; start = end + 1) {
    end = text.indexOf('\n', start);
    const entry = parseJson(text.slice(start, end));
    if (!Array.isArray(entry) || !isObject(entry[2])) return undefined;
    visitParts(entry[2]);
  }
  visitParts(head.fleet);
  return index;
}

/** The cache the text holds, or undefined when anything in it is not as encodeCache writes it. */
function decodeCache(text: string, identity: FileIdentity): BuildCache | undefined {
  // The last line break is there: nothing was cut off after a host's line.
  if (!text.endsWith('\n')) return undefined;
  let end = text.indexOf('\n');
  const head = parseJson(text.slice(0, end));
  if (!isObject(head) || head.version !== BUILD_FORMAT_VERSION || !Array.isArray(head.summaries) || !isObject(head.fleet)) return undefined;
  const summaries: unknown[] = head.summaries;
  const read: LinesRead = { identity, summaries, hosts: new Map(), record: recordLeftIn(head.record) };
  // No prototype: a host named like an Object property ("constructor") must not find one in the cache.
  const hosts: BuildCache['hosts'] = Object.create(null) as BuildCache['hosts'];
  for (let start = end + 1; start < text.length; start = end + 1) {
    end = text.indexOf('\n', start);
    const entry = parseJson(text.slice(start, end));
    if (!Array.isArray(entry) || entry.length !== 3 || typeof entry[0] !== 'string' || typeof entry[1] !== 'string' || !isObject(entry[2])) return undefined;
    const host: string = entry[0];
    if (read.hosts.has(host)) return undefined;
    const used: number[] = [];
    const byTarget = decodeParts(entry[2], entry[1], summaries, used);
    if (byTarget === undefined) return undefined;
    hosts[host] = byTarget;
    read.hosts.set(host, { parts: byTarget, start, end, summaries: used });
  }
  const fleet = decodeParts(head.fleet, undefined, summaries, []);
  if (fleet === undefined) return undefined;
  const cache = { hosts, fleet };
  linesRead.set(cache, read);
  return cache;
}

/** The head's `record`, when it is one (an older cache has none: the record is then serialized as before). */
function recordLeftIn(value: unknown): RecordLeft | undefined {
  if (!isObject(value)) return undefined;
  const { size, mtimeMs, ino, generator } = value;
  return typeof size === 'number' && typeof mtimeMs === 'number' && typeof ino === 'number' && typeof generator === 'string' ? { size, mtimeMs, ino, generator } : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `used`: gets the index of each summary the parts refer to. */
function decodeParts(entries: Record<string, unknown>, hostFingerprint: string | undefined, summaries: unknown[], used: number[]): Record<string, CachedPart> | undefined {
  const parts: Record<string, CachedPart> = {};
  for (const target of Object.keys(entries)) {
    const entry = entries[target];
    const part = isTargetName(target) ? decodePart(entry, hostFingerprint, summaries, used) : undefined;
    if (part === undefined) return undefined;
    parts[target] = part;
  }
  return parts;
}

// Indexed rather than destructured, and no spreads: this runs for every file of the fleet on every rebuild.
function decodePart(entry: unknown, hostFingerprint: string | undefined, summaries: unknown[], used: number[]): CachedPart | undefined {
  if (!Array.isArray(entry) || entry.length !== 4) return undefined;
  const fingerprint: unknown = entry[0] === null ? hostFingerprint : entry[0];
  const summaryEntry: unknown = entry[1];
  const warningEntries: unknown = entry[2];
  const fileEntries: unknown = entry[3];
  if (typeof fingerprint !== 'string' || (summaryEntry !== null && !isIndexInto(summaries, summaryEntry))) return undefined;
  if (summaryEntry !== null) used.push(summaryEntry);
  if (!Array.isArray(warningEntries) || !Array.isArray(fileEntries)) return undefined;
  // Most parts have no warning: they share one empty list (frozen: nothing adds to a cached part's warnings).
  const warnings: TargetWarning[] = warningEntries.length === 0 ? NO_WARNINGS : [];
  for (const warningEntry of warningEntries) {
    const warning = decodeWarning(warningEntry);
    if (warning === undefined) return undefined;
    warnings.push(warning);
  }
  if (fileEntries.length % FILE_FIELDS !== 0) return undefined;
  const files: CachedFile[] = [];
  for (let offset = 0; offset < fileEntries.length; offset += FILE_FIELDS) {
    const file = decodeFile(fileEntries, offset);
    if (file === undefined) return undefined;
    files.push(file);
  }
  return summaryEntry === null ? { fingerprint, warnings, files } : { fingerprint, summary: summaries[summaryEntry], warnings, files };
}

function decodeFile(fields: readonly unknown[], offset: number): CachedFile | undefined {
  const path = fields[offset];
  const mode = fields[offset + 1];
  const flags = fields[offset + 2];
  const size = fields[offset + 3];
  const mtimeMs = fields[offset + 4];
  const ino = fields[offset + 5];
  if (typeof path !== 'string' || !isCleanRelativePath(path) || !Number.isInteger(mode) || !Number.isInteger(flags)) return undefined;
  if (typeof size !== 'number' || typeof mtimeMs !== 'number' || typeof ino !== 'number') return undefined;
  const bits = flags as number;
  if ((bits & ~(SECRET | KEPT_OUT_OF_GIT)) !== 0) return undefined;
  // The property order of cachedFileOf's objects: one shape for every file of a build.
  return { path, mode: mode as number, isSecret: (bits & SECRET) !== 0, isKeptOutOfGit: (bits & KEPT_OUT_OF_GIT) !== 0, size, mtimeMs, ino };
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
