/**
 * Removing what fleetgen no longer produces: a file it generated earlier (only while it is still a regular file),
 * then the folders that held only such files. (`fleetgen build` writes through incremental.ts.)
 */
import { rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { checkParents, lstatOrUndefined, parentsOf } from './out-path.js';

/** A file fleetgen generated earlier and no longer produces: removed when it is still a regular file. */
export function removeGeneratedFile(outDir: string, path: string): void {
  checkParents(outDir, path);
  const full = join(outDir, path);
  const stat = lstatOrUndefined(full);
  if (stat === undefined || !stat.isFile()) return;
  unlinkSync(full);
}

/**
 * Folders that held only generated files and are empty now (e.g. host_vars/<removed host>/). Folders that still
 * hold anything — a user's own file included — stay; out/ itself always stays.
 */
export function removeEmptyParents(outDir: string, path: string): void {
  for (const parent of parentsOf(path).reverse()) {
    const full = join(outDir, parent);
    const stat = lstatOrUndefined(full);
    if (stat === undefined) continue;
    if (!stat.isDirectory()) return;
    try {
      rmdirSync(full);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return;
      throw err;
    }
  }
}
