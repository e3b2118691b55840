/** What `git add out/` would stage, as git itself decides it (the .gitignore files honoured). */
import { expect } from 'vitest';
import { runCommand } from './run-command.js';

/**
 * `dir` holds `out/` and is not inside a repository; it becomes one (nothing is added). The paths under out/ that
 * `git add out/` would stage, sorted; no configuration of this machine's (a global excludes file) counts.
 */
export async function stagedByGitAdd(dir: string): Promise<string[]> {
  const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  expect((await runCommand('git', ['init', '--quiet', dir], { env })).status).toBe(0);
  const listed = await runCommand('git', ['-C', dir, 'ls-files', '--others', '--exclude-standard', '-z', '--', 'out'], { env });
  expect(listed.status, listed.stderr).toBe(0);
  return listed.stdout.split('\0').filter((path) => path !== '').map((path) => path.slice('out/'.length)).sort();
}
