import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { InternalError } from '../../diagnostics/diagnostic.js';
import { packageRoot } from '../../package-root.js';
import type { CommandContext } from '../context.js';

const SHELLS = ['bash', 'zsh'] as const;
type Shell = (typeof SHELLS)[number];

interface CompletionArgs {
  shell?: Shell;
}

/**
 * `fleetgen completion [bash|zsh]`: a script that makes the shell complete fleetgen's commands and options. The
 * script asks fleetgen itself (yargs' --get-yargs-completions), so it never falls behind the commands.
 */
export function completionCommand(context: CommandContext): CommandModule<object, CompletionArgs> {
  return {
    command: 'completion [shell]',
    describe: 'Print a shell completion script for bash or zsh (default: the shell in $SHELL).',
    builder: (yargs: Argv) =>
      yargs
        .positional('shell', { choices: SHELLS, describe: 'the shell to complete in' })
        .example('source <($0 completion bash)', 'complete fleetgen commands and options in this bash')
        .example('$0 completion zsh > "${fpath[1]}/_fleetgen"', 'install it for zsh'),
    handler: (args) => {
      const shell = args.shell ?? shellOf(context.io.env.SHELL);
      context.io.stdout(readScript(shell));
    },
  };
}

function shellOf(path: string | undefined): Shell {
  const name = basename(path ?? '');
  return (SHELLS as readonly string[]).includes(name) ? (name as Shell) : 'bash';
}

function readScript(shell: Shell): string {
  const path = join(packageRoot(), 'generators', 'completion', `fleetgen.${shell}`);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new InternalError(`cannot read the completion script ${path}: is the fleetgen installation complete?`, { cause: err });
  }
}
