/** Runs the built fleetgen bin in a child process, as a user would, and gives tests throwaway folders. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(REPO, 'dist', 'src', 'cli', 'main.js');
export const EXAMPLE_DIR = join(REPO, 'fixtures', 'example');

export interface CliResult {
  status: number | null;
  /** Set when the process was killed, e.g. by the timeout: a hang. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** A hang is a failure: the child is killed after this long. */
  timeoutMs?: number;
}

export function fleetgen(args: readonly string[], options: CliOptions = {}): CliResult {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  if (!options.env || !('FLEETGEN_DEBUG' in options.env)) delete env.FLEETGEN_DEBUG;
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 20_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error && (result.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw result.error;
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
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
