/**
 * What writing a FileSet into out/ would do, decided by comparing it with the disk and with fleetgen's record
 * of what it wrote before — without writing anything. `build --check` and `--dry-run` stop here; a build then
 * applies the plan (apply.ts).
 */
import { readdirSync, readFileSync, statSync, type Dirent, type Stats } from 'node:fs';
import { tempFileOf } from './atomic.js';
import { join } from 'node:path';
import type { FileSet, GeneratedFile } from '../targets/fileset.js';
import { checkParents, lstatOrUndefined, topFolderOf } from './out-path.js';
import { checkOutGitignoreIsOurs, outGitignoreFile, OUT_GITIGNORE } from './out-gitignore.js';
import { OutputError } from './output-error.js';
import { compareBytes, readState, serializeState, statePath, STATE_FILE, type OutputState, type RecordedFile, type RecordRead } from './state.js';

/**
 * - `add`: not on disk yet;
 * - `change`: on disk with other bytes or another mode (rewritten whole, atomically);
 * - `unchanged`: on disk with these bytes and this mode (not rewritten: its mtime stays);
 * - `remove`: fleetgen wrote it earlier, no longer produces it, and it is still there.
 */
export type PlannedAction = 'add' | 'change' | 'unchanged' | 'remove';

export interface PlannedFile {
  /** Relative to out/, with `/` separators; the first segment is the target's folder (chef, ansible, …). */
  path: string;
  action: PlannedAction;
  /** What to write (add, change, unchanged); undefined for `remove`. */
  file?: GeneratedFile;
  /** change: which aspects differ. */
  difference?: { content: boolean; mode: { from: number; to: number } | undefined };
  /** The file holds secret material now or held it before: its content must never be shown. */
  isSecret: boolean;
  /** Never committed (clear-text secrets, user-data): git-ignored, and not asked for by `build --check`. */
  isKeptOutOfGit: boolean;
}

export interface Plan {
  outDir: string;
  /** Every produced file and every file to remove, sorted by path. */
  files: PlannedFile[];
  /**
   * The record to leave in out/ once the plan is applied; `isChanged` when it differs from the one on disk, byte for
   * byte (another format, a line missing, another order or layout); `formatVersion`: the format of the one on disk.
   */
  state: { path: string; content: string; isChanged: boolean; formatVersion: number | undefined };
  /**
   * Temp files of fleetgen's own files, and temp folders of the folders it writes into, that a killed build left behind
   * (relative to out/): removed (a folder whole) when applied.
   */
  leftoverTemps: string[];
}

export interface PlanOptions {
  /**
   * Top-level folders this build is responsible for (e.g. ['ansible'] for `--target ansible`): recorded files
   * outside them are neither removed nor reported, and stay in the record. Default: every recorded file.
   */
  scope?: readonly string[];
  /** Called as files are compared with the disk (for a progress line). */
  onProgress?: (done: number, total: number) => void;
}

/** Throws OutputError, before anything is written, when something on disk is in the way. */
export function planOutput(outDir: string, files: FileSet, options: PlanOptions = {}): Plan {
  const { outExists, state: previous, text: previousText, formatVersion } = readPreviousOutput(outDir);
  const inScope = (path: string): boolean => options.scope === undefined || options.scope.includes(topFolderOf(path));
  const recorded = new Map(previous.files.map((f) => [f.path, f]));
  // out/.gitignore is fleetgen's own, as the record is: every build produces it (refused, as a build refuses it, when
  // the one there holds someone else's rules).
  checkOutGitignoreIsOurs(outDir, recorded.get(OUT_GITIGNORE));
  const produced = [...files.list(), outGitignoreFile()];
  const isProduced = (path: string): boolean => path === OUT_GITIGNORE || files.get(path) !== undefined;

  const planned: PlannedFile[] = [];
  for (const [i, file] of produced.entries()) {
    if (file.path === STATE_FILE) throw new OutputError(join(outDir, file.path), 'is where fleetgen keeps its record; a target cannot produce it');
    planned.push(planFile(outDir, file, recorded.get(file.path)));
    options.onProgress?.(i + 1, produced.length);
  }
  for (const old of previous.files) {
    if (isProduced(old.path) || !inScope(old.path)) continue;
    const removal = planRemoval(outDir, old);
    if (removal) planned.push(removal);
  }
  planned.sort((a, b) => compareBytes(a.path, b.path));
  checkNothingInTheWay(outDir, planned);

  const next: OutputState = {
    files: [
      ...previous.files.filter((f) => !inScope(f.path) && !isProduced(f.path)),
      ...produced.map((f): RecordedFile => ({ path: f.path, mode: f.mode, isSecret: f.isSecret, isKeptOutOfGit: f.isKeptOutOfGit })),
    ],
  };
  const content = serializeState(next);
  const leftoverTemps = !outExists ? [] : findLeftoverTemps(outDir, [STATE_FILE, ...planned.map((f) => f.path)]);
  return { outDir, files: planned, state: { path: statePath(outDir), content, isChanged: content !== previousText, formatVersion }, leftoverTemps };
}

/**
 * Temp files (atomic.ts) of the given files, in their folders, and temp folders of the folders on their way, beside
 * those folders (a folder a build makes whole: incremental.ts, StagedWriter): what a build killed in the middle of a
 * write leaves. Only temp names of files and folders fleetgen itself writes there count, so a user's own file or
 * folder is never taken for one. (A temp folder is removed whole.)
 */
export function findLeftoverTemps(outDir: string, paths: readonly string[]): string[] {
  /** Per folder: the names of the files and of the folders fleetgen writes there. */
  const namesByFolder = new Map<string, { files: Set<string>; folders: Set<string> }>();
  const namesIn = (folder: string): { files: Set<string>; folders: Set<string> } => {
    let names = namesByFolder.get(folder);
    if (!names) namesByFolder.set(folder, (names = { files: new Set(), folders: new Set() }));
    return names;
  };
  for (const path of paths) {
    const slash = path.lastIndexOf('/');
    let folder = slash === -1 ? '' : path.slice(0, slash);
    namesIn(folder).files.add(path.slice(slash + 1));
    // Each folder on the way, in its parent, up to the first one met before (the ones above it were met with it).
    while (folder !== '') {
      const up = folder.lastIndexOf('/');
      const parent = up === -1 ? '' : folder.slice(0, up);
      const names = namesIn(parent);
      const name = folder.slice(up + 1);
      if (names.folders.has(name)) break;
      names.folders.add(name);
      folder = parent;
    }
  }
  const found: string[] = [];
  for (const [folder, names] of namesByFolder) {
    let entries: Dirent[];
    try {
      entries = readdirSync(join(outDir, folder), { withFileTypes: true });
    } catch {
      continue; // not there (yet), or not a folder: checkNothingInTheWay has said what matters
    }
    for (const entry of entries) {
      const owner = entry.isFile() || entry.isDirectory() ? tempFileOf(entry.name) : undefined;
      if (owner !== undefined && (entry.isFile() ? names.files : names.folders).has(owner)) found.push(folder === '' ? entry.name : `${folder}/${entry.name}`);
    }
  }
  return found.sort(compareBytes);
}

/** out/ as a previous build left it: whether it exists, and fleetgen's record in it. Throws OutputError. */
export function readPreviousOutput(outDir: string): RecordRead & { outExists: boolean } {
  const { outExists, record } = findPreviousOutput(outDir);
  const read = record === undefined ? { state: { files: [] }, text: undefined, formatVersion: undefined } : readState(outDir);
  return { outExists, ...read };
}

/**
 * Whether out/ exists, and the stat of fleetgen's record in it (undefined: none), without reading the record. Throws
 * OutputError when out/ is not a folder or the record not a regular file.
 */
export function findPreviousOutput(outDir: string): { outExists: boolean; record: Stats | undefined } {
  const outStat = lstatOrUndefined(outDir);
  // out/ may itself be a symbolic link (the user's choice of location): stat through it here.
  if (outStat !== undefined && !outStat.isDirectory() && !(outStat.isSymbolicLink() && isFolder(outDir))) {
    throw new OutputError(outDir, 'exists and is not a folder', 'choose another folder with --out');
  }
  const stateStat = outStat === undefined ? undefined : lstatOrUndefined(statePath(outDir));
  if (stateStat !== undefined && !stateStat.isFile()) {
    throw new OutputError(statePath(outDir), 'is not a regular file', 'remove it: fleetgen keeps its record of written files there');
  }
  return { outExists: outStat !== undefined, record: stateStat };
}

/**
 * Every file a build compares or touches: the produced and removed ones (plan.files), fleetgen's record (rewritten
 * whenever its bytes differ from what the build records) and the temp files a killed build left (removed). Sorted.
 */
export function comparedFiles(plan: Plan): PlannedFile[] {
  const record: GeneratedFile = { path: STATE_FILE, content: plan.state.content, mode: 0o644, isSecret: false, isKeptOutOfGit: false };
  const recordAction = !plan.state.isChanged ? 'unchanged' : plan.state.formatVersion === undefined ? 'add' : 'change';
  const recorded: PlannedFile = { path: STATE_FILE, action: recordAction, file: record, isSecret: false, isKeptOutOfGit: false };
  if (recordAction === 'change') recorded.difference = { content: true, mode: undefined };
  // A temp file may hold a secret's bytes: never shown.
  const temps = plan.leftoverTemps.map((path): PlannedFile => ({ path, action: 'remove', isSecret: true, isKeptOutOfGit: false }));
  return [recorded, ...temps, ...plan.files].sort((a, b) => compareBytes(a.path, b.path));
}

/** The files that make out/ differ from what the build produces (what `--dry-run` lists). */
export function staleFiles(plan: Plan): PlannedFile[] {
  return comparedFiles(plan).filter((f) => f.action !== 'unchanged');
}

/**
 * What `build --check` lists: the stale files among those meant to be committed, compared as git stores them.
 * Files kept out of git are not asked for (a fresh clone has none of them), and a mode difference counts only when
 * it changes whether the file is executable: git records nothing else of a file's mode, so a checkout gives 0644
 * (or 0755) whatever fleetgen wrote.
 */
export function staleCommittedFiles(plan: Plan): PlannedFile[] {
  return staleFiles(plan).filter((f) => {
    if (f.isKeptOutOfGit) return false;
    if (f.action !== 'change' || f.difference?.content) return true;
    const mode = f.difference?.mode;
    return mode !== undefined && isExecutable(mode.from) !== isExecutable(mode.to);
  });
}

/** Files `build --check` leaves alone because they are never committed. */
export function keptOutOfGit(plan: Plan): PlannedFile[] {
  return plan.files.filter((f) => f.isKeptOutOfGit && f.action !== 'remove');
}

function isExecutable(mode: number): boolean {
  return (mode & 0o100) !== 0;
}

/** `isSurelyNew`: the caller knows nothing is at the file's place (its folder is new), so it is not looked at. */
export function planFile(outDir: string, file: GeneratedFile, recorded: RecordedFile | undefined, isSurelyNew = false): PlannedFile {
  const isSecret = file.isSecret || (recorded?.isSecret ?? false);
  const { isKeptOutOfGit } = file;
  if (isSurelyNew) return { path: file.path, action: 'add', file, isSecret, isKeptOutOfGit };
  const full = join(outDir, file.path);
  const stat = lstatOrUndefined(full);
  if (stat === undefined) return { path: file.path, action: 'add', file, isSecret, isKeptOutOfGit };
  if (stat.isSymbolicLink()) {
    throw new OutputError(full, 'is a symbolic link; fleetgen never writes through a link inside the output folder', 'remove the link: fleetgen generates this file');
  }
  if (!stat.isFile()) throw new OutputError(full, 'is in the way: fleetgen generates a file there', 'move it out of the output folder');
  const bytes = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
  const isSameContent = stat.size === bytes.length && readFileSync(full).equals(bytes);
  const currentMode = stat.mode & 0o7777;
  const mode = currentMode === file.mode ? undefined : { from: currentMode, to: file.mode };
  if (isSameContent && mode === undefined) return { path: file.path, action: 'unchanged', file, isSecret, isKeptOutOfGit };
  // A file only its owner may read is treated as secret too, so that a diff never shows what was protected.
  return { path: file.path, action: 'change', file, difference: { content: !isSameContent, mode }, isSecret: isSecret || (currentMode & 0o077) === 0, isKeptOutOfGit };
}

export function planRemoval(outDir: string, old: RecordedFile): PlannedFile | undefined {
  const full = join(outDir, old.path);
  const stat = lstatOrUndefined(full);
  // Gone already, or replaced by something fleetgen never writes (a link, a folder): not fleetgen's to delete.
  if (stat === undefined || !stat.isFile()) return undefined;
  return { path: old.path, action: 'remove', isSecret: old.isSecret || (stat.mode & 0o077) === 0, isKeptOutOfGit: old.isKeptOutOfGit };
}

/** Every parent folder of every path must be a folder (or a file this plan removes first), never a link. */
function checkNothingInTheWay(outDir: string, planned: readonly PlannedFile[]): void {
  const removed = new Set(planned.filter((f) => f.action === 'remove').map((f) => f.path));
  for (const file of planned) {
    const { filesInTheWay } = checkParents(outDir, file.path);
    for (const parent of filesInTheWay) {
      if (!removed.has(parent)) {
        throw new OutputError(join(outDir, parent), `is a file, but fleetgen needs a folder there for ${file.path}`, 'move it out of the output folder');
      }
    }
  }
}

/** out/ given as a symbolic link to a folder: follow it (only out/ itself, never anything inside). */
function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
