import type { EarlyStatAhead } from './early-start.js';
import type { ExitCodeValue } from './failure.js';

/** The process around a command: where it prints and what environment it reads. Tests pass their own. */
export interface CliIo {
  /** Writes to standard output. A command prints its whole result in one call, so output is never half-written. */
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Reads standard input to its end (for a manifest given as "-"); absent where there is none. */
  readStdin?: () => Promise<Buffer>;
  /** Shows (or, with undefined, clears) a status line on stderr; present only when stderr is a terminal. */
  status?: (text: string | undefined) => void;
}

/** What a command handler gets, and where it leaves its exit code (thrown errors are mapped in failure.ts). */
export interface CommandContext {
  io: CliIo;
  exitCode: ExitCodeValue;
  /** The stat-ahead thread main.ts started before parsing the command line (early-start.ts): `build` takes it or closes it. */
  early?: EarlyStatAhead;
}
