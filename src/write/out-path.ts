/**
 * Keeping every write and delete inside out/: a relative path must be clean (no `..`, no absolute path, no empty
 * or `.` segment), and no folder on the way to it inside out/ may be a symbolic link — a link planted there
 * (by mistake or on purpose) would otherwise redirect a write or a delete to anywhere on the machine. out/
 * itself may be a link: that is the user's choice of where the output lives, not something found inside it.
 *
 * Node has no openat()/O_NOFOLLOW for folders, so this is a check, not a guarantee against a concurrent attacker
 * who swaps a folder for a link between the check and the write; it runs at plan time and again just before
 * each write or delete, which leaves that window as small as Node allows.
 */
import { lstatSync, type Stats } from 'node:fs';
import { join, sep } from 'node:path';
import { OutputError } from './output-error.js';

/**
 * out/ and a separator: a clean relative path (as the cache and the record hold them) appended to it is the file's
 * place, with nothing left for join() to normalize in the tens of thousands of paths a rebuild looks at.
 */
export function outPrefixOf(outDir: string): string {
  const base = join(outDir, '.');
  return base.endsWith(sep) ? base : `${base}${sep}`;
}

/** Whether `path` is a clean relative path with `/` separators that cannot leave the folder it is joined to. */
export function isCleanRelativePath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  // No split: the record and the build cache check every path of the fleet, tens of thousands, on every build.
  return !EMPTY_OR_DOT_SEGMENT.test(path);
}

/** A segment that is empty, `.` or `..`: between the start or a `/` and the end or a `/`. */
const EMPTY_OR_DOT_SEGMENT = /(?:^|\/)\.{0,2}(?:\/|$)/;

/** The first segment of a relative path: the target's folder (`chef` for `chef/metadata.rb`). */
export function topFolderOf(path: string): string {
  // No split: called for every file a build places.
  const slash = path.indexOf('/');
  return slash === -1 ? path : path.slice(0, slash);
}

/** The parent folders of a relative path, shallowest first: `a/b/c.txt` → `a`, `a/b`. */
export function parentsOf(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, index) => parts.slice(0, index + 1).join('/'));
}

/** lstat that says `undefined` for a path that does not exist (or whose parent is not a folder). */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    // throwIfNoEntry: a missing file is the common answer (every file of a first build); an exception for each took
    // seconds of a 10,000-host build.
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

export interface ParentCheck {
  /** Parent folders (relative) that exist as regular files and must be removed before this path can be written. */
  filesInTheWay: string[];
}

/**
 * Throws OutputError when `relative` is not clean or a parent folder of it inside outDir is a symbolic link or
 * something other than a folder or a regular file. Parents that do not exist yet are fine (they will be created).
 */
export function checkParents(outDir: string, relative: string): ParentCheck {
  if (!isCleanRelativePath(relative)) {
    throw new OutputError(join(outDir, relative), `${JSON.stringify(relative)} is not a path inside the output folder`);
  }
  const filesInTheWay: string[] = [];
  for (const parent of parentsOf(relative)) {
    const full = join(outDir, parent);
    const stat = lstatOrUndefined(full);
    if (stat === undefined) break;
    if (stat.isDirectory()) continue;
    if (stat.isSymbolicLink()) {
      throw new OutputError(
        full,
        'is a symbolic link; fleetgen never writes or deletes through a link inside the output folder',
        'replace the link with a real folder, or point --out at the link target',
      );
    }
    if (stat.isFile()) {
      filesInTheWay.push(parent);
      break;
    }
    throw new OutputError(full, 'is neither a folder nor a file; fleetgen needs a folder there');
  }
  return { filesInTheWay };
}
