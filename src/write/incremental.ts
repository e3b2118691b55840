/**
 * `fleetgen build`: generating and writing in one pass, host by host, regenerating only what changed.
 *
 * - A host whose fingerprint (its model, the fleet-wide settings, the build options, fleetgen's own code: see
 *   fingerprint.ts) matches the build cache, and whose files still stat as the cache recorded them, is neither
 *   regenerated nor read (cache.ts). Every other host is regenerated and each of its files compared with the disk.
 * - Fleet-wide files (a cookbook, an inventory, ssh/config, …) come from the fleet's settings and what each host's
 *   summary and view give them (HostTarget); they are regenerated when one of those changed (a host added, removed or
 *   renamed, an address, …), not for every host change, and written only when their bytes did.
 * - Output is streamed, never held whole: a file to write goes at once to a temp file beside its place, or, in a
 *   folder that was not there, at its own name into a temp folder beside that new folder's place (in a large build,
 *   by a second thread while generating goes on: staging-thread.ts, with a bound on what is in flight), and only when
 *   every file has been generated and checked are the temp files and temp folders renamed into place (after removing
 *   the files fleetgen no longer produces), in an order that never leaves a clear-text secret where git would commit
 *   it (COMMIT_STEPS). A first build so renames a folder per target, not a file per file. Something in the way (a
 *   link, a folder where a file goes) is found before any file is replaced: the temp files, temp folders and the
 *   folders made for them are removed again and out/ stays as it was.
 * - A kill at any point leaves each file old or new (rename is atomic) and no cache; the next build is then a full
 *   one, finishes the job and removes the temp files and temp folders the kill left.
 * - The record of the files written (state.ts) is not read when the cache vouches for it: the last build left it
 *   listing exactly the cached files, and it is still that very file, ctime included (previousRecordOf).
 *
 * `--check` and `--dry-run` do not come here: they compare every file byte for byte (plan.ts).
 */
import { lstatSync, readFileSync, renameSync, rmdirSync, rmSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { TARGET_PARTS } from '../build.js';
import { InternalError } from '../diagnostics/diagnostic.js';
import type { Fleet } from '../model/fleet.js';
import { fleetOf, lazyFleetOf, LazyHosts, type LazyFleet } from '../model/lazy-fleet.js';
import type { GeneratedFile } from '../targets/fileset.js';
import { shareHostState } from '../targets/common/host-state.js';
import { GITIGNORE, renderGitignore } from '../targets/gitignore.js';
import { TARGET_NAMES, type FleetInputs, type TargetName, type TargetOptions, type TargetWarning } from '../targets/target.js';
import { removeEmptyParents, removeGeneratedFile } from './apply.js';
import { tempPathOf, tempToken, writeFileAtomic, writeNewFile, writeTempFile } from './atomic.js';
import {
  CACHE_DIR,
  CacheDamaged,
  cachedFileOf,
  fileCountOf,
  identityOf,
  isAsCached,
  isSameFile,
  keepCacheAside,
  keptOutOfGitOf,
  readCache,
  recordLeftBy,
  recordStat,
  restoreCache,
  unstatedFileOf,
  writeCache,
  type BuildCache,
  type CachedFile,
  type CachedPart,
  type FileIdentity,
  type ModelMemo,
  type RecordLeft,
} from './cache.js';
import { fleetInputsDigest, fleetShapeDigest, fleetWideFingerprint, hostFingerprint, modelDigest, settingsFingerprint } from './fingerprint.js';
import { generatorDigest } from './generator-digest.js';
import { makeFolders } from './folders.js';
import { growHeapSlowly } from './heap-growth.js';
import { hostPartOf } from './generate-worker.js';
import { GeneratingThread } from './generating-thread.js';
import { isCleanRelativePath, lstatOrUndefined, outPrefixOf, parentsOf, topFolderOf } from './out-path.js';
import { OutputError } from './output-error.js';
import { isNewPathOf, ProducedFiles, type ProducedLookup } from './produced.js';
import { checkOutGitignoreIsOurs, outGitignoreFile, OUT_GITIGNORE } from './out-gitignore.js';
import { findLeftoverTemps, findPreviousOutput, planFile, planRemoval, type PlannedAction, type PlannedFile } from './plan.js';
import type { StageResult } from './stage-worker.js';
import type { StatAhead } from './stat-ahead.js';
import { StagingThread } from './staging-thread.js';
import { compareBytes, readState, serializeState, statePath, STATE_FILE, type RecordedFile } from './state.js';
import { summarizePlan, type FolderSummary } from './summary.js';
import { tierUpAsUsual } from './tiering.js';

/** checkFolders' answers: no folder in the way and all there before; a folder on the way is new (this build's). */
const NOTHING_IN_THE_WAY: readonly string[] = Object.freeze([]);
const NEW_FOLDER = Symbol('new folder');

/** A build writes its first this many files itself; a second thread writes the rest (see staging-thread.ts). */
const FILES_BEFORE_WRITER_THREAD = 1000;
/**
 * A build regenerating at least this many hosts has a second thread generate them beside its own (see
 * generating-thread.ts); fewer take too little time to pay for starting it (loading the targets, copying the fleet).
 */
const HOSTS_FOR_GENERATING_THREAD = 500;

export interface StreamedBuildOptions {
  targets: readonly TargetName[];
  options: TargetOptions;
  /** As PlanOptions.scope: the top-level folders this build is responsible for. Default: every recorded file. */
  scope?: readonly string[];
  /** Hosts done, of all hosts (for a progress line). */
  onProgress?: (done: number, total: number) => void;
  /** Files put in place, of all files to write. */
  onWrite?: (done: number, total: number) => void;
  /**
   * How many files to write before a second thread takes over writing temp files; default 1,000, so that small builds
   * do not pay for starting a thread. (Tests set 0 to send every file through the thread.)
   */
  filesBeforeWriterThread?: number;
  /** How many hosts a build must regenerate to start a thread generating them; default 500. (Tests set 1.) */
  hostsForGeneratingThread?: number;
  /**
   * A thread started before the manifest was validated, which has looked at the cached files since (stat-ahead.ts):
   * the parts it found as recorded are not looked at again. The caller starts it, and closes it.
   */
  statAhead?: StatAhead;
  /** The share of the cache file past which a journal is not written, the file written whole instead (cache.ts, JOURNAL_SHARE). (Tests set it.) */
  cacheJournalShare?: number;
}

export interface StreamedBuildResult {
  /**
   * Every produced file and every removed one, with what the build did: made when asked for (a rebuild reuses tens of
   * thousands of files part by part, and the summary needs only their number).
   */
  readonly files: { path: string; action: PlannedAction }[];
  /** What the build did, counted per target's folder (summarizePlan). */
  summary: FolderSummary[];
  warnings: TargetWarning[];
}

/**
 * `fleet`: a Fleet, or a LazyFleet (`build` into out/: model/lazy-fleet.ts) whose host models are made only for the
 * hosts the build cannot tell unchanged without them.
 * Throws OutputError (out/ left as it was) or, once files are being replaced, the file system's error.
 */
export function buildIntoOut(outDir: string, fleetGiven: Fleet | LazyFleet, build: StreamedBuildOptions): StreamedBuildResult {
  const fleet = fleetGiven.hosts instanceof LazyHosts ? (fleetGiven as LazyFleet) : lazyFleetOf(fleetGiven as Fleet);
  try {
    return buildOnce(outDir, fleet, build, true);
  } catch (err) {
    // A host's files in the cache, decoded late (cache.ts, PartRead), were not in shape: the cache is no cache, and
    // the build, rolled back, starts again as a full one (as it would have, had the damage been found on reading).
    if (!(err instanceof CacheDamaged)) throw err;
    return buildOnce(outDir, fleet, build, false);
  }
}

/** buildIntoOut, with the cache in out/ (`isCacheUsed`) or as if there were none. */
function buildOnce(outDir: string, fleet: LazyFleet, build: StreamedBuildOptions, isCacheUsed: boolean): StreamedBuildResult {
  const { outExists, record: recordStat } = findPreviousOutput(outDir);
  const cache = outExists && isCacheUsed ? readCache(outDir) : undefined;
  const previous = previousRecordOf(outDir, recordStat, cache);
  let isCacheAside = false;
  const setCacheAside = (): void => {
    if (!isCacheAside && cache !== undefined) keepCacheAside(outDir);
    isCacheAside = true;
  };
  const writer = new StagedWriter(outDir, setCacheAside, build.filesBeforeWriterThread ?? FILES_BEFORE_WRITER_THREAD);
  try {
    const result = new StreamedBuild(outDir, fleet, build, previous, cache, writer).run();
    // Every temp file written, or the first failure thrown, before anything in out/ is removed or replaced.
    writer.finishStaging();
    const inScope = (path: string): boolean => build.scope === undefined || build.scope.includes(topFolderOf(path));
    const comparison =
      previous.cache === undefined ? compareWithRecord(previous.files, result.produced, inScope) : compareWithCachedRecord(previous.cache, result.produced, inScope);
    const removals = comparison.gone.flatMap((f) => planRemoval(outDir, f) ?? []);
    // In the record's order (sorted), which the cache's files are not in.
    if (previous.cache !== undefined) removals.sort((a, b) => compareBytes(a.path, b.path));
    writer.checkFilesInTheWay(new Set(removals.map((f) => f.path)));
    // The record on disk is kept as it is when it is the one the last build left (so its text is what serializeState
    // gives its files) and this build produces the very same files: 70,000 lines not sorted and written again.
    const isRecordKept = previous.isAsLeft && comparison.isSame;
    // The files it lists that this build neither produces nor removes (those of other targets, with --target). Out of
    // scope, a file is no file of a part this build reused (of the targets it builds): only one it placed can be there.
    const kept = build.scope === undefined ? [] : previous.files.filter((f) => !inScope(f.path) && !result.produced.isPlaced(f.path));
    const state = isRecordKept ? undefined : serializeState({ files: [...kept, ...result.produced.values()] });
    // A record taken from the cache is the text serializeState gave its files (isAsLeft): another list is another text.
    const isRecordChanged = state !== undefined && (previous.cache !== undefined || state !== previous.text);
    const isAnythingWritten = writer.hasWork || removals.length > 0 || isRecordChanged;

    if (isAnythingWritten || result.isCacheChanged) setCacheAside();
    // A .gitignore goes only once the clear-text files it lists are gone or no longer in clear text (commit()).
    for (const file of removals) if (!isIgnoreRules(file.path)) removeGeneratedFile(outDir, file.path);
    writer.commit(
      removals.filter((file) => isIgnoreRules(file.path)).map((file) => file.path),
      build.onWrite,
    );
    for (const file of removals) removeEmptyParents(outDir, file.path);
    // As this build leaves the record, for the next one (isRecordAsLeft): the file read, when its text is the one made.
    const recordLeft = state !== undefined && isRecordChanged ? writtenRecordIdentity(statePath(outDir), writeFileAtomic(statePath(outDir), state, { mode: 0o644 })) : previous.identity;
    // A build killed before this one left temp files and temp folders (and no cache): none of this build's are left by now.
    if (outExists && cache === undefined) for (const temp of findLeftoverTemps(outDir, [STATE_FILE, ...result.produced.paths()])) rmSync(join(outDir, temp), { recursive: true, force: true });
    if (isAnythingWritten || result.isCacheChanged) {
      writeCache(outDir, result.cache, cache, recordLeft && recordLeftOf(recordLeft, isCachedFileList(kept, result.cache, build.targets)), { journalShare: build.cacheJournalShare });
    }
    const removed = removals.map((f) => ({ path: f.path, action: f.action }));
    // The reused parts' files are counted per target (each part's files are in its target's folder), not listed.
    const unchanged = result.produced.reusedFileCounts();
    return {
      get files() {
        return [...result.actions, ...[...result.produced.reused()].flatMap((part) => part.files.map((f) => ({ path: f.path, action: 'unchanged' as const }))), ...removed];
      },
      summary: summarizePlan({ files: [...result.actions, ...removed] }, unchanged),
      warnings: result.warnings,
    };
  } catch (err) {
    // A failure the writer thread met came first: it was met on a file generated before whatever threw here.
    const failure = writer.rollback() ?? err;
    if (failure instanceof OutputError && isCacheAside) restoreCache(outDir);
    throw failure;
  }
}

/** Which file the record is (FileIdentity), and its ctime when known (RecordLeft.ctimeMs). */
type RecordIdentity = FileIdentity & { ctimeMs?: number };

/** The record a build starts from (out/.fleetgen-state.json), read or taken from the cache. */
interface PreviousRecord {
  /** (Taken from the cache: listed when first asked for, which a rebuild that reuses most parts need not do.) */
  readonly files: readonly RecordedFile[];
  /** Its text, when read (undefined: there is none, or it was taken from the cache). */
  text: string | undefined;
  /** Which file it was (undefined: none). */
  identity: RecordIdentity | undefined;
  /** It is the record the last build left, by this fleetgen (isRecordAsLeft): its text is what serializeState gives its files. */
  isAsLeft: boolean;
  /**
   * When its files were taken from the cache (in no particular order, its text not read): that cache. The record
   * lists each file of its parts, and out/.gitignore (cachedFileList).
   */
  cache?: BuildCache;
}

/**
 * The record in out/ (`stat`: as findPreviousOutput found it). When the cache says the last build left it listing
 * exactly the cached files, and it is still that very file, ctime included (an edit, even one that puts back the size
 * and mtime, moves the ctime), its files are the cache's and out/.gitignore: 70,000 lines not read and parsed. Any
 * other record is read (readState: throws OutputError when it is not fleetgen's).
 */
export function previousRecordOf(outDir: string, stat: Stats | undefined, cache: BuildCache | undefined): PreviousRecord {
  if (stat === undefined) return { files: [], text: undefined, identity: undefined, isAsLeft: false };
  const left = recordLeftBy(cache);
  if (cache !== undefined && left?.ctimeMs !== undefined && stat.ctimeMs === left.ctimeMs && isRecordAsLeft(left, identityOf(stat))) {
    let files: RecordedFile[] | undefined;
    return {
      get files() {
        return (files ??= cachedFileList(cache));
      },
      text: undefined,
      identity: { ...identityOf(stat), ctimeMs: stat.ctimeMs },
      isAsLeft: true,
      cache,
    };
  }
  const { state, text, identity } = readState(outDir);
  // The ctime seen before reading: any change since moves it, so the next build reads the record again.
  const seen = identity !== undefined && isSameFile(identityOf(stat), identity) ? { ...identity, ctimeMs: stat.ctimeMs } : identity;
  return { files: state.files, text, identity: seen, isAsLeft: text !== undefined && isRecordAsLeft(left, identity) };
}

/** What a record listing exactly the cached files lists: every cached file (a RecordedFile too), and out/.gitignore. */
function cachedFileList(cache: BuildCache): RecordedFile[] {
  const files: RecordedFile[] = [OUT_GITIGNORE_RECORD];
  forEachCachedPart(cache, (part) => {
    for (const file of part.files) files.push(file);
  });
  return files;
}

/** out/.gitignore as a record lists it. */
const OUT_GITIGNORE_RECORD: RecordedFile = (() => {
  const { path, mode, isSecret, isKeptOutOfGit } = outGitignoreFile();
  return Object.freeze({ path, mode, isSecret, isKeptOutOfGit });
})();

/** Every part of the cache: each host's, then the fleet-wide ones. */
function forEachCachedPart(cache: BuildCache, visit: (part: CachedPart) => void): void {
  // Indexed: for every host of every rebuild, mostly in code V8 has not optimized yet, where a for-of makes an iterator
  // and a result per step (write/tiering.ts).
  const hosts = Object.keys(cache.hosts);
  for (let index = 0; index < hosts.length; index++) {
    const parts = cache.hosts[hosts[index] as string] ?? {};
    const targets = Object.keys(parts);
    for (let position = 0; position < targets.length; position++) visit(parts[targets[position] as string] as CachedPart);
  }
  for (const target of Object.keys(cache.fleet)) visit(cache.fleet[target] as CachedPart);
}

/**
 * The files a record lists, against those a build produces (`produced`; `inScope`: the paths the build is responsible
 * for): which it lists that the build does not produce and are in its scope (`gone`: to be removed), and whether the
 * record the build makes lists exactly its files (isSame).
 */
class RecordComparison {
  readonly gone: RecordedFile[] = [];
  private listed = 0;
  private kept = 0;
  private isAnyDifferent = false;

  constructor(
    private readonly produced: ProducedLookup,
    private readonly inScope: (path: string) => boolean,
  ) {}

  /** A file the record lists: produced with the same mode and flags, or gone (in scope), or kept as listed. */
  compare(file: RecordedFile): void {
    this.listed++;
    const now = this.produced.get(file.path);
    if (now === undefined) {
      if (this.inScope(file.path)) {
        this.gone.push(file);
        this.isAnyDifferent = true;
      } else {
        this.kept++;
      }
    } else if (now.mode !== file.mode || now.isSecret !== file.isSecret || now.isKeptOutOfGit !== file.isKeptOutOfGit) {
      this.isAnyDifferent = true;
    }
  }

  /** `count` files the record lists that the build produces as the very objects listed (a reused part's). */
  compareProducedAsListed(count: number): void {
    this.listed += count;
  }

  /**
   * Whether the record the build makes lists exactly the files of this one: each file produced is listed with the same
   * mode and flags, and each file listed is produced, or out of the build's scope (kept as listed).
   */
  get isSame(): boolean {
    return !this.isAnyDifferent && this.produced.size + this.kept === this.listed;
  }
}

/** A record read (or any list of recorded files) against what the build produces, file by file. */
function compareWithRecord(previous: readonly RecordedFile[], produced: ProducedLookup, inScope: (path: string) => boolean): RecordComparison {
  const comparison = new RecordComparison(produced, inScope);
  for (const file of previous) comparison.compare(file);
  return comparison;
}

/**
 * A record taken from the cache (it lists cachedFileList(cache)) against what the build produces, part by part: a part
 * reused (produced.isReused) lists the very files produced, so only the other parts' files are looked at one by one: a rebuild
 * of 70,000 files does not go through them all again.
 */
function compareWithCachedRecord(cache: BuildCache, produced: ProducedFiles, inScope: (path: string) => boolean): RecordComparison {
  // A file of a part not reused is produced again only as a file placed: the cache lists each path once (produced.ts),
  // so it is no reused part's.
  const comparison = new RecordComparison({ get: (path) => produced.placedFile(path), size: produced.size }, inScope);
  comparison.compare(OUT_GITIGNORE_RECORD);
  forEachCachedPart(cache, (part) => {
    if (produced.isReused(part)) comparison.compareProducedAsListed(fileCountOf(part));
    else for (const file of part.files) comparison.compare(file);
  });
  return comparison;
}

/**
 * Whether the record this build leaves lists exactly the files of the cache it leaves, and out/.gitignore, with the
 * same modes and flags. Those of the targets built are in both by construction: each file produced is out/.gitignore
 * or a file of one of their parts, and each file of their parts is produced. The other targets' parts (kept in the
 * cache as read, --target) must list the files the record keeps (`kept`, listed as read), no more and no fewer.
 */
export function isCachedFileList(kept: readonly RecordedFile[], cache: BuildCache, targets: readonly TargetName[]): boolean {
  const others = TARGET_NAMES.filter((name) => !targets.includes(name));
  const unmatched = new Map(kept.map((f) => [f.path, f]));
  const matches = (file: RecordedFile): boolean => {
    const listed = unmatched.get(file.path);
    if (listed === undefined || listed.mode !== file.mode || listed.isSecret !== file.isSecret || listed.isKeptOutOfGit !== file.isKeptOutOfGit) return false;
    return unmatched.delete(file.path);
  };
  if (others.length > 0) {
    for (const parts of Object.values(cache.hosts)) for (const name of others) for (const file of parts[name]?.files ?? []) if (!matches(file)) return false;
    for (const name of others) for (const file of cache.fleet[name]?.files ?? []) if (!matches(file)) return false;
  }
  return unmatched.size === 0;
}

/**
 * The record as a build leaves it (RecordLeft), for the next build: its ctime only when it lists exactly the cached
 * files (isCachedFileList) and is known.
 */
function recordLeftOf(identity: RecordIdentity, isCached: boolean): RecordLeft {
  const { size, mtimeMs, ino, ctimeMs } = identity;
  const generator = generatorDigest();
  return isCached && ctimeMs !== undefined ? { size, mtimeMs, ino, generator, ctimeMs } : { size, mtimeMs, ino, generator };
}

/**
 * The record just written: the identity of the file written (`written`, the temp file's stat, which the rename keeps),
 * and its ctime, which the rename moved, when the file there is still that one.
 */
function writtenRecordIdentity(path: string, written: Stats): RecordIdentity {
  const identity = identityOf(written);
  const now = lstatOrUndefined(path);
  return now !== undefined && isSameFile(identityOf(now), identity) ? { ...identity, ctimeMs: now.ctimeMs } : identity;
}

/** Whether the record read is the one the last build left (recordLeftBy), written by this very fleetgen. */
export function isRecordAsLeft(left: RecordLeft | undefined, read: FileIdentity | undefined): boolean {
  return left !== undefined && read !== undefined && isSameFile(left, read) && left.generator === generatorDigest();
}

/** Whether the record this build makes lists exactly the files of the one read (RecordComparison.isSame). */
export function isSameRecord(previous: readonly RecordedFile[], produced: ProducedLookup, inScope: (path: string) => boolean): boolean {
  return compareWithRecord(previous, produced, inScope).isSame;
}

/** What a chosen target's fleet-wide part is made from (and fingerprinted by), host after host. */
interface Collected {
  summaries: unknown[];
  viewJsons: string[];
  fleetInputs: string[];
  warnings: TargetWarning[];
  keptOutOfGit: string[];
}

/** A host's parts generated ahead by the generating thread, by target (GeneratingThread.take). */
type GeneratedHost = ReturnType<GeneratingThread['take']>;

/** One host in StreamedBuild.run's loop: its place, fingerprint and cached parts, and which of them are reused. */
interface HostInLoop {
  index: number;
  fingerprint: string;
  cached: Readonly<Record<string, CachedPart>>;
  /** Filled in by placeParts: the host's part of each chosen target. */
  parts: Record<string, CachedPart>;
  /** By position in the chosen targets: whether the cached part is reused. */
  reusable: readonly boolean[];
  generated: GeneratedHost;
}

/** The generating pass: every host, then each target's fleet-wide files; files to write go to the StagedWriter. */
class StreamedBuild {
  readonly produced = new ProducedFiles();
  /** What the build did with each file it placed (not those of the parts it reused: produced.reused()). */
  readonly actions: { path: string; action: PlannedAction }[] = [];
  private readonly chosen: TargetName[];
  private readonly settings: string;
  private readonly checkedFolders = new Set<string>();
  /**
   * Folders that did not exist when this build first looked (made by it since, or still to be), each with the topmost
   * new folder on its way (itself, or one above it): StagedWriter makes that one whole and puts it in place at once.
   */
  private readonly newFolders = new Map<string, string>();
  /** out/ and a separator (outPrefixOf): a cached file's place is this and its path. */
  private readonly outPrefix: string;
  private readonly next: BuildCache & { models: Record<string, ModelMemo> } = { hosts: {}, fleet: {}, models: {} };
  private isCacheChanged = false;

  constructor(
    private readonly outDir: string,
    private readonly fleet: LazyFleet,
    private readonly build: StreamedBuildOptions,
    private readonly previous: PreviousRecord,
    private readonly cache: BuildCache | undefined,
    private readonly writer: StagedWriter,
  ) {
    this.chosen = TARGET_NAMES.filter((name) => build.targets.includes(name));
    this.settings = settingsFingerprint(fleet.settings, build.options);
    this.outPrefix = outPrefixOf(outDir);
  }

  run(): {
    produced: ProducedFiles;
    actions: { path: string; action: PlannedAction }[];
    warnings: TargetWarning[];
    cache: BuildCache;
    isCacheChanged: boolean;
  } {
    const { fleet, chosen } = this;
    // out/.gitignore belongs to no target: produced by every build, as the record is. It goes into place first, before
    // any temp file exists, so that git ignores them even when the first build is killed while generating; its
    // content is the same whatever the fleet, so it never stands beside files it does not fit.
    // A record taken from the cache lists it (cachedFileList).
    checkOutGitignoreIsOurs(this.outDir, this.previous.cache !== undefined ? OUT_GITIGNORE_RECORD : this.previous.files.find((file) => file.path === OUT_GITIGNORE));
    this.placeAt(outGitignoreFile(), { isWrittenAtOnce: true });
    const { hosts } = fleet;
    // What each chosen target's fleet-wide part is made from (and fingerprinted by), host after host.
    const collected: Collected[] = chosen.map(() => ({ summaries: [], viewJsons: [], fleetInputs: [], warnings: [], keptOutOfGit: [] }));
    const fingerprintOf = (index: number): string => hostFingerprint(this.settings, this.modelDigestOf(index));
    // Which hosts the generating thread takes on depends on their fingerprints, against the cache's. Without a cache (a
    // first build) it takes them all: each fingerprint is then worked out in its host's turn, while the thread
    // generates, rather than all of them first, on one core (some 0.3 s at 10,000 hosts).
    const hostFingerprints = this.cache === undefined ? undefined : hosts.names.map((_, index) => fingerprintOf(index));
    const generating = this.startGeneratingThread(hostFingerprints);
    // The loop runs for every host of every rebuild: indexed, with no closure, iterator or array made per host but for
    // a host regenerated (a one-host rebuild of 10,000 hosts: 1.33 → 1.295 s median wall, CPU 2.35 → 2.295 s).
    const isEveryTarget = chosen.length === TARGET_NAMES.length;
    const reusable: boolean[] = new Array<boolean>(chosen.length).fill(false);
    try {
      for (let index = 0; index < hosts.names.length; index++) {
        const hostName = hosts.names[index] as string;
        const fingerprint = hostFingerprints?.[index] ?? fingerprintOf(index);
        const cached = this.cache?.hosts[hostName] ?? {};
        const parts: Record<string, CachedPart> = {};
        // Taken before this host's state is shared: taking may generate later hosts on this thread.
        const generated = generating?.take(index);
        // Which parts can be reused is found first: a host whose every part can needs no model.
        let isEveryReusable = true;
        for (let position = 0; position < chosen.length; position++) {
          const name = chosen[position] as TargetName;
          const isReusable = this.isReusable(name, cached[name], fingerprint);
          reusable[position] = isReusable;
          if (!isReusable) isEveryReusable = false;
        }
        const host: HostInLoop = { index, fingerprint, cached, parts, reusable, generated };
        if (isEveryReusable) this.placeParts(host, collected);
        else shareHostState(hosts.model(index), () => this.placeParts(host, collected));
        // The targets this build leaves alone keep what the cache knows of them (every part cached is of a target).
        if (!isEveryTarget) for (const [name, part] of Object.entries(cached)) if (!(chosen as string[]).includes(name)) parts[name] = part;
        this.next.hosts[hostName] = parts;
        this.build.onProgress?.(index + 1, hosts.length);
      }
    } finally {
      // Also after a failure: the thread stops at its next host instead of waiting for the build forever.
      generating?.close();
    }
    if (this.cache && Object.keys(this.cache.hosts).length !== hosts.length) this.isCacheChanged = true;

    const warnings: TargetWarning[] = [];
    const { settings } = fleet;
    const shape = fleetShapeDigest({ groups: settings.groups, hostNames: hosts.names });
    for (const [position, name] of chosen.entries()) {
      const { summaries: hostSummaries, viewJsons: hostViewJsons, fleetInputs, warnings: hostWarnings, keptOutOfGit } = collected[position] as (typeof collected)[number];
      const fingerprint = fleetWideFingerprint(this.settings, name, shape, fleetInputs, keptOutOfGit);
      const part =
        this.reusedPart(name, this.cache?.fleet[name], fingerprint) ??
        (() => {
          // The views are parsed only here: a build that makes the fleet-wide files again.
          const inputs: FleetInputs<unknown, unknown> = { summaries: hostSummaries, views: hostViewJsons.map((json) => JSON.parse(json) as unknown), hostForContent: (index) => hosts.model(index) };
          const output = TARGET_PARTS[name].fleet(settings, inputs, this.build.options);
          const files = output.files.list();
          const ignore = renderGitignore([...keptOutOfGit.map((path) => ({ path, isKeptOutOfGit: true })), ...files], output.toolFiles, output.keptOutOfGitPatterns);
          const former = this.cache?.fleet[name];
          return { fingerprint, warnings: output.warnings, files: [...files.map((f) => this.place(name, f, former)), ...(ignore !== undefined ? [this.place(name, gitignoreFile(ignore), former)] : [])] };
        })();
      this.next.fleet[name] = part;
      // Appended one by one: a warning per host of a 100,000-host fleet is too many to spread into push()'s arguments.
      for (const warning of [...part.warnings, ...hostWarnings]) warnings.push(warning);
    }
    for (const [name, part] of Object.entries(this.cache?.fleet ?? {})) if (!(chosen as string[]).includes(name)) this.next.fleet[name] = part;
    return { produced: this.produced, actions: this.actions, warnings, cache: this.next, isCacheChanged: this.isCacheChanged || this.cache === undefined };
  }

  /** Host `host.index`'s part of each chosen target, reused or generated, placed and added to what `collected` holds. */
  private placeParts({ index, fingerprint, cached, parts, reusable, generated }: HostInLoop, collected: readonly Collected[]): void {
    const { chosen } = this;
    const { hosts } = this.fleet;
    for (let position = 0; position < chosen.length; position++) {
      const name = chosen[position] as TargetName;
      const was = cached[name];
      const part = reusable[position] === true && was !== undefined ? this.reuse(name, was) : this.generatedPart(index, name, fingerprint, was, generated);
      parts[name] = part;
      const into = collected[position] as Collected;
      into.summaries.push(part.summary);
      // A part cached without its view or digest (none is, from this code) has them worked out from the model.
      const viewJson = part.viewJson ?? viewJsonOf(TARGET_PARTS[name].view(hosts.model(index)));
      into.viewJsons.push(viewJson);
      into.fleetInputs.push(part.fleetInputs ?? fleetInputsDigest(part.summary, viewJson));
      // Indexed: see forEachCachedPart.
      const { warnings } = part;
      for (let at = 0; at < warnings.length; at++) into.warnings.push(warnings[at] as TargetWarning);
      const kept = keptOutOfGitOf(part, name);
      for (let at = 0; at < kept.length; at++) into.keptOutOfGit.push(kept[at] as string);
    }
  }

  /** Host `index`'s part of `target`, generated (by the generating thread, if it did) and its files placed. */
  private generatedPart(index: number, target: TargetName, fingerprint: string, was: CachedPart | undefined, generated: GeneratedHost | undefined): CachedPart {
    const host = this.fleet.hosts.model(index);
    const output = generated?.get(target) ?? hostPartOf(TARGET_PARTS[target].host(this.fleet.settings, host, this.build.options));
    const viewJson = viewJsonOf(TARGET_PARTS[target].view(host));
    return {
      fingerprint,
      summary: output.summary,
      viewJson,
      fleetInputs: fleetInputsDigest(output.summary, viewJson),
      warnings: output.warnings,
      files: output.files.map((f) => this.place(target, f, was)),
    };
  }

  /**
   * Host `index`'s modelDigest: the one the last build knew, when the model's inputs (LazyHosts.inputKey) are the same
   * and every secret it read answers the same (read again); else the model's own, made now. Either way, what is known
   * goes into this build's cache for the next one.
   */
  private modelDigestOf(index: number): string {
    const { hosts } = this.fleet;
    const name = hosts.names[index] ?? '';
    const inputs = hosts.inputKey(index);
    const known = inputs === undefined ? undefined : this.cache?.models?.[name];
    if (known !== undefined && known.inputs === inputs && hosts.answersOf(known.refs) === known.answers) {
      this.next.models[name] = known;
      return known.model;
    }
    const model = modelDigest(hosts.model(index));
    const reads = hosts.readsOf(index);
    if (inputs !== undefined && reads !== undefined) {
      this.next.models[name] = { inputs, refs: reads.refs, answers: reads.answers, model };
      this.isCacheChanged = true;
    }
    return model;
  }

  /**
   * A thread generating ahead the hosts sure to be regenerated (for the targets whose cached fingerprint does not
   * match), when there are enough of them. A host regenerated only because its files on disk are not as cached
   * (edited by hand: rare) is generated on this thread, once reused() finds out.
   */
  private startGeneratingThread(hostFingerprints: readonly string[] | undefined): GeneratingThread | undefined {
    const hosts: number[] = [];
    const targets: number[] = [];
    const { chosen } = this;
    const bits = chosen.map((name) => 1 << TARGET_NAMES.indexOf(name));
    const { names } = this.fleet.hosts;
    for (let index = 0; index < names.length; index++) {
      const cached = this.cache?.hosts[names[index] as string];
      const fingerprint = hostFingerprints?.[index];
      let mask = 0;
      // No fingerprints: no cache either, and every chosen target of every host is generated.
      for (let position = 0; position < chosen.length; position++) {
        if (fingerprint === undefined || cached?.[chosen[position] as TargetName]?.fingerprint !== fingerprint) mask |= bits[position] as number;
      }
      if (mask === 0) continue;
      hosts.push(index);
      targets.push(mask);
    }
    if (hosts.length === 0 || hosts.length < (this.build.hostsForGeneratingThread ?? HOSTS_FOR_GENERATING_THREAD)) return undefined;
    // Many hosts to generate: much short-lived text, and seconds of work, as in a first build (heap-growth.ts, tiering.ts).
    growHeapSlowly();
    tierUpAsUsual();
    // The thread is given every host's model (most of them regenerated, or a first build, which makes them all anyway).
    return new GeneratingThread(fleetOf(this.fleet.settings, this.fleet.hosts.all()), this.build.options, { hosts: Int32Array.from(hosts), targets: Uint8Array.from(targets) });
  }

  /** The cached part, when its fingerprint matches and each of its files is on disk as recorded (isReusable, reuse). */
  private reusedPart(target: TargetName, part: CachedPart | undefined, fingerprint: string): CachedPart | undefined {
    return part !== undefined && this.isReusable(target, part, fingerprint) ? this.reuse(target, part) : undefined;
  }

  /** Whether the cached part (of `target`) has a matching fingerprint and each of its files is on disk as recorded. */
  private isReusable(target: TargetName, part: CachedPart | undefined, fingerprint: string): boolean {
    // Found as recorded by the stat-ahead thread: its files and their folders need no look here (a file placed later
    // in one of those folders has its folders checked then). Any other answer (not found so, or not known) is found
    // out here, as without the thread.
    const isStatedAhead = part !== undefined && part.fingerprint === fingerprint && this.cache !== undefined && this.build.statAhead?.isFoundAsCached(this.cache, part) === true;
    // Nor need its files be looked for one by one, when no file was placed in its target's folder at a path new to its
    // part, and no folder was found missing: a part read from the cache is then reused whole without being decoded
    // (the common case of a rebuild: tens of thousands of files never made).
    const isWhole = isStatedAhead && this.newFolders.size === 0 && !this.produced.hasNewPathIn(target);
    const isReusable =
      part !== undefined &&
      part.fingerprint === fingerprint &&
      (isWhole ||
        part.files.every(
          (file) =>
            // Looked for among the files placed, not among those of the parts reused before: the cache lists each path
            // once (produced.ts).
            !this.produced.isPlaced(file.path) &&
            (isStatedAhead ? !this.isInNewFolder(file.path) : this.checkFolders(file.path) === NOTHING_IN_THE_WAY && isAsCached(file, lstatOrUndefined(this.outPrefix + file.path))),
        ));
    if (!isReusable) this.isCacheChanged = true;
    return isReusable;
  }

  /** The part, found reusable: its files are produced, unchanged. */
  private reuse(target: TargetName, part: CachedPart): CachedPart {
    // The cached file is a RecordedFile too: kept as it is, not copied (a build keeps one per file).
    this.produced.reuse(target, part);
    return part;
  }

  /**
   * One generated file (path relative to its target's folder): compared with the disk, staged when it differs.
   * `former`: the cached part of the part it belongs to (the same host and target), if any (ProducedFiles.has).
   */
  private place(target: TargetName, generated: GeneratedFile, former: CachedPart | undefined): CachedFile {
    // Not a spread: see cachedFileOf.
    return this.placeAt({ path: `${target}/${generated.path}`, content: generated.content, mode: generated.mode, isSecret: generated.isSecret, isKeptOutOfGit: generated.isKeptOutOfGit }, { former });
  }

  /** One generated file, its path relative to out/; staged, or (isWrittenAtOnce) put in place now. */
  private placeAt(file: GeneratedFile, { isWrittenAtOnce = false, former }: { isWrittenAtOnce?: boolean; former?: CachedPart | undefined } = {}): CachedFile {
    if (file.path === STATE_FILE || topFolderOf(file.path) === CACHE_DIR) throw new InternalError(`a target produced ${file.path}, where fleetgen keeps its own record`);
    const isNewPath = isNewPathOf(file.path, former);
    if (this.produced.has(file.path, isNewPath)) throw new InternalError(`generated path ${JSON.stringify(file.path)} produced twice`);
    // A clean path: its place is out/ and the path as it is (StagedWriter), with nothing for join() to normalize.
    if (!isCleanRelativePath(file.path)) throw new InternalError(`generated path ${JSON.stringify(file.path)} is not a clean relative path`);
    const folders = this.checkFolders(file.path);
    const filesInTheWay = folders === NEW_FOLDER ? [] : folders;
    // The path is a new folder on the way to a file placed before (a target producing both `a/b` and `a`): that folder
    // stands in its temp folder, not here, so it is told as a look at the disk would find it there (planFile).
    if (this.newFolders.has(file.path)) throw new OutputError(join(this.outDir, file.path), 'is in the way: fleetgen generates a file there', 'move it out of the output folder');
    // The topmost new folder on the way, when there is one: the file is staged in it, and goes into place with it.
    const newFolder = folders === NEW_FOLDER ? this.newFolders.get(file.path.slice(0, file.path.lastIndexOf('/'))) : undefined;
    // Written at once, a file would make its new folder in place, where the new folder's temp folder goes later (the
    // only one, out/.gitignore, is in out/ itself).
    if (isWrittenAtOnce && newFolder !== undefined) throw new InternalError(`${file.path} is to be written at once, in a folder this build makes whole`);
    // In a folder this build makes, nothing was there before: no need to look (tens of thousands of lstat calls in a
    // first build).
    const isSurelyNew = folders === NEW_FOLDER;
    // Only the action is taken: the record's entry, which decides nothing else here (PlannedFile.isSecret: for --diff), is
    // not looked up.
    const planned: PlannedFile = planFile(this.outDir, file, undefined, isSurelyNew);
    const record: RecordedFile = { path: file.path, mode: file.mode, isSecret: file.isSecret, isKeptOutOfGit: file.isKeptOutOfGit };
    this.actions.push({ path: file.path, action: planned.action });
    let cached: CachedFile;
    if (planned.action === 'unchanged') {
      cached = cachedFileOf(record, lstatSync(join(this.outDir, file.path)));
    } else if (isWrittenAtOnce) {
      cached = cachedFileOf(record, this.writer.writeAtOnce(file));
    } else {
      // Its stat comes with its temp file, maybe from the writer thread later on, but before the cache is written.
      cached = unstatedFileOf(record);
      this.writer.stage(file, filesInTheWay, cached, newFolder);
    }
    this.produced.place(cached, isNewPath);
    return cached;
  }

  /**
   * Whether a folder on the way to `path` was not there when this build looked (checkFolders): a file the stat-ahead
   * thread found there before is gone since. (None, in all but a build racing something that removes files.)
   */
  private isInNewFolder(path: string): boolean {
    return this.newFolders.size > 0 && parentsOf(path).some((folder) => this.newFolders.has(folder));
  }

  /**
   * The folders on the way to `path` inside out/, each checked once per build: a link or anything but a folder
   * throws OutputError; regular files (which this build must be removing) are returned. NEW_FOLDER when a folder on
   * the way did not exist when the build first looked: everything in it is this build's (newFolders).
   */
  private checkFolders(path: string): readonly string[] | typeof NEW_FOLDER {
    // A folder is marked checked (or new) only once every folder above it was: a file whose own folder is marked
    // needs no more (the common case, tens of thousands of times a build, without making the list of its parents).
    const slash = path.lastIndexOf('/');
    if (slash === -1) return NOTHING_IN_THE_WAY;
    const own = path.slice(0, slash);
    if (this.checkedFolders.has(own)) return NOTHING_IN_THE_WAY;
    if (this.newFolders.has(own)) return NEW_FOLDER;
    const parents = parentsOf(path);
    for (const [index, folder] of parents.entries()) {
      if (this.checkedFolders.has(folder)) continue;
      const full = join(this.outDir, folder);
      const stat = this.newFolders.has(folder) ? undefined : lstatOrUndefined(full);
      if (stat === undefined) {
        // Every folder above it is there (checked): it is the topmost new one, unless it was met before.
        const topmost = this.newFolders.get(folder) ?? folder;
        for (const below of parents.slice(index)) {
          // A file placed before where a new folder goes (a target producing both `a` and `a/b`): its temp file stands
          // where the folder's temp folder would.
          if (this.produced.has(below)) throw new InternalError(`generated path ${JSON.stringify(below)} produced both as a file and as a folder (for ${JSON.stringify(path)})`);
          this.newFolders.set(below, topmost);
        }
        return NEW_FOLDER;
      }
      if (stat.isDirectory()) {
        this.checkedFolders.add(folder);
        continue;
      }
      if (stat.isSymbolicLink()) {
        throw new OutputError(full, 'is a symbolic link; fleetgen never writes or deletes through a link inside the output folder', 'replace the link with a real folder, or point --out at the link target');
      }
      if (stat.isFile()) return [folder];
      throw new OutputError(full, 'is neither a folder nor a file; fleetgen needs a folder there');
    }
    return NOTHING_IN_THE_WAY;
  }
}

/** A view as the cache keeps it (CachedPart.viewJson): its JSON text, as JSON.stringify writes it in a list. */
function viewJsonOf(view: unknown): string {
  return JSON.stringify(view) ?? 'null';
}

/**
 * Files to write, as temp files beside their places until commit() renames them all; rollback() removes them and
 * the folders made for them. A folder that was not there when the build looked (StreamedBuild.newFolders; the topmost
 * such folder on a file's way) is made whole instead: its files are written at their own names inside a temp folder
 * beside its place, named as a temp file of that folder would be (atomic.ts: out/.gitignore keeps it and all it
 * holds out of git, and the next build after a kill removes it, plan.ts findLeftoverTemps), and commit() renames that
 * one folder into place. A first build so renames a handful of folders rather than tens of thousands of files, and a
 * rebuild that adds a host renames each new folder of that host once. A file whose folder is blocked by a file this
 * build removes waits in memory instead (rare: a generated file that became a folder) and is written after the
 * removals.
 *
 * The first files are written here; past `filesBeforeThread`, a second thread makes the folders and temp files,
 * in the same order, while the build goes on generating (staging-thread.ts). finishStaging() waits for it.
 */
class StagedWriter {
  /** Files staged, as paths relative to out/ (the strings the build already keeps): their temp files follow from
   * them and the build's token, so that tens of thousands of staged files cost no more than their paths. One list
   * per step of commit(), each in the order staged. (Not those in a new folder: `newFolders`.) */
  private readonly staged: Record<CommitStep, string[]> = { committed: [], ignoreRules: [], keptOutOfGit: [] };
  /** The new folders made whole, by their paths relative to out/, in the order their first files were staged. */
  private readonly newFolders = new Map<string, NewFolder>();
  /** How many files the new folders hold, all together. */
  private filesInNewFolders = 0;
  private readonly token = tempToken();
  private readonly waiting: { file: GeneratedFile; filesInTheWay: readonly string[] }[] = [];
  private readonly madeFolders: string[] = [];
  /** Folders stage() has made or found, as full paths. */
  private readonly readyFolders = new Set<string>();
  /** How many of the staged files (in commit order: stagedInCommitOrder()) commit() has renamed into place so far. */
  private renamed = 0;
  /** Files writeAtOnce() put in place, with what stood there before (for rollback()). */
  private readonly writtenAtOnce: { full: string; before: { content: Buffer; mode: number } | undefined }[] = [];
  private thread: StagingThread | undefined;
  /**
   * Files given to the thread, oldest first: as the thread's answers come back, their stats are recorded and their
   * paths join `staged` (or, after a failure, do not: the thread did not write them). Beside it: whether each goes
   * into a new folder's temp folder (its path joins no list: the folder is put in place whole).
   */
  private readonly sentToThread: CachedFile[] = [];
  private readonly isSentIntoNewFolder: boolean[] = [];
  private answered = 0;
  /** out/ and a separator (outPrefixOf): a clean path's place is this and the path. */
  private readonly outPrefix: string;

  constructor(
    private readonly outDir: string,
    /** Called before the first temp file is made. */
    private readonly beforeFirstWrite: () => void,
    private readonly filesBeforeThread: number,
  ) {
    this.outPrefix = outPrefixOf(outDir);
  }

  get hasWork(): boolean {
    return this.stagedCount > 0 || this.waiting.length > 0 || this.writtenAtOnce.length > 0;
  }

  private get stagedCount(): number {
    return COMMIT_STEPS.reduce((count, step) => count + this.staged[step].length, this.filesInNewFolders);
  }

  private stagedInCommitOrder(): string[] {
    return COMMIT_STEPS.flatMap((step) => this.staged[step]);
  }

  /** A file put in place now (atomically) rather than at commit(); rollback() puts back what stood there. */
  writeAtOnce(file: GeneratedFile): Stats {
    this.beforeFirstWrite();
    const full = join(this.outDir, file.path);
    this.makeFolderOf(full);
    const stat = lstatOrUndefined(full);
    this.writtenAtOnce.push({ full, before: stat?.isFile() ? { content: readFileSync(full), mode: stat.mode & 0o7777 } : undefined });
    writeFileAtomic(full, file.content, { mode: file.mode });
    return lstatSync(full);
  }

  /**
   * Records in `cached` the stat the file will have once in place, now or (written by the thread) by the end of
   * finishStaging(). A waiting file's stays unknown: it never matches the cache. `newFolder`: the topmost folder on
   * the file's way that was not there when the build looked (relative to out/), if any: the file goes into place with
   * that folder, whole.
   */
  stage(file: GeneratedFile, filesInTheWay: readonly string[], cached: CachedFile, newFolder?: string): void {
    if (filesInTheWay.length > 0) {
      this.waiting.push({ file, filesInTheWay });
      return;
    }
    this.beforeFirstWrite();
    const into = newFolder === undefined ? undefined : this.newFolderAt(newFolder);
    // In a new folder, the file goes at its own name inside the folder's temp folder. (The path is clean, placeAt: the
    // place needs no join(), and its folder is what is before its last slash.)
    const full = into === undefined ? this.outPrefix + file.path : `${into.temp}/${file.path.slice(into.path.length + 1)}`;
    const slash = full.lastIndexOf('/');
    const folder = slash === 0 ? '/' : full.slice(0, slash);
    // Each folder is made (or found) once per build, not once per file.
    const isFolderNew = !this.readyFolders.has(folder);
    if (this.thread === undefined && this.stagedCount >= this.filesBeforeThread) {
      this.thread = new StagingThread(this.token, (result) => this.acceptStaged(result));
    }
    if (into !== undefined) {
      into.files++;
      this.filesInNewFolders++;
      into.step = laterStep(into.step, commitStepOf(file));
    }
    if (this.thread !== undefined) {
      if (isFolderNew) this.readyFolders.add(folder);
      this.sentToThread.push(cached);
      this.isSentIntoNewFolder.push(into !== undefined);
      this.thread.stage({ full, folder: isFolderNew ? folder : undefined, content: file.content, mode: file.mode, isInTempFolder: into !== undefined });
      return;
    }
    this.makeFolderOf(full);
    if (into !== undefined) {
      const stat = writeNewFile(full, file.content, file.mode);
      recordStat(cached, stat.size, stat.mtimeMs, stat.ino);
      return;
    }
    const { stat } = writeTempFile(full, file.content, { mode: file.mode, token: this.token });
    this.staged[commitStepOf(file)].push(file.path);
    recordStat(cached, stat.size, stat.mtimeMs, stat.ino);
  }

  /** The new folder at `path` (relative to out/), as staged so far. */
  private newFolderAt(path: string): NewFolder {
    let folder = this.newFolders.get(path);
    if (folder === undefined) this.newFolders.set(path, (folder = { path, temp: tempPathOf(join(this.outDir, path), this.token), files: 0, step: COMMIT_STEPS[0], isPlaced: false }));
    return folder;
  }

  /** Waits for the thread's last temp files; throws the first error it met (as writing here would have). */
  finishStaging(): void {
    this.thread?.finish();
    this.thread?.close();
    this.thread = undefined;
  }

  private acceptStaged(result: StageResult): void {
    const { stats } = result;
    for (let i = 0; i < result.staged; i++) {
      const cached = this.sentToThread[this.answered + i];
      if (cached === undefined) throw new InternalError('the thread writing temp files answered for a file it was not given');
      recordStat(cached, stats[i * 3] ?? -1, stats[i * 3 + 1] ?? 0, stats[i * 3 + 2] ?? 0);
      if (this.isSentIntoNewFolder[this.answered + i] !== true) this.staged[commitStepOf(cached)].push(cached.path);
    }
    this.answered += result.requested;
    for (const folder of result.madeFolders) this.madeFolders.push(folder);
  }

  /** Each folder is made (or found) once per build, not once per file. */
  private makeFolderOf(full: string): void {
    const folder = dirname(full);
    if (this.readyFolders.has(folder)) return;
    this.madeFolders.push(...makeFolders(folder, 0o755));
    this.readyFolders.add(folder);
  }

  /** Every file in the way of a waiting file must be one this build removes (fleetgen's own, no longer produced). */
  checkFilesInTheWay(removed: ReadonlySet<string>): void {
    for (const { file, filesInTheWay } of this.waiting) {
      for (const parent of filesInTheWay) {
        if (!removed.has(parent)) {
          throw new OutputError(join(this.outDir, parent), `is a file, but fleetgen needs a folder there for ${file.path}`, 'move it out of the output folder');
        }
      }
    }
  }

  /**
   * Puts every staged and waiting file in place, and removes the .gitignore files this build no longer produces
   * (`removedIgnoreRules`; every other removal comes before), in the steps of COMMIT_STEPS: killed between any two
   * renames, out/ never holds a file in clear text that its folder's .gitignore on disk does not list. A new folder
   * goes whole, in the step of COMMIT_STEPS its last file belongs to (see there).
   */
  commit(removedIgnoreRules: readonly string[], onWrite?: (done: number, total: number) => void): void {
    // From here on out/ takes this build's files: what writeAtOnce() wrote stays, whatever happens.
    this.writtenAtOnce.length = 0;
    const total = this.stagedCount + this.waiting.length;
    let done = 0;
    for (const step of COMMIT_STEPS) {
      if (step === 'ignoreRules') for (const path of removedIgnoreRules) removeGeneratedFile(this.outDir, path);
      // Renamed in order; `renamed` counts those in place, so that a failure half-way leaves rollback() only the temp
      // files still waiting. (Not shift() per file: on tens of thousands of files that is quadratic.)
      for (const path of this.staged[step]) {
        const full = join(this.outDir, path);
        renameSync(tempPathOf(full, this.token), full);
        this.renamed++;
        onWrite?.(++done, total);
      }
      // Each of its files goes into place with it, at once.
      for (const folder of this.newFolders.values()) {
        if (folder.step !== step) continue;
        renameSync(folder.temp, join(this.outDir, folder.path));
        folder.isPlaced = true;
        done += folder.files;
        onWrite?.(done, total);
      }
      // Rare (see the class comment): written in their step too, after the removals that made room for them.
      for (const { file } of this.waiting) {
        if (commitStepOf(file) !== step) continue;
        const full = join(this.outDir, file.path);
        makeFolders(dirname(full), 0o755);
        writeFileAtomic(full, file.content, { mode: file.mode });
        onWrite?.(++done, total);
      }
    }
    for (const step of COMMIT_STEPS) this.staged[step].length = 0;
    this.renamed = 0;
    this.newFolders.clear();
    this.filesInNewFolders = 0;
    this.waiting.length = 0;
  }

  /**
   * After a failure: no temp file or temp folder stays, nor a folder made for one (when nothing else went into it).
   * Returns the failure the writer thread met, if any.
   */
  rollback(): Error | undefined {
    // The thread first: it finishes what it was given, and answers for what it did (files written, folders made).
    const threadFailure = this.thread?.settle();
    this.thread?.close();
    this.thread = undefined;
    // Files it never answered for (it stopped on its own): whatever of them it wrote goes too (those in a new folder's
    // temp folder with that folder, below).
    const sent = this.sentToThread.splice(0);
    const isIntoNewFolder = this.isSentIntoNewFolder.splice(0);
    for (let i = this.answered; i < sent.length; i++) {
      const file = sent[i];
      if (file === undefined || isIntoNewFolder[i] === true) continue;
      try {
        rmSync(tempPathOf(join(this.outDir, file.path), this.token), { force: true });
      } catch {
        // the next build removes what a broken build left (findLeftoverTemps)
      }
    }
    this.answered = 0;
    for (const path of this.stagedInCommitOrder().slice(this.renamed)) rmSync(tempPathOf(join(this.outDir, path), this.token), { force: true });
    for (const step of COMMIT_STEPS) this.staged[step].length = 0;
    this.renamed = 0;
    // A new folder not yet in place goes whole, whatever the thread wrote into it; one in place stays, as a file
    // renamed into place does.
    for (const folder of this.newFolders.values()) if (!folder.isPlaced) rmSync(folder.temp, { recursive: true, force: true });
    this.newFolders.clear();
    this.filesInNewFolders = 0;
    for (const { full, before } of this.writtenAtOnce.splice(0).reverse()) {
      if (before) writeFileAtomic(full, before.content, { mode: before.mode });
      else rmSync(full, { force: true });
    }
    for (const folder of this.madeFolders.splice(0).reverse()) {
      try {
        rmdirSync(folder);
      } catch {
        // not empty (a file of this build was already renamed into it), or gone with its new folder's temp folder: it stays
      }
    }
    return threadFailure;
  }
}

/** A new folder made whole (StagedWriter): the files staged in its temp folder go into place with it. */
interface NewFolder {
  /** Relative to out/. */
  readonly path: string;
  /** Its temp folder (full path): tempPathOf the folder's place, with the build's token. */
  readonly temp: string;
  /** How many files are staged in it. */
  files: number;
  /** The latest step of COMMIT_STEPS any of its files belongs to: the step it goes into place in. */
  step: CommitStep;
  /** Renamed into place (by commit()). */
  isPlaced: boolean;
}

/**
 * The steps in which commit() puts files in place. Each target's .gitignore lists that target's files kept out of git
 * (clear-text secrets, user-data): `git add out/` after a kill between two renames must find every clear-text file
 * listed by the .gitignore then on disk. So first the files to commit (among them a file that was in clear text and is
 * now encrypted, which the new .gitignore no longer lists), then the .gitignore files (and the removal of those no
 * longer produced), then the files kept out of git (new ones among them, which only the new .gitignore lists).
 *
 * A new folder (StagedWriter) goes into place whole, in the latest step any of its files belongs to; that keeps the
 * same promise. Its files are all new: none of them is a file whose rules change under it. A clear-text file in it
 * needs the rules of .gitignore files in the folders on its way (git reads no other), each of which is either
 *   - inside the new folder: new as well, it goes into place with the file, in the same rename; or
 *   - above it, in a folder that was there before the build (the new folder is the topmost new one on its way, so
 *     every folder above it was there, and none of them is in another new folder): such a .gitignore is put in place
 *     file by file, as unchanged, written at once (out/.gitignore), staged or waiting, and by the end of the
 *     .gitignore step it is on disk as this build leaves it. A folder holding a file kept out of git goes in the last
 *     step, after that.
 * A new folder's .gitignore lists only files inside that folder, all of which come with it: whatever step the folder
 * goes in, no other file's verdict changes. And until it is renamed, the temp folder and everything in it are ignored
 * by out/.gitignore (TEMP_NAME_PATTERN), which is in place before anything is staged.
 */
const COMMIT_STEPS = ['committed', 'ignoreRules', 'keptOutOfGit'] as const;
type CommitStep = (typeof COMMIT_STEPS)[number];

/** The later of two steps of COMMIT_STEPS. */
function laterStep(a: CommitStep, b: CommitStep): CommitStep {
  return COMMIT_STEPS.indexOf(b) > COMMIT_STEPS.indexOf(a) ? b : a;
}

function commitStepOf(file: { path: string; isKeptOutOfGit: boolean }): CommitStep {
  if (isIgnoreRules(file.path)) return 'ignoreRules';
  return file.isKeptOutOfGit ? 'keptOutOfGit' : 'committed';
}

/** A .gitignore, in whatever folder: git reads its rules wherever it stands. */
function isIgnoreRules(path: string): boolean {
  return path === GITIGNORE || path.endsWith(`/${GITIGNORE}`);
}

function gitignoreFile(content: string): GeneratedFile {
  return { path: GITIGNORE, content, mode: 0o644, isSecret: false, isKeptOutOfGit: false };
}
