/**
 * Writing a file so that readers see the old content or the new one, never a half-written file: the content
 * goes to a temporary file in the same folder (same file system, so rename is atomic), then replaces the target.
 *
 * No fsync: what makes a build safe against a killed process (`kill -9`, Ctrl-C, an OOM kill) is temp + rename,
 * not a disk flush — the kernel keeps whatever a dead process wrote. A flush per file cost more than half of a
 * large build; what it would add (surviving a power cut mid-build) a rerun of the build gives as well. A temp file
 * a killed build leaves behind is removed by the next build (plan.ts, leftoverTemps).
 *
 * A folder a build makes whole (incremental.ts, StagedWriter) has a temp name too, the one tempPathOf gives its path:
 * its files are written at their own names inside it (writeNewFile), and renaming it puts them all in place at once.
 */
import { closeSync, fchmodSync, fstatSync, openSync, renameSync, rmSync, writeSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export interface WriteOptions {
  /** File mode of the result, exact (not reduced by the umask). Default 0o644. */
  mode?: number;
  /**
   * The random part of the temp file's name (12 hex digits, see tempToken). Default: a new one. A build that stages
   * many files gives them one token, so it can find each temp file again from the file's path alone (tempPathOf).
   */
  token?: string;
}

/** A random part for temp file names: unpredictable, so no one can plant a file (or a link) under the name first. */
export function tempToken(): string {
  return randomBytes(6).toString('hex');
}

/** The temp file beside `path` that writeTempFile uses with this token. */
export function tempPathOf(path: string, token: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${token}.tmp`);
}

/** Returns the stat of the file written (the temp file's, which the rename keeps). */
export function writeFileAtomic(path: string, content: string | Uint8Array, options: WriteOptions = {}): Stats {
  const { temp, stat } = writeTempFile(path, content, options);
  try {
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  return stat;
}

/**
 * The first half of writeFileAtomic: the content in a new temp file beside `path`, with its final mode; renaming
 * the temp file onto `path` completes the write. Returns the temp file and its stat (which the rename keeps).
 */
export function writeTempFile(path: string, content: string | Uint8Array, options: WriteOptions = {}): { temp: string; stat: Stats } {
  // (tempFileOf below must keep recognising this name.)
  const temp = tempPathOf(path, options.token ?? tempToken());
  return { temp, stat: writeNewFile(temp, content, options.mode) };
}

/**
 * `content` in a new file at `path` (none may be there), with its final mode (default 0o644): a temp file, or a file
 * in a temp folder (which a rename puts in place whole). Returns its stat (which a rename keeps).
 */
export function writeNewFile(path: string, content: string | Uint8Array, mode = 0o644): Stats {
  // 'wx': never follow a planted symlink or reuse someone else's file; the file starts at mode 0600 so a secret is
  // never readable by others, even for an instant.
  // Outside the try below: when open() fails, there is no file of ours to remove (with 'wx', a file already there is
  // someone else's), and removing it anyway would replace open()'s error with rm's.
  const fd = openSync(path, 'wx', 0o600);
  try {
    try {
      // A string is written as it is: Node encodes it into memory it frees at once, where a Buffer per file waits for
      // the garbage collector (tens of thousands of files kept a build's resident memory high). Should the write be
      // short (a regular file's never is, short of a full disk), the rest goes from a Buffer.
      let bytes: Uint8Array | undefined;
      let written = 0;
      if (typeof content === 'string') {
        written = writeSync(fd, content, null, 'utf8');
        if (written !== Buffer.byteLength(content, 'utf8')) bytes = Buffer.from(content, 'utf8');
      } else {
        bytes = content;
      }
      if (bytes !== undefined) while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fchmodSync(fd, mode);
      return fstatSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    rmSync(path, { force: true });
    throw err;
  }
}

/** The name writeFileAtomic gives the temp file of `name` (and a build the temp folder of a new folder `name`): `.<name>.<pid>.<12 hex>.tmp`. */
const TEMP_NAME = /^\.(.+)\.[0-9]+\.[0-9a-f]{12}\.tmp$/;

/**
 * The same names as a gitignore pattern (out/.gitignore holds it): hidden, ending `.<digit…>.<12 hex>.tmp`. Without a
 * slash it matches in every folder below, a folder as well as a file (git then looks at nothing inside that folder:
 * not even a .gitignore there); no file or folder fleetgen generates ends so.
 */
export const TEMP_NAME_PATTERN = `.?*.[0-9]*.${'[0-9a-f]'.repeat(12)}.tmp`;

/** The file (or folder) a temp name belongs to (`x.json` for `.x.json.123.0a1b2c3d4e5f.tmp`), or undefined. */
export function tempFileOf(name: string): string | undefined {
  return TEMP_NAME.exec(name)?.[1];
}
