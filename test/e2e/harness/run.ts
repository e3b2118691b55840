/**
 * Running commands on the machine for the end-to-end harness: every failure says what ran, its exit status and
 * what it printed, so a broken step reads as a message instead of a bare non-zero exit.
 */
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** A hang is a failure: the command is killed after this long. */
  timeoutMs?: number;
  /** Exit statuses that are not failures (default: only 0). */
  okStatuses?: number[];
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    super(`${describeArgv(argv)} ${result.signal ? `was killed by ${result.signal}` : `exited with status ${result.status}`}${printed(result)}`);
    this.name = 'CommandError';
  }
}

function printed(result: RunResult): string {
  const parts: string[] = [];
  if (result.stdout.trim()) parts.push(`stdout:\n${tail(result.stdout)}`);
  if (result.stderr.trim()) parts.push(`stderr:\n${tail(result.stderr)}`);
  return parts.length > 0 ? `\n${parts.join('\n')}` : '';
}

/** The last lines of long output: the end is where a failure explains itself. */
export function tail(text: string, lines = 60): string {
  const all = text.trimEnd().split('\n');
  return (all.length > lines ? [`… (${all.length - lines} lines before)`, ...all.slice(-lines)] : all).join('\n');
}

export function describeArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

const syncOptions = (options: RunOptions): SpawnSyncOptions => ({
  cwd: options.cwd,
  env: options.env ?? process.env,
  input: options.input,
  timeout: options.timeoutMs ?? 120_000,
  maxBuffer: 256 * 1024 * 1024,
  encoding: 'utf8',
});

/** Runs a command to completion (blocking); throws CommandError unless it exits with an allowed status. */
export function runSync(argv: readonly string[], options: RunOptions = {}): RunResult {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('runSync: empty argv');
  const r = spawnSync(command, args, syncOptions(options));
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw new Error(`cannot run ${describeArgv(argv)}: ${r.error.message}`);
  const result: RunResult = { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  if (result.status === null || !(options.okStatuses ?? [0]).includes(result.status)) throw new CommandError(argv, result);
  return result;
}

/** Like runSync but never throws on the exit status: for commands whose status is the answer. */
export function trySync(argv: readonly string[], options: RunOptions = {}): RunResult {
  try {
    return runSync(argv, { ...options, okStatuses: Array.from({ length: 256 }, (_, i) => i) });
  } catch (err) {
    if (err instanceof CommandError) return err.result;
    throw err;
  }
}

/**
 * Runs a command without blocking the event loop (Ansible, debootstrap: minutes, with output worth streaming to a
 * log). Resolves with the result whatever the status; `onOutput` sees output as it arrives.
 */
export function runAsync(argv: readonly string[], options: RunOptions & { onOutput?: (chunk: string) => void } = {}): Promise<RunResult> {
  const [command, ...args] = argv;
  if (command === undefined) return Promise.reject(new Error('runAsync: empty argv'));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onOutput?.(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onOutput?.(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${describeArgv(argv)}: ${err.message}`));
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Blocks the thread for `ms` (usable in signal handlers and synchronous cleanup, where nothing else may run). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
