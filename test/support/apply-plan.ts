/**
 * Carrying out a Plan (planOutput, what `build --check` and `--dry-run` compare) the simple way, for the tests of
 * planOutput: remove what fleetgen no longer produces, write what is new or changed (each file atomically), leave the
 * rest alone, and record what it wrote, last. `fleetgen build` itself writes through buildIntoOut (incremental.ts),
 * which also keeps every clear-text file listed by the .gitignore on disk while it puts files in place; this does not.
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removeEmptyParents, removeGeneratedFile } from '../../src/write/apply.js';
import { writeFileAtomic } from '../../src/write/atomic.js';
import { makeFolders } from '../../src/write/folders.js';
import { checkParents, lstatOrUndefined } from '../../src/write/out-path.js';
import { OutputError } from '../../src/write/output-error.js';
import type { Plan } from '../../src/write/plan.js';

/** Throws OutputError (or the file system's error) on the first failure; what was done before it stays done. */
export function applyPlan(plan: Plan): void {
  const { outDir } = plan;
  // What a killed build left behind (never a file of someone else's: only temp names of files fleetgen writes).
  for (const temp of plan.leftoverTemps) {
    checkParents(outDir, temp);
    rmSync(join(outDir, temp), { recursive: true, force: true });
  }
  const removals = plan.files.filter((f) => f.action === 'remove');
  // Removals first: a file fleetgen no longer produces may stand where a folder is now needed.
  for (const file of removals) removeGeneratedFile(outDir, file.path);

  const writes = plan.files.filter((file) => (file.action === 'add' || file.action === 'change') && file.file !== undefined);
  for (const file of writes) {
    if (file.file === undefined) continue;
    const full = join(outDir, file.path);
    makeFolders(dirname(full), 0o755);
    // Again, just before writing: a link may have appeared since the plan was made.
    const [fileInTheWay] = checkParents(outDir, file.path).filesInTheWay;
    if (fileInTheWay !== undefined) throw new OutputError(join(outDir, fileInTheWay), 'is a file, but fleetgen needs a folder there');
    if (lstatOrUndefined(full)?.isSymbolicLink()) throw new OutputError(full, 'is a symbolic link; fleetgen never writes through a link inside the output folder');
    // A mode-only change is a rewrite too: rename never follows a link, chmod would.
    writeFileAtomic(full, file.file.content, { mode: file.file.mode });
  }

  for (const file of removals) removeEmptyParents(outDir, file.path);

  if (plan.state.isChanged) {
    makeFolders(outDir, 0o755);
    writeFileAtomic(plan.state.path, plan.state.content, { mode: 0o644 });
  }
}

