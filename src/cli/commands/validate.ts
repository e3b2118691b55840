import type { Argv, CommandModule } from 'yargs';
import { formatDiagnostic, ManifestError, sortDiagnostics, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { compileFleet } from '../../pipeline.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../failure.js';
import { renderJson } from '../json-output.js';
import { frozenLockfileReport } from '../lockfile-drift.js';
import { resolveManifestArg, type ManifestArg } from '../manifest-arg.js';

interface ValidateArgs {
  manifest: string;
  format: 'text' | 'json';
  'frozen-lockfile': boolean;
}

/** The shape `validate --format json` prints (after formatVersion); tools key on `code` of each diagnostic. */
export interface ValidationReport {
  ok: boolean;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** `fleetgen validate <manifest>`: check everything, write nothing (not even the lock file). */
export function validateCommand(context: CommandContext): CommandModule<object, ValidateArgs> {
  return {
    command: 'validate <manifest>',
    describe: "Check a manifest, the files it references and Terraform's saved outputs; print every error and warning. Writes nothing.",
    builder: (yargs: Argv) =>
      yargs
        .positional('manifest', { type: 'string', demandOption: true, describe: 'the fleet manifest (a file, a folder holding fleet.yaml, or - for standard input)' })
        .option('format', { requiresArg: true, choices: ['text', 'json'] as const, default: 'text' as const, describe: 'text for people (on stderr), json for tools (on stdout)' })
        .option('frozen-lockfile', { type: 'boolean', default: false, describe: 'also fail (exit 1) when the lock file is missing or out of date' })
        .example('$0 validate fleet.yaml', 'check the manifest and the secrets it references')
        .example('$0 validate my-fleet', 'the same, for my-fleet/fleet.yaml')
        .example('$0 validate fleet.yaml --format json', 'the same diagnostics as JSON, for tools')
        .example('generate-fleet | $0 validate -', 'check a manifest read from standard input (secrets relative to the current folder)')
        .example('$0 validate fleet.yaml --frozen-lockfile', 'in CI: also fail when fleet.lock.yaml would change'),
    handler: async (args) => {
      const { io } = context;
      const manifest = await resolveManifestArg(args.manifest, io);
      const report = validate(manifest, args['frozen-lockfile'], io.env);
      if (args.format === 'json') {
        io.stdout(renderJson({ ok: report.ok, errors: report.errors, warnings: report.warnings }));
      } else {
        const lines = sortDiagnostics([...report.warnings, ...report.errors]).map(formatDiagnostic);
        lines.push(report.lockfileSummary ?? summary(manifest.path, report));
        io.stderr(lines.join('\n') + '\n');
      }
      context.exitCode = report.exitCode;
    },
  };
}

function validate(
  manifest: ManifestArg,
  isLockFrozen: boolean,
  env: CommandContext['io']['env'],
): ValidationReport & { exitCode: ExitCodeValue; lockfileSummary?: string } {
  try {
    const result = compileFleet(manifest.path, { env, ...manifest.options });
    // Once Terraform's outputs are saved, they are checked as a build of the host targets would use them.
    if (result.hasTerraformOutputs && result.awaitingTerraform.length > 0) {
      return { ok: false, errors: result.awaitingTerraform, warnings: result.warnings, exitCode: ExitCode.invalidInput };
    }
    if (isLockFrozen && result.lockfile.changed) {
      const frozen = frozenLockfileReport(manifest.path, result);
      return { ok: false, errors: frozen.errors, warnings: result.warnings, exitCode: ExitCode.checkFailed, lockfileSummary: frozen.summary };
    }
    return { ok: true, errors: [], warnings: result.warnings, exitCode: ExitCode.ok };
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    return { ...splitDiagnostics(err), exitCode: ExitCode.invalidInput };
  }
}

/** The errors and warnings of a manifest that could not go further, as `--format json` reports them. */
export function splitDiagnostics(err: ManifestError): { ok: false; errors: Diagnostic[]; warnings: Diagnostic[] } {
  return { ok: false, errors: err.diagnostics.filter((d) => d.severity === 'error'), warnings: err.diagnostics.filter((d) => d.severity === 'warning') };
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
