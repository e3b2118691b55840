/**
 * The <manifest> argument of validate, hosts and build: a manifest file, a folder holding fleet.yaml, or "-" for
 * standard input (then `file:` references and the lock file are taken from the current folder).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { CompileOptions } from '../pipeline.js';
import type { CliIo } from './context.js';
import { UserError } from './failure.js';

export const MANIFEST_NAME = 'fleet.yaml';
/** How standard input is named in messages (`<stdin>:3:5: error: …`). */
export const STDIN_NAME = '<stdin>';
/**
 * What run() passes to yargs for a lone "-": yargs re-parses positional values and turns "-" into "". A NUL
 * cannot occur in a real command-line argument, so this cannot be a file name.
 */
export const STDIN_ARG = '\u0000stdin';

export interface ManifestArg {
  /** The manifest as messages name it: the path given, the fleet.yaml in the folder given, or <stdin>. */
  path: string;
  /** What compileFleet needs beyond the path when the manifest is not a file. */
  options: Pick<CompileOptions, 'bytes' | 'baseDir' | 'lockfilePath'>;
}

export async function resolveManifestArg(arg: string, io: CliIo): Promise<ManifestArg> {
  if (arg === STDIN_ARG || arg === '-') {
    if (!io.readStdin) throw new UserError('there is no standard input to read the manifest from', 'name the manifest file');
    return { path: STDIN_NAME, options: { bytes: await io.readStdin(), baseDir: '.', lockfilePath: 'fleet.lock.yaml' } };
  }
  if (isFolder(arg)) {
    const inside = join(arg, MANIFEST_NAME);
    if (!isFile(inside)) throw new UserError(`${arg} is a folder with no ${MANIFEST_NAME} in it`, `name the manifest file, or start one there with "fleetgen init ${arg}"`);
    return { path: inside, options: {} };
  }
  return { path: arg, options: {} };
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
