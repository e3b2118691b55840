/**
 * out/.gitignore: keeps the temp files of an interrupted build out of git, in every folder of out/ whatever the
 * target, the record's own included. A build killed between writing a file's temp copy and renaming it into place
 * (atomic.ts) leaves the copy until the next build removes it; the target folders' .gitignore files list the
 * clear-text secrets by name, which their temp copies do not match, so without this `git add out/` would stage a
 * secret. fleetgen writes it (and records it) as it writes the record: it belongs to no target.
 */
import { GENERATED_GITIGNORE_LINE } from '../targets/gitignore.js';
import type { GeneratedFile } from '../targets/fileset.js';
import { TEMP_NAME_PATTERN } from './atomic.js';

export const OUT_GITIGNORE = '.gitignore';

const CONTENT = [GENERATED_GITIGNORE_LINE, '# Temp files an interrupted build leaves beside its files, in every folder (a clear-text secret\'s copy among them); the next build removes them.', TEMP_NAME_PATTERN, ''].join('\n');

export function outGitignoreFile(): GeneratedFile {
  return { path: OUT_GITIGNORE, content: CONTENT, mode: 0o644, isSecret: false, isKeptOutOfGit: false };
}
