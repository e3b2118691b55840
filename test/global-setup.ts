/**
 * The CLI tests run the built bin (dist/src/cli/main.js, bundled), as a user would. `npm test` builds before vitest;
 * this builds once more (tsc, then the precompiled schema validator and templates) only when the sources are newer than the build
 * (e.g. `npx vitest run` after an edit).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from './support/run-command.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const BUILT_BIN = join(REPO, 'dist', 'src', 'cli', 'main.js');
const SOURCES = ['src', 'schemas', 'generators', 'tsconfig.json', 'package.json'];

export default async function setup(): Promise<void> {
  if (builtAt() >= newestSource()) return;
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await runCommand(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: REPO, timeoutMs: 300_000 });
  // tsc emits despite type errors; those fail `npm run build` (the first step of `npm test`), not the CLI tests.
  if (result.status !== 0 && builtAt() < 0) throw new Error(`the build failed (tsc -p tsconfig.json):\n${result.stdout}${result.stderr}`);
  if (result.status !== 0) console.warn(`tsc reported errors; the CLI tests run the JavaScript it emitted:\n${result.stdout}`);
  // The second step of `npm run build`: the precompiled schema validator the bin loads (without it, the bin compiles the schema).
  // And its third: the precompiled templates (without them, each run compiles the templates it renders). And its last:
  // the bin bundled with the modules it loads (scripts/bundle-cli.mjs), which the CLI tests run.
  for (const script of ['compile-schema.mjs', 'precompile-templates.mjs', 'bundle-cli.mjs']) {
    const step = await runCommand(process.execPath, [join(REPO, 'scripts', script)], { cwd: REPO, timeoutMs: 120_000 });
    if (step.status !== 0) throw new Error(`scripts/${script} failed:\n${step.stdout}${step.stderr}`);
  }
}

function builtAt(): number {
  try {
    return statSync(BUILT_BIN).mtimeMs;
  } catch {
    return -1;
  }
}

function newestSource(): number {
  let newest = 0;
  const visit = (path: string): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const source of SOURCES) visit(join(REPO, source));
  return newest;
}
