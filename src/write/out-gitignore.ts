/**
 * out/.gitignore: keeps the temp files of an interrupted build out of git, in every folder of out/ whatever the
 * target, the record's own included. A build killed between writing a file's temp copy and renaming it into place
 * (atomic.ts) leaves the copy until the next build removes it; the target folders' .gitignore files list the
 * clear-text secrets by name, which their temp copies do not match, so without this `git add out/` would stage a
 * secret. The same pattern matches the temp folder of a folder a build makes whole (incremental.ts, StagedWriter),
 * and git then looks at nothing inside it: its files keep their own names there, a .gitignore among them.
 * fleetgen writes it (and records it) as it writes the record: it belongs to no target. (Its text stays as it was
 * before temp folders: an out/ whose record is lost is still recognised as fleetgen's, checkOutGitignoreIsOurs.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_GITIGNORE_LINE } from '../targets/gitignore.js';
import type { GeneratedFile } from '../targets/fileset.js';
import { TEMP_NAME_PATTERN } from './atomic.js';
import { lstatOrUndefined } from './out-path.js';
import { OutputError } from './output-error.js';
import type { RecordedFile } from './state.js';

export const OUT_GITIGNORE = '.gitignore';

const CONTENT = [GENERATED_GITIGNORE_LINE, '# Temp files an interrupted build leaves beside its files, in every folder (a clear-text secret\'s copy among them); the next build removes them.', TEMP_NAME_PATTERN, ''].join('\n');

export function outGitignoreFile(): GeneratedFile {
  return { path: OUT_GITIGNORE, content: CONTENT, mode: 0o644, isSecret: false, isKeptOutOfGit: false };
}

/**
 * A .gitignore in out/ that fleetgen did not write (not in its record: `recorded`, its entry there, if any; and not
 * what fleetgen writes there) holds the
 * user's own rules: a build would replace them. Refused before anything is written, so that nothing is lost.
 */
export function checkOutGitignoreIsOurs(outDir: string, recorded: RecordedFile | undefined): void {
  if (recorded !== undefined) return;
  const full = join(outDir, OUT_GITIGNORE);
  const stat = lstatOrUndefined(full);
  if (stat === undefined || !stat.isFile()) return; // none (it is added), or a link or folder: refused where the file goes
  if (stat.size === Buffer.byteLength(CONTENT) && readFileSync(full, 'utf8') === CONTENT) return;
  throw new OutputError(
    full,
    'holds rules fleetgen did not write, and fleetgen keeps its own .gitignore there (git ignores the temp files of an interrupted build with it)',
    'move your rules into the .gitignore of the folder above out/ (each path with out/ in front), then remove this file',
  );
}
