/**
 * Runs a child process without blocking the test worker. spawnSync/execSync freeze the worker's event loop for as
 * long as the child runs, so vitest's RPC from that worker (task updates, console output) cannot be answered and
 * a loaded machine turns a green run red with `Timeout calling "onTaskUpdate"`. Every test that runs a tool uses
 * this instead: the same exit status, signal and output spawnSync would give, as a promise.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  /** The exit status; null when the process was killed (see signal). */
  status: number | null;
  /** Set when the process was killed, e.g. by the timeout: a hang. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the child's standard input, which is then closed (it is closed at once when there is none). */
  input?: string | Buffer;
  /** A hang is a failure: the child gets SIGTERM after this long (default 30 s). */
  timeoutMs?: number;
  /** More output than this on stdout or stderr kills the child and fails the run (default 64 MiB). */
  maxBufferBytes?: number;
  /** What to install when the command is missing, for the error message (e.g. "apt-get install ruby"). */
  installHint?: string;
}

/**
 * Runs `command args…` to its end and resolves with its status, signal and output, whatever the status (a
 * non-zero exit is often what a test expects). Rejects only when the command cannot run at all (missing: a
 * failure, never a skip) or prints more than maxBufferBytes.
 */
export function runCommand(command: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const maxBuffer = options.maxBufferBytes ?? 64 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 30_000,
      killSignal: 'SIGTERM',
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let sizes = { stdout: 0, stderr: 0 };
    let failure: Error | undefined;
    const collect = (name: 'stdout' | 'stderr', chunks: Buffer[]) => (chunk: Buffer) => {
      sizes = { ...sizes, [name]: sizes[name] + chunk.length };
      if (sizes[name] > maxBuffer) {
        failure ??= new Error(`${command} printed more than ${maxBuffer} bytes on ${name}`);
        child.kill('SIGKILL');
        return;
      }
      chunks.push(chunk);
    };
    child.stdout.on('data', collect('stdout', stdout));
    child.stderr.on('data', collect('stderr', stderr));
    child.on('error', (error: NodeJS.ErrnoException) => {
      const hint = options.installHint ? `; install it: ${options.installHint}` : '';
      failure ??= new Error(error.code === 'ENOENT' ? `${command} is not installed${hint}` : `${command} could not run (${error.message})${hint}`);
      // A failed spawn emits 'error' and then 'close'; settle on 'close' so the streams are done.
    });
    // A child that exits without reading its input closes the pipe: that is not the test's failure.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input);
    child.on('close', (status, signal) => {
      if (failure) reject(failure);
      else resolve({ status, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}
