/** The fleetgen command line: parses arguments, runs one command, and turns every outcome into an exit code. */
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { packageVersion } from '../package-root.js';
import { buildCommand } from './commands/build.js';
import { completionCommand } from './commands/completion.js';
import { hostsCommand } from './commands/hosts.js';
import { initCommand } from './commands/init.js';
import { schemaCommand } from './commands/schema.js';
import { validateCommand } from './commands/validate.js';
import type { CliIo, CommandContext } from './context.js';
import type { EarlyStatAhead } from './early-start.js';
import { STDIN_ARG } from './manifest-arg.js';
import { terminalStatus } from './progress.js';
import { describeCommands, explainUsage } from './usage.js';
import { ExitCode, explainFailure, UsageError, type ExitCodeValue } from './failure.js';

const EXIT_CODES = `Exit codes:
  0  ok (warnings are allowed)
  1  a check failed: build --check found out/ stale, or --frozen-lockfile a stale lock file
  2  invalid input: the manifest, a file it references, or the command line; nothing was written
  3  internal error in fleetgen: please report it (FLEETGEN_DEBUG=1 prints the stack trace)`;

export function processIo(): CliIo {
  // A reader that stops early (`fleetgen hosts fleet.yaml | head`) is not fleetgen's error: no stack trace for it.
  process.stdout.once('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    ...(process.stderr.isTTY ? { status: terminalStatus(process.stderr) } : {}),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

/** Runs fleetgen with a full argv (node, script, arguments…) and returns the exit code; never exits the process. */
export async function run(argv: readonly string[], io: CliIo = processIo(), early?: EarlyStatAhead): Promise<ExitCodeValue> {
  const context: CommandContext = { io, exitCode: ExitCode.ok, ...(early ? { early } : {}) };
  try {
    const args = hideBin([...argv]).map((arg) => (arg === '-' ? STDIN_ARG : arg));
    await parser(args, context).parseAsync();
    return context.exitCode;
  } catch (err) {
    const failure = explainFailure(err, { debug: io.env.FLEETGEN_DEBUG === '1' });
    io.stderr(failure.text);
    return failure.exitCode;
  } finally {
    // Not taken by a build (another command, a usage error, another --out): closed all the same (closing twice is nothing).
    early?.statAhead.close();
  }
}

/**
 * yargs renders the whole help text after every command's handler, to show it should the handler fail; with a
 * .fail() handler (ours, below) it never shows it, and rendering it took about 60 ms of every run. Reached through
 * yargs' internal methods, so it is skipped only where they are as expected (yargs 18).
 */
function skipHelpRendering(instance: unknown): void {
  const usage = (instance as { getInternalMethods?: () => { getUsageInstance?: () => unknown } }).getInternalMethods?.().getUsageInstance?.();
  if (typeof usage === 'object' && usage !== null && typeof (usage as { cacheHelpMessage?: unknown }).cacheHelpMessage === 'function') {
    (usage as { cacheHelpMessage: () => void }).cacheHelpMessage = () => undefined;
  }
}

function parser(args: string[], context: CommandContext) {
  const commands = [
    validateCommand(context),
    hostsCommand(context),
    buildCommand(context),
    schemaCommand(context),
    initCommand(context),
    completionCommand(context),
  ] as CommandModule[];
  // The name is the first word of the command as typed (describeCommands, which runs every command's builder to list
  // its options, is needed only to explain a mistake).
  const names = commands.map((command) => String(command.command).split(' ')[0] ?? '');
  const instance = yargs(args);
  skipHelpRendering(instance);
  return instance
    .scriptName('fleetgen')
    .usage('$0 <command> [options]\n\nCompile a fleet manifest into Chef, Ansible and cloud-init artifacts for Cloudflare Tunnel and Access SSH.')
    .locale('en')
    .command(commands)
    .demandCommand(1, `name a command: ${names.join(', ')}`)
    .strict()
    // The shell scripts of `fleetgen completion` ask for candidates with --get-yargs-completions; yargs' own
    // script command stays hidden (ours names the shell).
    .completion('__yargs-completion', false)
    .example('$0 init my-fleet', 'start a fleet: my-fleet/fleet.yaml and my-fleet/secrets/')
    .example('$0 validate fleet.yaml', 'check the manifest and the secrets it references')
    .example('$0 validate fleet.yaml --format json', 'the same diagnostics as JSON, for tools')
    .example('$0 hosts fleet.yaml', 'list every host with its hostnames; records generated ones in fleet.lock.yaml')
    .example('$0 hosts fleet.yaml --frozen-lockfile', 'in CI: fail instead of changing fleet.lock.yaml')
    .example('$0 build fleet.yaml', 'write the Chef, Ansible, cloud-init and ssh artifacts into out/')
    .example('$0 schema > fleet.schema.json', 'the JSON Schema of fleet.yaml, for editors')
    .example('source <($0 completion bash)', 'complete commands and options in bash (or zsh)')
    .epilog(EXIT_CODES)
    .help()
    .alias('help', 'h')
    .version(packageVersion())
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, err) => {
      // yargs calls this for command-line mistakes (message, or its own YError) and for errors thrown by our
      // handlers and checks (err), which keep their meaning.
      if (err && err.name !== 'YError') throw err;
      const explained = explainUsage(message || err?.message || '', args, describeCommands(commands));
      throw explained ? new UsageError(explained.message, explained.hint) : new UsageError(message);
    });
}
