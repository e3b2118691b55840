/** A target's FileSet written to a fresh temp folder with its modes, as `fleetgen build` would write it. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import type { FileSet } from '../../src/targets/fileset.js';

const written: string[] = [];
afterAll(() => {
  for (const dir of written.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes every file of `files` below a new temp folder (removed after the test file) and returns the folder. */
export function writeFileSetToTemp(files: FileSet, prefix = 'fleetgen-out-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  written.push(dir);
  for (const file of files.list()) {
    const path = join(dir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content, { mode: file.mode });
  }
  return dir;
}
