/** Runs the built fleetgen bin in a child process, as a user would, and gives tests throwaway folders. */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { runCommand, type CommandResult } from '../support/run-command.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(REPO, 'dist', 'src', 'cli', 'main.js');
export const EXAMPLE_DIR = join(REPO, 'fixtures', 'example');

export type CliResult = CommandResult;

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** A hang is a failure: the child is killed after this long. */
  timeoutMs?: number;
}

/** Runs `fleetgen args…` to its end (never blocking the test worker); the status tells how it went. */
export function fleetgen(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  if (!options.env || !('FLEETGEN_DEBUG' in options.env)) delete env.FLEETGEN_DEBUG;
  return runCommand(process.execPath, [BIN, ...args], { cwd: options.cwd ?? REPO, env, timeoutMs: options.timeoutMs ?? 20_000 });
}

/** A stack trace line, as Node prints them. */
export const STACK_FRAME = /^\s+at /m;

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder, removed after the test file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-test-'));
  made.push(dir);
  return dir;
}

/** A copy of the bundled example (manifest and fake secrets), with or without its lock file. */
export function copyExample(options: { withLock: boolean }): string {
  const dir = tempDir();
  cpSync(EXAMPLE_DIR, dir, { recursive: true, filter: (source) => options.withLock || !source.endsWith('fleet.lock.yaml') });
  return dir;
}
