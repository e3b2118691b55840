/**
 * What a user commits of out/, per host: the files `git add out/` stages in a fresh repository, as git itself lists
 * them (`ls-files --others --exclude-standard`), so that the .gitignore files the build writes (user-data, clear-text
 * secrets) and the build cache's own decide exactly as in the user's repository; fleetgen's record is in.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Size {
  /** Bytes of content per host. */
  bytes: number;
  /** Bytes on disk per host (whole blocks). */
  diskBytes: number;
}

export interface Committed {
  all: Size;
  /** out/chef + out/ansible: what issue 10's ≤ 2 KB per host is about. */
  chefAndAnsible: Size;
  /** By the first part of the path under out/ (a target's folder, or a file of out/'s own: the record, .gitignore), sorted. */
  byFolder: Map<string, Size>;
}

/** `dir` holds `out/` and is not inside a git repository; it becomes one (nothing is added or committed). */
export async function committedPerHost(dir: string, hosts: number): Promise<Committed> {
  // No configuration of this machine's (a global excludes file) may change what counts.
  const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  await run('git', ['init', '--quiet', dir], { env });
  const { stdout } = await run('git', ['-C', dir, 'ls-files', '--others', '--exclude-standard', '-z', '--', 'out'], { env, maxBuffer: 256 * 1024 * 1024 });
  const byFolder = new Map<string, { size: number; blocks: number }[]>();
  for (const path of stdout.split('\0').filter(Boolean)) {
    const folder = path.split('/')[1] ?? '';
    const stat = statSync(join(dir, path));
    const files = byFolder.get(folder);
    if (files) files.push(stat);
    else byFolder.set(folder, [stat]);
  }
  const of = (folders: readonly string[]): Size => {
    const files = folders.flatMap((folder) => byFolder.get(folder) ?? []);
    return { bytes: files.reduce((sum, f) => sum + f.size, 0) / hosts, diskBytes: files.reduce((sum, f) => sum + f.blocks * 512, 0) / hosts };
  };
  const folders = [...byFolder.keys()].sort();
  return { all: of(folders), chefAndAnsible: of(['chef', 'ansible']), byFolder: new Map(folders.map((folder) => [folder, of([folder])])) };
}
