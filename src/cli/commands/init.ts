import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { InternalError } from '../../diagnostics/diagnostic.js';
import { packageRoot } from '../../package-root.js';
import { fleetSchema } from '../../validate/schema.js';
import { writeFileAtomic } from '../../write/atomic.js';
import { makeFolders } from '../../write/folders.js';
import type { CommandContext } from '../context.js';
import { UserError } from '../failure.js';

interface InitArgs {
  dir: string;
}

/** Keeps every secret out of git, and the folder itself in it. */
const SECRETS_GITIGNORE = '# Tunnel credentials, tokens, cert.pem and saved Terraform outputs: never commit them.\n*\n!.gitignore\n';

/** `fleetgen init [dir]`: a commented example manifest, its schema for editors and a git-ignored secrets/ folder. Never overwrites. */
export function initCommand(context: CommandContext): CommandModule<object, InitArgs> {
  return {
    command: 'init [dir]',
    describe: 'Start a fleet: write a commented example fleet.yaml, its schema for editors and a git-ignored secrets/ folder into dir.',
    builder: (yargs: Argv) =>
      yargs
        .positional('dir', { type: 'string', default: '.', describe: 'folder to create the manifest in' })
        .example('$0 init my-fleet', 'my-fleet/fleet.yaml, my-fleet/fleet.schema.json and a git-ignored my-fleet/secrets/')
        .example('$0 init', 'the same in the current folder'),
    handler: (args) => {
      const manifest = join(args.dir, 'fleet.yaml');
      const secretsDir = join(args.dir, 'secrets');
      const gitignore = join(secretsDir, '.gitignore');
      // The manifest's modeline points editors here: a local file works offline, unlike any URL.
      const schemaFile = join(args.dir, 'fleet.schema.json');
      if (isPresent(manifest)) {
        throw new UserError(`${manifest} already exists; init never overwrites it`, 'edit it, or run "fleetgen init <another folder>"');
      }
      const template = readTemplate();
      try {
        makeFolders(secretsDir, 0o700);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        const where = (err as NodeJS.ErrnoException).path ?? secretsDir;
        throw new UserError(`cannot create the folder ${where} (${code})`, `choose a folder where you may create files, e.g. "fleetgen init my-fleet"`);
      }
      try {
        if (!isPresent(gitignore)) writeFileAtomic(gitignore, SECRETS_GITIGNORE, { mode: 0o644 });
        if (!isPresent(schemaFile)) writeFileAtomic(schemaFile, JSON.stringify(fleetSchema(), null, 2) + '\n', { mode: 0o644 });
        writeFileAtomic(manifest, template, { mode: 0o644 });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        throw new UserError(`cannot create ${manifest} (${code})`, `check that ${args.dir} is a folder you can write to`);
      }
      context.io.stdout(
        [
          `wrote ${manifest}, ${schemaFile} (for editors) and ${gitignore}`,
          'next: put your zone, account ID and e-mail domain in place of the placeholders in fleet.yaml, then, with',
          'CLOUDFLARE_API_TOKEN set (a token that may edit Tunnels, the zone\'s DNS and Access):',
          ...nextSteps(args.dir).map((line) => `  ${line}`),
        ].join('\n') + '\n',
      );
    },
  };
}

/**
 * The README's workflow for a new fleet ("The Cloudflare side"), run from the fleet's folder: Terraform first (the
 * tunnels, DNS records and Access), its outputs saved where fleet.yaml's terraformOutputs.dir says, then the hosts.
 */
function nextSteps(dir: string): string[] {
  return [
    ...(dir === '.' ? [] : [`cd ${shellWord(dir)}`]),
    'fleetgen validate fleet.yaml',
    'fleetgen build fleet.yaml --target terraform                   # out/terraform/: shared/ and one module per group',
    'terraform -chdir=out/terraform/shared init && terraform -chdir=out/terraform/shared apply',
    'mkdir -p -m 700 secrets/terraform',
    'for m in $(cd out/terraform && ls -d group-* chunk-* ungrouped hosts 2>/dev/null); do',
    '  terraform -chdir=out/terraform/$m init && terraform -chdir=out/terraform/$m apply &&',
    '  terraform -chdir=out/terraform/$m output -json > secrets/terraform/$m.json   # terraformOutputs.dir: secrets',
    'done',
    'fleetgen build fleet.yaml                                      # host artifacts with the tunnel IDs, secrets, SSH CA',
    'ansible-playbook -i out/ansible/inventory/hosts.yml out/ansible/site.yml   # or Chef, or cloud-init at launch',
  ];
}

/** A folder name as a shell word: as it is when it is plain, else single-quoted. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function readTemplate(): string {
  const path = join(packageRoot(), 'generators', 'init', 'fleet.yaml');
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new InternalError(`cannot read the init template ${path}: is the fleetgen installation complete?`, { cause: err });
  }
}
