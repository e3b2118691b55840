/**
 * fleetgen's record of what it wrote into out/ (out/.fleetgen-state.json): how a rebuild knows which files it
 * produced earlier and no longer produces (those it removes) from files someone else put there (never touched).
 * Commit it with out/, or a fresh clone cannot tell the two apart.
 *
 * One line per file, sorted, so that adding a host adds its few lines to a commit and changing one changes none:
 *
 *   {
 *     "comment": "Written by fleetgen: …",
 *     "version": 2,
 *     "files": [
 *       ["ansible/inventory/host_vars/web-1/cloudflared.yml", "0644"],
 *       ["cloud-init/web-1.yaml", "0600", "secret", "gitignored"]
 *     ]
 *   }
 *
 * No digest of the content: a rebuild, `--check` and `--dry-run` compare every file with the bytes the manifest
 * produces (plan.ts), and the build cache knows a file it wrote by its stat (cache.ts). Version 1 (an object per
 * file over five lines, with a sha256 that nothing read) is still read, and rewritten as version 2 by the next build.
 */
import { join } from 'node:path';
import { readTextAndIdentity, type FileIdentity } from './cache.js';
import { isCleanRelativePath } from './out-path.js';
import { OutputError } from './output-error.js';

export const STATE_FILE = '.fleetgen-state.json';
/** The format this fleetgen writes; an older one is read, and rewritten by the next build. */
export const STATE_FORMAT_VERSION = 2;
const COMMENT =
  'Written by fleetgen: every file it generated in this folder, so that a rebuild removes the ones it no longer produces and never touches any other. ' +
  'One file a line: [path, mode, then "secret" when its content is never shown, "gitignored" when it is never committed]. Do not edit; commit it with the output.';

export interface RecordedFile {
  /** Relative to out/, with `/` separators. */
  path: string;
  mode: number;
  /** The file held secret material: its content is never shown (diffs say "(secret, N bytes)"). */
  isSecret: boolean;
  /** The file is never committed (GeneratedFile.isKeptOutOfGit): `build --check` does not ask for it. */
  isKeptOutOfGit: boolean;
}

export interface OutputState {
  /** Sorted by path. */
  files: RecordedFile[];
}

export function statePath(outDir: string): string {
  return join(outDir, STATE_FILE);
}

/** The text of the state file: sorted, stable, one file a line, modes in octal as people read them. */
export function serializeState(state: OutputState): string {
  const files = [...state.files].sort((a, b) => compareBytes(a.path, b.path));
  const head = { comment: COMMENT, version: STATE_FORMAT_VERSION };
  const members = Object.entries(head).map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  // What `JSON.stringify({...head, files}, null, 2)` gives, except that each file is on one line of its own, as
  // JSON.stringify(entry) writes it (which escapes every line break inside a path): the layout that git diffs line by line.
  const list = files.length === 0 ? '[]' : `[\n${files.map(fileLine).join(',\n')}\n  ]`;
  return `{\n${[...members, `  "files": ${list}`].join(',\n')}\n}\n`;
}

/** The file's entry, `[path, mode, ...flags]`, as JSON.stringify writes it, on a line of its own. */
function fileLine(file: RecordedFile): string {
  // JSON.stringify([path, mode, ...flags]), written out: only the path needs escaping (the mode is octal digits, the
  // flags are words), and no array per file of 70,000.
  return `    [${JSON.stringify(file.path)},"${file.mode.toString(8).padStart(4, '0')}"${file.isSecret ? ',"secret"' : ''}${file.isKeptOutOfGit ? ',"gitignored"' : ''}]`;
}

/** What a record on disk holds, and in which format it was written (undefined: there is no record yet). */
export interface RecordRead {
  state: OutputState;
  text: string | undefined;
  formatVersion: number | undefined;
  /** The very file read (fstat of the descriptor read from); undefined when there is none. */
  identity?: FileIdentity;
}

/** The state as recorded in out/, empty when there is none yet. Throws OutputError when it is not fleetgen's. */
export function readState(outDir: string): RecordRead {
  const path = statePath(outDir);
  let read: { text: string; identity: FileIdentity };
  try {
    read = readTextAndIdentity(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: { files: [] }, text: undefined, formatVersion: undefined };
    throw new OutputError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return { ...parseRecord(read.text, path), ...read };
}

const RESTORE_HINT = 'restore it from version control; or delete it and rebuild, knowing that files fleetgen generated earlier and no longer produces will then stay';

/** Reads version 2 and version 1. Throws OutputError naming what is wrong and what to do. */
export function parseState(text: string, path: string): OutputState {
  return parseRecord(text, path).state;
}

function parseRecord(text: string, path: string): { state: OutputState; formatVersion: number } {
  const unusable = (what: string, hint = RESTORE_HINT): OutputError => new OutputError(path, `is not a fleetgen state file (${what})`, hint);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const conflict = /^(?:<{7}|={7}|>{7})(?: |$)/m.exec(text);
    if (conflict) {
      throw unusable(
        `a merge conflict is left in it, line ${lineOf(text, conflict.index)}`,
        'keep the entries of both sides (one file a line, a comma after each but the last) and remove the markers, then rebuild: the build records exactly the files it writes',
      );
    }
    const position = /at position (\d+)/.exec(String(err))?.[1];
    throw unusable(`not valid JSON${position === undefined ? '' : `, line ${lineOf(text, Number(position))}`}`);
  }
  if (!isObject(json) || typeof json.version !== 'number' || !Array.isArray(json.files)) throw unusable('expected a version and a files list');
  if (json.version > STATE_FORMAT_VERSION) throw new OutputError(path, `was written by a newer fleetgen (format version ${json.version}; this one reads up to ${STATE_FORMAT_VERSION})`, 'build with that fleetgen version or a newer one');
  const readEntry = json.version === 2 ? readEntryV2 : json.version === 1 ? readEntryV1 : undefined;
  if (readEntry === undefined) throw unusable(`unknown format version ${json.version}`);

  const seen = new Set<string>();
  const files = json.files.map((entry: unknown, index: number): RecordedFile => {
    const read = readEntry(entry);
    if (typeof read === 'string') throw unusable(`files[${index}] ${read}`);
    // A tampered record must not make a rebuild delete anything outside out/.
    if (!isCleanRelativePath(read.path) || read.path === STATE_FILE) throw unusable(`files[${index}]: ${JSON.stringify(read.path)} is not inside the output folder`);
    if (!/^[0-7]{3,4}$/.test(read.mode)) throw unusable(`files[${index}]: mode ${JSON.stringify(read.mode)} of ${read.path} is not an octal mode`);
    if (seen.has(read.path)) throw unusable(`${JSON.stringify(read.path)} is listed twice`);
    seen.add(read.path);
    return { path: read.path, mode: parseInt(read.mode, 8), isSecret: read.isSecret, isKeptOutOfGit: read.isKeptOutOfGit };
  });
  return { state: { files }, formatVersion: json.version };
}

type ReadEntry = (entry: unknown) => { path: string; mode: string; isSecret: boolean; isKeptOutOfGit: boolean } | string;

/**
 * `["path", "0644", "secret", "gitignored"]`: each flag at most once, in that order. Read by index, without a list of
 * flags per entry: a record holds a line for each of tens of thousands of files, and every build reads it.
 */
const readEntryV2: ReadEntry = (entry) => {
  if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'string') return 'is not [path, mode, flags…]';
  const path: string = entry[0];
  let next = 2;
  const isSecret = entry[next] === 'secret';
  if (isSecret) next++;
  const isKeptOutOfGit = entry[next] === 'gitignored';
  if (isKeptOutOfGit) next++;
  if (next !== entry.length) return `(${path}): ${JSON.stringify(entry.slice(2))} are not its flags ("secret", then "gitignored", each when it applies)`;
  return { path, mode: entry[1] as string, isSecret, isKeptOutOfGit };
};

/** `{"path": …, "sha256": …, "mode": "0644", "secret": true, "gitignored": true}`: the digest is not needed. */
const readEntryV1: ReadEntry = (entry) => {
  if (!isObject(entry) || typeof entry.path !== 'string' || typeof entry.mode !== 'string') return 'needs path and mode';
  return { path: entry.path, mode: entry.mode, isSecret: entry.secret === true, isKeptOutOfGit: entry.gitignored === true };
};

/** 1-based line of a character offset. */
function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/** Byte order (not locale order), the same as FileSet.list(), so the record is identical on every machine. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
