/**
 * The CLI tests run the built bin (dist/src/cli/main.js, bundled), as a user would. `npm test` builds before vitest;
 * this builds once more (tsc, then scripts/after-tsc.mjs) only when the sources are newer than the build
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
  // The rest of `npm run build` (scripts/after-tsc.mjs): the precompiled schema validator and templates the bin loads
  // (without them, it compiles them itself), and the bin bundled with the modules it loads, which the CLI tests run.
  const rest = await runCommand(process.execPath, [join(REPO, 'scripts', 'after-tsc.mjs')], { cwd: REPO, timeoutMs: 300_000 });
  if (rest.status !== 0) throw new Error(`scripts/after-tsc.mjs failed:\n${rest.stdout}${rest.stderr}`);
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
