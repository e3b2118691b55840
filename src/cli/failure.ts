/**
 * How every way a run can end maps to an exit code and a message. Kept apart from yargs and from the commands
 * so that the mapping itself is tested directly (an internal error cannot be provoked from outside on purpose).
 */
import { formatDiagnostic, hasErrors, InternalError, ManifestError } from '../diagnostics/diagnostic.js';

export const ExitCode = {
  ok: 0,
  /** A check failed: --frozen-lockfile found the lock out of date (later: build --check found out/ stale). */
  checkFailed: 1,
  /** The manifest, a referenced file or the command line is wrong. Nothing was written. */
  invalidInput: 2,
  /** A bug in fleetgen. */
  internalError: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake the user can fix that is not in the manifest: a bad command line, a file init would overwrite. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** The command line did not parse (unknown command or option, missing argument), said in our words. */
export class UsageError extends UserError {
  constructor(message: string, hint = 'run "fleetgen --help" for usage') {
    super(message, hint);
    this.name = 'UsageError';
  }
}

export interface Failure {
  exitCode: ExitCodeValue;
  /** What to print on stderr, newline-terminated. */
  text: string;
}

/** The exit code and the stderr text for anything a command threw. Never a stack trace unless `debug`. */
export function explainFailure(err: unknown, options: { debug: boolean }): Failure {
  if (err instanceof ManifestError) {
    const errors = err.diagnostics.filter((d) => d.severity === 'error').length;
    const lines = err.diagnostics.map(formatDiagnostic);
    if (hasErrors(err.diagnostics)) lines.push(`fleetgen: ${errors} ${errors === 1 ? 'error' : 'errors'}; nothing was written`);
    return { exitCode: ExitCode.invalidInput, text: lines.join('\n') + '\n' };
  }
  if (err instanceof UserError) {
    const hint = err.hint ? ` — ${err.hint}` : '';
    return { exitCode: ExitCode.invalidInput, text: `fleetgen: ${err.message}${hint}\n` };
  }
  const message = err instanceof Error ? err.message : String(err);
  const kind = err instanceof InternalError ? 'internal error' : 'internal error (unexpected exception)';
  const lines = [`fleetgen: ${kind}: ${message}`, 'This is a bug in fleetgen, not in your manifest: please report it.'];
  if (options.debug && err instanceof Error && err.stack) lines.push(err.stack);
  else lines.push('Set FLEETGEN_DEBUG=1 to print the stack trace.');
  return { exitCode: ExitCode.internalError, text: lines.join('\n') + '\n' };
}
