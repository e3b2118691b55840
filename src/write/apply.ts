/**
 * Carrying out a Plan: remove what fleetgen no longer produces, write what is new or changed, leave the rest
 * alone, and record what it wrote — last.
 *
 * Every file is replaced atomically (writeFileAtomic: temp file in the same folder, then rename), so no reader
 * ever sees a half-written file, and a secret's temp file is 0600 from its creation. The plan as a whole is not
 * atomic: a crash (or a full disk) in the middle can leave some files removed, some new and some old, and the
 * state file still the old one (it is written last). That is safe to re-run: the next build compares with the
 * disk, not with the record, so it writes what is still stale; a file removed before the crash is simply gone;
 * a file written before the crash but not yet recorded is overwritten or, if it is no longer produced, left in
 * place (the only leftover a crash can cause — never a file of someone else's).
 */
import { rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { makeFolders } from './folders.js';
import { checkParents, lstatOrUndefined, parentsOf } from './out-path.js';
import { OutputError } from './output-error.js';
import type { Plan } from './plan.js';

/** Throws OutputError (or the file system's error) on the first failure; what was done before it stays done. */
export function applyPlan(plan: Plan, options: { onProgress?: (done: number, total: number) => void } = {}): void {
  const { outDir } = plan;
  // What a killed build left behind (never a file of someone else's: only temp names of files fleetgen writes).
  for (const temp of plan.leftoverTemps) {
    checkParents(outDir, temp);
    rmSync(join(outDir, temp), { force: true });
  }
  const removals = plan.files.filter((f) => f.action === 'remove');
  // Removals first: a file fleetgen no longer produces may stand where a folder is now needed.
  for (const file of removals) removeGeneratedFile(outDir, file.path);

  const writes = plan.files.filter((file) => (file.action === 'add' || file.action === 'change') && file.file !== undefined);
  for (const [i, file] of writes.entries()) {
    if (file.file === undefined) continue;
    const full = join(outDir, file.path);
    makeFolders(dirname(full), 0o755);
    // Again, just before writing: a link may have appeared since the plan was made.
    const [fileInTheWay] = checkParents(outDir, file.path).filesInTheWay;
    if (fileInTheWay !== undefined) throw new OutputError(join(outDir, fileInTheWay), 'is a file, but fleetgen needs a folder there');
    if (lstatOrUndefined(full)?.isSymbolicLink()) throw new OutputError(full, 'is a symbolic link; fleetgen never writes through a link inside the output folder');
    // A mode-only change is a rewrite too: rename never follows a link, chmod would.
    writeFileAtomic(full, file.file.content, { mode: file.file.mode });
    options.onProgress?.(i + 1, writes.length);
  }

  for (const file of removals) removeEmptyParents(outDir, file.path);

  if (plan.state.isChanged) {
    makeFolders(outDir, 0o755);
    writeFileAtomic(plan.state.path, plan.state.content, { mode: 0o644 });
  }
}

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
