/** out/.fleetgen-state.json exactly as fleetgen wrote it before format 2: an object per file, over five lines or more. */
import { createHash } from 'node:crypto';
import type { OutputState } from '../../src/write/state.js';

export function asVersion1(state: OutputState, contentOf: (path: string) => string | Buffer): string {
  const files = state.files.map((f) => ({
    path: f.path,
    sha256: createHash('sha256').update(contentOf(f.path)).digest('hex'),
    mode: f.mode.toString(8).padStart(4, '0'),
    ...(f.isSecret ? { secret: true } : {}),
    ...(f.isKeptOutOfGit ? { gitignored: true } : {}),
  }));
  const comment =
    'Written by fleetgen: every file it generated in this folder, so that a rebuild removes the ones it no longer produces and never touches any other. Do not edit; commit it with the output.';
  return JSON.stringify({ comment, version: 1, files }, null, 2) + '\n';
}
