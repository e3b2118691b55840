/**
 * fleetgen's record of what it wrote into out/ (out/.fleetgen-state.json): how a rebuild knows which files it
 * produced earlier and no longer produces (those it removes) from files someone else put there (never touched).
 * Commit it with out/, or a fresh clone cannot tell the two apart.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isCleanRelativePath } from './out-path.js';
import { OutputError } from './output-error.js';

export const STATE_FILE = '.fleetgen-state.json';
const FORMAT_VERSION = 1;
const COMMENT = 'Written by fleetgen: every file it generated in this folder, so that a rebuild removes the ones it no longer produces and never touches any other. Do not edit; commit it with the output.';

export interface RecordedFile {
  /** Relative to out/, with `/` separators. */
  path: string;
  /** Of the bytes written. */
  sha256: string;
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

interface StateJson {
  comment: string;
  version: number;
  files: { path: string; sha256: string; mode: string; secret?: true; gitignored?: true }[];
}

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export function statePath(outDir: string): string {
  return join(outDir, STATE_FILE);
}

/** The text of the state file: sorted, stable, one file per line group, modes in octal as people read them. */
export function serializeState(state: OutputState): string {
  const files = [...state.files].sort((a, b) => compareBytes(a.path, b.path));
  const json: StateJson = {
    comment: COMMENT,
    version: FORMAT_VERSION,
    files: files.map((f) => ({
      path: f.path,
      sha256: f.sha256,
      mode: f.mode.toString(8).padStart(4, '0'),
      ...(f.isSecret ? { secret: true as const } : {}),
      ...(f.isKeptOutOfGit ? { gitignored: true as const } : {}),
    })),
  };
  return JSON.stringify(json, null, 2) + '\n';
}

/** The state as recorded in out/, empty when there is none yet. Throws OutputError when it is not fleetgen's. */
export function readState(outDir: string): { state: OutputState; text: string | undefined } {
  const path = statePath(outDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: { files: [] }, text: undefined };
    throw new OutputError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return { state: parseState(text, path), text };
}

export function parseState(text: string, path: string): OutputState {
  const unusable = (what: string): OutputError =>
    new OutputError(
      path,
      `is not a fleetgen state file (${what})`,
      'restore it from version control; or delete it and rebuild, knowing that files fleetgen generated earlier and no longer produces will then stay',
    );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw unusable('not valid JSON');
  }
  if (!isObject(json) || json.version !== FORMAT_VERSION || !Array.isArray(json.files)) throw unusable(`expected version ${FORMAT_VERSION} and a files list`);
  const seen = new Set<string>();
  const files = json.files.map((entry: unknown, index: number): RecordedFile => {
    if (!isObject(entry) || typeof entry.path !== 'string' || typeof entry.sha256 !== 'string' || typeof entry.mode !== 'string') {
      throw unusable(`files[${index}] needs path, sha256 and mode`);
    }
    // A tampered record must not make a rebuild delete anything outside out/.
    if (!isCleanRelativePath(entry.path) || entry.path === STATE_FILE) throw unusable(`files[${index}].path ${JSON.stringify(entry.path)} is not inside the output folder`);
    if (!/^[0-7]{3,4}$/.test(entry.mode)) throw unusable(`files[${index}].mode ${JSON.stringify(entry.mode)} is not an octal mode`);
    if (seen.has(entry.path)) throw unusable(`${JSON.stringify(entry.path)} is listed twice`);
    seen.add(entry.path);
    return { path: entry.path, sha256: entry.sha256, mode: parseInt(entry.mode, 8), isSecret: entry.secret === true, isKeptOutOfGit: entry.gitignored === true };
  });
  return { files };
}

/** Byte order (not locale order), the same as FileSet.list(), so the record is identical on every machine. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
