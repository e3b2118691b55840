/**
 * The looking-ahead thread's side (look-ahead.ts has the build's side): reads fleetgen's record in out/ and lstat's
 * every file it lists and every folder on the way to them, while the build's own thread is still parsing and
 * validating the manifest. It sends back the record's text as read, so that the build uses the answers only for
 * the very record it reads itself, and in its order.
 *
 * Loaded in a worker_threads worker, never on the build's own thread; it imports only what it needs to look.
 */
import { lstatSync, readFileSync, type Stats } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import { isCleanRelativePath, parentsOf } from './out-path.js';
import { STATE_FILE } from './state.js';

/** In LookAheadResult.files, per file: what stands at its place, or one of these instead of a mode. */
export const LOOK = {
  /** Nothing there (or a file where a folder on the way should be): lstatOrUndefined's undefined. */
  absent: -1,
  /** Not looked at (a path that is not clean, or an error other than "not there"): the build looks itself. */
  unknown: -2,
} as const;

/** Numbers per file in LookAheadResult.files: mode (st_mode with the file type, or a LOOK), size, mtimeMs, ino. */
export const FILE_SLOTS = 4;

export interface LookAheadResult {
  /** The record's text, exactly as read. */
  record: string;
  /** FILE_SLOTS numbers per entry of the record's files, in its order. */
  files: Float64Array;
  /** Each folder on the way to a recorded file: its mode (st_mode, with the file type) or a LOOK. */
  folders: Map<string, number>;
}

export interface LookAheadWorkerData {
  port: MessagePort;
  /** out/ and a separator: a recorded file's place is this and its clean path. */
  outPrefix: string;
}

/** Looks once, posts the answer (or nothing, when there is no record of the format it knows) and returns. */
export function lookAhead({ port, outPrefix }: LookAheadWorkerData): void {
  const result = look(outPrefix);
  if (result !== undefined) port.postMessage(result, [result.files.buffer as ArrayBuffer]);
  port.close();
}

function look(outPrefix: string): LookAheadResult | undefined {
  let record: string;
  let json: unknown;
  try {
    record = readFileSync(outPrefix + STATE_FILE, 'utf8');
    json = JSON.parse(record);
  } catch {
    return undefined;
  }
  // Format 2 only: an older record is read by the build alone, once, and rewritten as format 2.
  if (typeof json !== 'object' || json === null || (json as { version?: unknown }).version !== 2) return undefined;
  const entries = (json as { files?: unknown }).files;
  if (!Array.isArray(entries)) return undefined;
  const files = new Float64Array(entries.length * FILE_SLOTS);
  const folders = new Map<string, number>();
  for (const [index, entry] of entries.entries()) {
    const path: unknown = Array.isArray(entry) ? entry[0] : undefined;
    const at = index * FILE_SLOTS;
    if (typeof path !== 'string' || !isCleanRelativePath(path)) {
      files[at] = LOOK.unknown;
      continue;
    }
    const stat = lstatOf(outPrefix + path);
    files[at] = typeof stat === 'number' ? stat : stat.mode;
    if (typeof stat !== 'number') {
      files[at + 1] = stat.size;
      files[at + 2] = stat.mtimeMs;
      files[at + 3] = stat.ino;
    }
    const slash = path.lastIndexOf('/');
    if (slash === -1 || folders.has(path.slice(0, slash))) continue;
    for (const folder of parentsOf(path)) if (!folders.has(folder)) folders.set(folder, modeOf(lstatOf(outPrefix + folder)));
  }
  return { record, files, folders };
}

/** As lstatOrUndefined (out-path.ts), with LOOK.unknown for the errors it would throw: the build meets those itself. */
function lstatOf(full: string): Stats | number {
  try {
    return lstatSync(full, { throwIfNoEntry: false }) ?? LOOK.absent;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOTDIR' ? LOOK.absent : LOOK.unknown;
  }
}

function modeOf(stat: Stats | number): number {
  return typeof stat === 'number' ? stat : stat.mode;
}
