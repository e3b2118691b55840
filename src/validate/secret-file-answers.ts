/**
 * Secret files known unchanged by their stat, as git's index knows a work-tree file: so that a rebuild confirms the
 * answers of the files every remembered host read (host-checks.ts, and the host models' check in write/incremental.ts)
 * with one stat each instead of reading and hashing each file again (issue 10: 10,000 credential files a rebuild).
 *
 * A build remembers, for each secret file it read whole and well, the digest of its answer (answerDigestOf) with the
 * file's stat: device, inode, mode, size, mtime and ctime. A later build takes the digest without reading the file
 * when the file's stat is identical. That is sound only for a stat whose ctime is older than the moment from which the
 * file was read, by more than any file system's timestamp granularity (RACY_MARGIN_MS): every change to a file
 * (its bytes, its mode, its owner, a rename over it) sets its ctime to the time of the change, and no one can set a
 * ctime back, so a change made after the reading gets a later ctime than the one remembered, and the stat differs.
 * A file changed in the same tick as it was read (git's "racy" case) is simply not remembered: it is read next time.
 * The moment is the start of the process (PROCESS_START): every read of this build, on any of its threads, comes
 * after it. Whether a file can be read at all depends on who reads it too, so the memo is only used by the same
 * user and groups.
 *
 * Kept in out/.fleetgen-cache/secret-stamps.json beside the hosts (write/checked-hosts.ts); a memo missing or damaged
 * only costs the reads: a wrong digest makes hosts be checked again, it never makes a changed file pass.
 * This module stats files, the one bit of I/O in validation besides reading the secrets themselves (through SecretReader).
 */
import { statSync, type Stats } from 'node:fs';
import { sep } from 'node:path';
import { getegid, geteuid, getgroups } from 'node:process';
import type { SecretLookup, SecretReader, SecretSource, StatTaken } from '../load/secrets.js';

/** What a file's stat says of it, as compared: equal stamps, the same file with the same bytes (see above). */
export interface FileStamp {
  dev: number;
  ino: number;
  mode: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** A secret file's answer's digest, and the stamp that vouches for it. */
export interface KnownFile {
  stamp: FileStamp;
  answer: string;
}

/**
 * Secret files' answers by reference (`file:<path as written>`), for references read from folder `base` (absolute),
 * as known to the user and groups `reader` names (readerIdentity), by fleetgen `generator` (generatorDigest: the
 * digests' format is its own).
 */
export interface KnownFiles {
  generator: string;
  reader: string;
  base: string;
  files: ReadonlyMap<string, KnownFile>;
  /** Whether this differs from what the build started with (then it is written again); undefined: not known. */
  isChanged?: boolean;
}

/**
 * How much older than the start of the reading a file's ctime must be to be remembered: above any file system's
 * timestamp granularity (FAT's 2 s) and the kernel's coarse clock (a few ms).
 */
export const RACY_MARGIN_MS = 3000;

/**
 * When this process started (ms since the epoch), before any of its threads read a byte: the main thread's time
 * origin, or, for a build run on another thread, the process's own start as its uptime tells.
 */
export const PROCESS_START = Math.min(performance.timeOrigin, Date.now() - process.uptime() * 1000);

/** The user and groups this process reads files as. */
export function readerIdentity(): string {
  return `${geteuid?.() ?? ''}:${getegid?.() ?? ''}:${(getgroups?.() ?? []).join(',')}`;
}

/** One build's answers known by stat, for the files read through one SecretReader. */
export class SecretFileAnswers {
  private readonly known: ReadonlyMap<string, KnownFile>;
  /** The folder file references are relative to, absolute. */
  private readonly base: string;
  /** The known files looked at this run, and whether their stat vouched for them. */
  private readonly looked = new Map<KnownFile, boolean>();
  /** What to remember, by reference: the files vouched for, and the ones read whole this run (remembered()). */
  private kept: Map<string, KnownFile> | undefined;
  /** Whether `kept` differs from what the build started with (isChangedTo), once worked out. */
  private isKeptChanged: boolean | undefined;
  /** Files read this run, by reference, with their answers' digests and lengths: remembered if their stat allows. */
  private readonly read = new Map<string, { answer: string; size: number }>();

  constructor(
    private readonly reader: SecretReader,
    private readonly generator: string,
    earlier: KnownFiles | undefined,
    /** When this build started reading (ms since the epoch): no byte it read was read before. */
    private readonly startedAt: number,
    /** RACY_MARGIN_MS (tests shorten it so as not to wait seconds). */
    private readonly racyMarginMs = RACY_MARGIN_MS,
    private readonly identity = readerIdentity(),
  ) {
    this.base = reader.resolve('.');
    // A reference leads to the same file only from the same folder.
    const isUsable = earlier !== undefined && earlier.generator === generator && earlier.reader === identity && earlier.base === this.base;
    this.known = isUsable ? earlier.files : new Map();
  }

  /** The digest of what `ref` (a referenceKey) answers now, when a stat shows its file unchanged; else undefined. */
  answerOf(ref: string): string | undefined {
    const known = this.known.get(ref);
    if (known === undefined) return undefined;
    let isVouched = this.looked.get(known);
    if (isVouched === undefined) {
      isVouched = this.isUnchanged(ref, known);
      this.looked.set(known, isVouched);
    }
    return isVouched ? known.answer : undefined;
  }

  /** `found` was read and answers `answer`: remembered with its stat, if that allows (see remembered()). */
  noteRead(found: SecretLookup, answer: string): void {
    if (!found.ok || found.origin.kind !== 'file') return;
    this.read.set(`file:${found.origin.file}`, { answer, size: found.bytes.length });
  }

  /**
   * What the next build may use: the files vouched for, and those read whole that changed before this build began.
   * Worked out on the first call, once the build read all it reads.
   */
  remembered(): KnownFiles {
    if (this.kept !== undefined) return this.rememberedOf(this.kept);
    const kept = new Map<string, KnownFile>();
    this.kept = kept;
    // Map.forEach: a file per host of a rebuild, mostly in code V8 has not optimized yet, where a for-of makes an
    // iterator and a result per entry (write/tiering.ts).
    this.known.forEach((known, ref) => {
      if (this.looked.get(known) === true) kept.set(ref, known);
    });
    this.read.forEach(({ answer, size }, ref) => {
      if (kept.get(ref)?.answer === answer) return;
      const stat = statOf(this.pathOf(ref.slice('file:'.length)));
      // The size is the length read: a file grown or cut since is not what was read.
      if (stat === undefined || !stat.isFile() || stat.size !== size || !(stat.ctimeMs < this.startedAt - this.racyMarginMs)) {
        kept.delete(ref);
        return;
      }
      const known = this.known.get(ref);
      kept.set(ref, known !== undefined && known.answer === answer && isSameStamp(known.stamp, stat) ? known : { stamp: stampOf(stat), answer });
    });
    return this.rememberedOf(kept);
  }

  /**
   * The absolute paths of the files remembered() keeps: the next build stats them rather than reading them, so they are
   * not worth reading ahead (write/secret-prefetch.ts).
   */
  rememberedPaths(): Set<string> {
    return new Set([...this.remembered().files.keys()].map((ref) => this.pathOf(ref.slice('file:'.length))));
  }

  private rememberedOf(kept: ReadonlyMap<string, KnownFile>): KnownFiles {
    return { generator: this.generator, reader: this.identity, base: this.base, files: kept, isChanged: this.isChangedTo(kept) };
  }

  /** Whether `kept` (this.kept: set once) differs from what the build started with; worked out on the first call. */
  private isChangedTo(kept: ReadonlyMap<string, KnownFile>): boolean {
    if (this.isKeptChanged === undefined) {
      let isChanged = kept.size !== this.known.size;
      // Map.forEach: see remembered().
      if (!isChanged)
        kept.forEach((file, ref) => {
          if (this.known.get(ref) !== file) isChanged = true;
        });
      this.isKeptChanged = isChanged;
    }
    return this.isKeptChanged;
  }

  /**
   * Whether the file `ref` names is the one remembered, unchanged since: by its stat, taken here or (a build's
   * stat-ahead thread: write/secret-prefetch.ts) taken ahead by this build, which is as good, since this build started.
   */
  private isUnchanged(ref: string, known: KnownFile): boolean {
    const path = this.pathOf(ref.slice('file:'.length));
    const ahead = this.reader.statTakenAhead(path);
    if (ahead !== undefined && isSameStamp(known.stamp, ahead)) return true;
    const stat = statOf(path);
    return stat !== undefined && isSameStamp(known.stamp, stat);
  }


/** A reference's path as SecretReader resolves it; lexically, without path.resolve's cost for a plain relative path. */
  private pathOf(file: string): string {
    if (sep === '/' && file !== '' && !file.startsWith('/') && !NOT_PLAIN.test(file)) return this.base === '/' ? `/${file}` : `${this.base}/${file}`;
    return this.reader.resolve(file);
  }
}

/** A relative path that path.resolve would change: a `.`, `..` or empty segment, or a trailing slash. */
const NOT_PLAIN = /(^|\/)\.{0,2}(\/|$)/;

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function stampOf(stat: Stats): FileStamp {
  return { dev: stat.dev, ino: stat.ino, mode: stat.mode, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs };
}

function isSameStamp(stamp: FileStamp, stat: StatTaken): boolean {
  return (
    stamp.ctimeMs === stat.ctimeMs &&
    stamp.mtimeMs === stat.mtimeMs &&
    stamp.size === stat.size &&
    stamp.ino === stat.ino &&
    stamp.dev === stat.dev &&
    stamp.mode === stat.mode
  );
}

/** The answers known by stat for files read through `reader` this build, if a HostChecks set them up. */
const answersByReader = new WeakMap<SecretSource, SecretFileAnswers>();

export function fileAnswersOf(reader: SecretSource): SecretFileAnswers | undefined {
  return answersByReader.get(reader);
}

export function setFileAnswers(reader: SecretSource, answers: SecretFileAnswers): void {
  answersByReader.set(reader, answers);
}
