import type { Argv, CommandModule } from 'yargs';
import { formatDiagnostic, ManifestError } from '../../diagnostics/diagnostic.js';
import { compileFleet, type CompileResult } from '../../pipeline.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../failure.js';
import { hostReports, renderHostsTable } from '../hosts-report.js';
import { renderJson } from '../json-output.js';
import { frozenLockfileReport, writeChangedLockfile } from '../lockfile-drift.js';
import { resolveManifestArg } from '../manifest-arg.js';
import { splitDiagnostics } from './validate.js';

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
        .positional('manifest', { type: 'string', demandOption: true, describe: 'the fleet manifest (a file, a folder holding fleet.yaml, or - for standard input)' })
        .option('format', { requiresArg: true, choices: ['table', 'json'] as const, default: 'table' as const, describe: 'table for people, json for tools (errors too, as validate --format json prints them)' })
        .option('frozen-lockfile', { type: 'boolean', default: false, describe: 'never write the lock file: fail (exit 1) when it is missing or out of date' })
        .example('$0 hosts fleet.yaml', 'every host with its hostnames; records generated ones in fleet.lock.yaml')
        .example('$0 hosts fleet.yaml --format json', 'the same for tools: {"formatVersion": 1, "ok": true, "hosts": [...]}')
        .example('$0 hosts fleet.yaml --frozen-lockfile', 'in CI: fail instead of changing fleet.lock.yaml'),
    handler: async (args) => {
      const { io } = context;
      const isJson = args.format === 'json';
      const manifest = await resolveManifestArg(args.manifest, io);
      let result: CompileResult;
      try {
        result = compileFleet(manifest.path, { env: io.env, ...manifest.options });
      } catch (err) {
        if (!(err instanceof ManifestError) || !isJson) throw err;
        io.stdout(renderJson(splitDiagnostics(err)));
        context.exitCode = ExitCode.invalidInput;
        return;
      }
      const notes = result.warnings.map(formatDiagnostic);

      if (result.lockfile.changed && args['frozen-lockfile']) {
        const frozen = frozenLockfileReport(manifest.path, result);
        if (isJson) io.stdout(renderJson({ ok: false, errors: frozen.errors, warnings: result.warnings }));
        else io.stderr([...notes, ...frozen.errors.map(formatDiagnostic), frozen.summary].join('\n') + '\n');
        context.exitCode = ExitCode.checkFailed;
        return;
      }
      const lockNote = writeChangedLockfile(result.lockfile);
      if (lockNote !== undefined) notes.push(lockNote);

      const reports = hostReports(result.fleet);
      io.stdout(isJson ? renderJson({ ok: true, hosts: reports, warnings: result.warnings }) : renderHostsTable(reports));
      if (notes.length > 0) io.stderr(notes.join('\n') + '\n');
    },
  };
}
