import type { Argv, CommandModule } from 'yargs';
import { formatDiagnostic, ManifestError, sortDiagnostics, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { compileFleet } from '../../pipeline.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../failure.js';
import { frozenLockfileReport } from '../lockfile-drift.js';

interface ValidateArgs {
  manifest: string;
  format: 'text' | 'json';
  'frozen-lockfile': boolean;
}

/** The shape `validate --format json` prints; tools key on `code` of each diagnostic. */
export interface ValidationReport {
  ok: boolean;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** `fleetgen validate <manifest>`: check everything, write nothing (not even the lock file). */
export function validateCommand(context: CommandContext): CommandModule<object, ValidateArgs> {
  return {
    command: 'validate <manifest>',
    describe: 'Check a manifest and the files it references; print every error and warning. Writes nothing.',
    builder: (yargs: Argv) =>
      yargs
        .positional('manifest', { type: 'string', demandOption: true, describe: 'the fleet manifest, e.g. fleet.yaml' })
        .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'text for people (on stderr), json for tools (on stdout)' })
        .option('frozen-lockfile', { type: 'boolean', default: false, describe: 'also fail (exit 1) when the lock file is missing or out of date' }),
    handler: (args) => {
      const { io } = context;
      const report = validate(args.manifest, args['frozen-lockfile'], io.env);
      if (args.format === 'json') {
        io.stdout(JSON.stringify({ ok: report.ok, errors: report.errors, warnings: report.warnings }, null, 2) + '\n');
      } else {
        const lines = sortDiagnostics([...report.warnings, ...report.errors]).map(formatDiagnostic);
        lines.push(report.lockfileSummary ?? summary(args.manifest, report));
        io.stderr(lines.join('\n') + '\n');
      }
      context.exitCode = report.exitCode;
    },
  };
}

function validate(
  manifest: string,
  isLockFrozen: boolean,
  env: CommandContext['io']['env'],
): ValidationReport & { exitCode: ExitCodeValue; lockfileSummary?: string } {
  try {
    const result = compileFleet(manifest, { env });
    if (isLockFrozen && result.lockfile.changed) {
      const frozen = frozenLockfileReport(manifest, result);
      return { ok: false, errors: frozen.errors, warnings: result.warnings, exitCode: ExitCode.checkFailed, lockfileSummary: frozen.summary };
    }
    return { ok: true, errors: [], warnings: result.warnings, exitCode: ExitCode.ok };
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    return {
      ok: false,
      errors: err.diagnostics.filter((d) => d.severity === 'error'),
      warnings: err.diagnostics.filter((d) => d.severity === 'warning'),
      exitCode: ExitCode.invalidInput,
    };
  }
}

function summary(manifest: string, report: ValidationReport): string {
  const counts = [report.errors.length > 0 ? plural(report.errors.length, 'error') : '', report.warnings.length > 0 ? plural(report.warnings.length, 'warning') : '']
    .filter(Boolean)
    .join(', ');
  if (report.ok) return `${manifest}: valid${counts ? ` (${counts})` : ''}`;
  return `${manifest}: not valid (${counts})`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
