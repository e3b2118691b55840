import { join } from 'node:path';
import { REPO } from '../cli/fleetgen.js';
import { runCommand } from './run-command.js';

/**
 * Runs the built CLI (dist/src/cli/run.js) with `args` in a fresh Node process, and tells its exit code and which
 * modules matching `pattern` it loaded (ESM imports of CommonJS packages go through require's cache too). Throws
 * when the process wrote to stderr.
 */
export async function modulesLoadedBy(args: readonly string[], pattern: RegExp): Promise<{ code: number; loaded: string[] }> {
  const cli = JSON.stringify(join(REPO, 'dist', 'src', 'cli', 'run.js'));
  const probe = [
    `const { run } = await import(${cli});`,
    `const code = await run(${JSON.stringify(['node', 'fleetgen', ...args])}, { stdout() {}, stderr() {}, env: {} });`,
    "const { createRequire } = await import('node:module');",
    `const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => ${pattern.toString()}.test(path));`,
    'console.log(JSON.stringify({ code, loaded }));',
  ].join('\n');
  const result = await runCommand(process.execPath, ['--input-type=module', '-e', probe], { cwd: REPO, timeoutMs: 60_000 });
  if (result.stderr !== '') throw new Error(`the probe wrote to stderr: ${result.stderr}`);
  return JSON.parse(result.stdout) as { code: number; loaded: string[] };
}
