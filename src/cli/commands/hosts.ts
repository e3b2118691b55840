import type { Argv, CommandModule } from 'yargs';
import { formatDiagnostic } from '../../diagnostics/diagnostic.js';
import { compileFleet } from '../../pipeline.js';
import { writeFileAtomic } from '../../write/atomic.js';
import type { CommandContext } from '../context.js';
import { ExitCode, UserError } from '../failure.js';
import { hostReports, renderHostsTable } from '../hosts-report.js';
import { frozenLockfileReport } from '../lockfile-drift.js';

interface HostsArgs {
  manifest: string;
  format: 'table' | 'json';
  'frozen-lockfile': boolean;
}

/** `fleetgen hosts <manifest>`: every host with its hostnames and services; records generated hostnames in the lock. */
export function hostsCommand(context: CommandContext): CommandModule<object, HostsArgs> {
  return {
    command: 'hosts <manifest>',
    describe: 'List hosts with their group, tunnel mode, and which hostname goes to which service. Writes the lock file when generated hostnames are new.',
    builder: (yargs: Argv) =>
      yargs
        .positional('manifest', { type: 'string', demandOption: true, describe: 'the fleet manifest, e.g. fleet.yaml' })
        .option('format', { choices: ['table', 'json'] as const, default: 'table' as const, describe: 'table for people, json for tools' })
        .option('frozen-lockfile', { type: 'boolean', default: false, describe: 'never write the lock file: fail (exit 1) when it is missing or out of date' }),
    handler: (args) => {
      const { io } = context;
      const result = compileFleet(args.manifest, { env: io.env });
      const notes = result.warnings.map(formatDiagnostic);

      if (result.lockfile.changed && args['frozen-lockfile']) {
        const frozen = frozenLockfileReport(args.manifest, result);
        io.stderr([...notes, ...frozen.errors.map(formatDiagnostic), frozen.summary].join('\n') + '\n');
        context.exitCode = ExitCode.checkFailed;
        return;
      }
      if (result.lockfile.changed) {
        try {
          writeFileAtomic(result.lockfile.path, result.lockfile.content, { mode: 0o644 });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? String(err);
          throw new UserError(`cannot write the lock file ${result.lockfile.path} (${code})`, 'check that its folder exists and is writable');
        }
        notes.push(`fleetgen: updated ${result.lockfile.path}; commit it so generated hostnames stay stable`);
      }

      const reports = hostReports(result.fleet);
      io.stdout(args.format === 'json' ? JSON.stringify(reports, null, 2) + '\n' : renderHostsTable(reports));
      if (notes.length > 0) io.stderr(notes.join('\n') + '\n');
    },
  };
}
