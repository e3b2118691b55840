import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { buildFleet } from '../../build.js';
import { formatDiagnostic, ManifestError } from '../../diagnostics/diagnostic.js';
import { compileFleet } from '../../pipeline.js';
import { HOST_TARGET_NAMES, TARGET_NAMES, type TargetName, type TargetOptions, type TargetWarning } from '../../targets/target.js';
import { applyPlan } from '../../write/apply.js';
import { writeFileAtomic } from '../../write/atomic.js';
import { OutputError } from '../../write/output-error.js';
import { keptOutOfGit, planOutput, staleCommittedFiles, staleFiles, type Plan, type PlannedFile } from '../../write/plan.js';
import { formatSummary, summarizePlan } from '../../write/summary.js';
import { unifiedDiff } from '../../write/unified-diff.js';
import type { CommandContext } from '../context.js';
import { ExitCode, UsageError, UserError } from '../failure.js';
import { lockfileOutOfDate } from '../lockfile-drift.js';

interface BuildArgs {
  manifest: string;
  out: string;
  target: string[];
  check: boolean;
  'dry-run': boolean;
  diff: boolean;
  'vault-password-file'?: string;
  'chef-secret-file'?: string;
  gzip: boolean;
  'frozen-lockfile': boolean;
}

/**
 * `fleetgen build <manifest>`: compile the fleet, run the targets, and bring out/ in line with what they produce —
 * or, with --check / --dry-run, only say how out/ differs. Nothing is written when the manifest is invalid.
 */
export function buildCommand(context: CommandContext): CommandModule<object, BuildArgs> {
  return {
    command: 'build <manifest>',
    describe: 'Generate the Chef cookbook, Ansible role, cloud-init user-data and ssh_config into --out. Rewrites only what changed.',
    builder: (yargs: Argv) =>
      yargs
        .positional('manifest', { type: 'string', demandOption: true, describe: 'the fleet manifest, e.g. fleet.yaml' })
        .option('out', { type: 'string', default: 'out', describe: 'output folder; fleetgen only touches the files it generated there' })
        .option('target', {
          type: 'string',
          array: true,
          default: [...TARGET_NAMES],
          describe: `targets to build, comma-separated: ${TARGET_NAMES.join(',')}`,
          // Split here, checked in the handler: yargs reports an error thrown by coerce as its own, not as ours.
          coerce: (values: readonly (string | number)[]) => values.flatMap((value) => String(value).split(',')).map((name) => name.trim()).filter(Boolean),
        })
        .option('check', { type: 'boolean', default: false, describe: 'write nothing; exit 1 and list the stale files when out/ is not what the manifest produces (for CI)' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'write nothing; print what would be added, changed and removed' })
        .option('diff', { type: 'boolean', default: false, describe: 'with --dry-run or --check: also print a unified diff of each changed file (never of a secret)' })
        .option('vault-password-file', { type: 'string', describe: 'encrypt Ansible host secrets with this Ansible Vault password file' })
        .option('chef-secret-file', { type: 'string', describe: 'encrypt Chef data bag items with this data bag secret file' })
        .option('gzip', { type: 'boolean', default: false, describe: 'also write gzip-compressed cloud-init user-data (<host>.yaml.gz)' })
        .option('frozen-lockfile', { type: 'boolean', default: false, describe: 'never write the lock file: fail (exit 1) when it is missing or out of date' })
        .check((argv) => {
          if (argv.check && argv['dry-run']) throw new UsageError('--check and --dry-run are two different questions: give one');
          if (argv.diff && !argv.check && !argv['dry-run']) throw new UsageError('--diff goes with --dry-run or --check');
          if (typeof argv.out !== 'string' || argv.out === '') throw new UsageError('--out needs a folder');
          return true;
        }),
    handler: (args) => {
      const { io } = context;
      const targets = parseTargets(args.target);
      // I/O at the edge: secret files are read here, before anything else can fail half-way.
      const options: TargetOptions = { gzip: args.gzip };
      if (args['vault-password-file'] !== undefined) options.vaultPassword = readSecretFile(args['vault-password-file'], 'vault password file');
      if (args['chef-secret-file'] !== undefined) options.chefSecret = readSecretFile(args['chef-secret-file'], 'Chef data bag secret file');

      const result = compileFleet(args.manifest, { env: io.env, outDir: args.out });
      // Hosts whose tunnel or SSH CA Terraform creates cannot be built before its outputs are saved; the
      // Terraform target itself never needs them (it is what creates them).
      if (result.awaitingTerraform.length > 0 && targets.some((name) => HOST_TARGET_NAMES.includes(name))) {
        throw new ManifestError([...result.warnings, ...result.awaitingTerraform]);
      }
      const diagnostics = result.warnings.map(formatDiagnostic);
      if (result.lockfile.changed && args['frozen-lockfile']) {
        io.stderr([...diagnostics, formatDiagnostic(lockfileOutOfDate(args.manifest, result.lockfile))].join('\n') + '\n');
        context.exitCode = ExitCode.checkFailed;
        return;
      }

      const output = buildFleet(result.fleet, { targets, options });
      const warnings = [...diagnostics, ...output.warnings.map(formatTargetWarning)];
      const isEveryTarget = TARGET_NAMES.every((name) => targets.includes(name));
      const plan = withOutputErrors(() => planOutput(args.out, output.files, isEveryTarget ? {} : { scope: targets }));

      if (args.check || args['dry-run']) {
        const lockNote = result.lockfile.changed ? [`  ${'update'.padEnd(7)} ${result.lockfile.path}`] : [];
        const stale = args.check ? staleCommittedFiles(plan) : staleFiles(plan);
        const lines = [...stale.map((file) => `  ${ACTION_WORDS[file.action].padEnd(7)} ${join(args.out, file.path)}`), ...lockNote];
        if (args.diff) lines.push(...stale.flatMap((file) => describeChange(plan, file, args.out)));
        if (warnings.length > 0) io.stderr(warnings.join('\n') + '\n');
        const isStale = stale.length > 0 || result.lockfile.changed;
        if (args.check) {
          if (isStale) {
            io.stdout(lines.join('\n') + '\n');
            io.stderr(`fleetgen: ${args.out} is stale: ${countStale(stale.length, result.lockfile.changed)} differ from what ${args.manifest} produces — run "fleetgen build ${args.manifest} --out ${args.out}" and commit the result\n`);
            context.exitCode = ExitCode.checkFailed;
          } else {
            io.stdout(`${args.out} is up to date (${checkedCount(plan)})\n`);
          }
          return;
        }
        io.stdout([...lines, `dry run: ${dryRunCounts(plan)}; nothing was written`].join('\n') + '\n');
        return;
      }

      withOutputErrors(() => applyPlan(plan));
      if (result.lockfile.changed) {
        try {
          writeFileAtomic(result.lockfile.path, result.lockfile.content, { mode: 0o644 });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? String(err);
          throw new UserError(`cannot write the lock file ${result.lockfile.path} (${code})`, 'check that its folder exists and is writable');
        }
        warnings.push(`fleetgen: updated ${result.lockfile.path}; commit it so generated hostnames stay stable`);
      }
      const summary = summarizePlan(plan).map(formatSummary);
      io.stdout(summary.length > 0 ? summary.join('\n') + '\n' : `${args.out}: nothing to write\n`);
      if (warnings.length > 0) io.stderr(warnings.join('\n') + '\n');
    },
  };
}

const ACTION_WORDS: Record<PlannedFile['action'], string> = { add: 'add', change: 'change', unchanged: 'same', remove: 'remove' };

/** `--target chef,ansible` or `--target chef --target ansible`; every name checked, duplicates dropped. */
function parseTargets(names: readonly string[]): TargetName[] {
  for (const name of names) {
    if (!(TARGET_NAMES as readonly string[]).includes(name)) throw new UsageError(`unknown target "${name}"; choose from ${TARGET_NAMES.join(', ')}`);
  }
  if (names.length === 0) throw new UsageError(`--target needs at least one of ${TARGET_NAMES.join(', ')}`);
  return TARGET_NAMES.filter((name) => names.includes(name));
}

/**
 * The secret as ansible-vault and knife read the same file (both strip surrounding whitespace), so that what
 * fleetgen encrypts with it, they decrypt with it.
 */
function readSecretFile(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UserError(`cannot read the ${what} ${path} (${code})`, 'check the path and that you may read it');
  }
  const secret = text.replace(/^[ \t\r\n\v\f]+|[ \t\r\n\v\f]+$/g, '');
  if (secret === '') throw new UserError(`the ${what} ${path} is empty`, 'put the secret in it, on one line');
  return secret;
}

function withOutputErrors<T>(step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof OutputError) throw new UserError(`${err.path} ${err.message}`, err.hint);
    const errno = err as NodeJS.ErrnoException;
    if (typeof errno.code === 'string' && typeof errno.syscall === 'string') {
      // Each file is replaced atomically, so none is half-written; the record is written last, so a rerun finishes.
      throw new UserError(`cannot write ${errno.path ?? 'the output'} (${errno.code})`, 'fix the cause and run the build again: it picks up where this one stopped');
    }
    throw err;
  }
}

function formatTargetWarning(warning: TargetWarning): string {
  return `fleetgen: warning: ${warning.target}${warning.host ? ` ${warning.host}` : ''}: ${warning.message}`;
}

function countStale(files: number, isLockStale: boolean): string {
  const parts = files > 0 ? [`${files} ${files === 1 ? 'file' : 'files'}`] : [];
  if (isLockStale) parts.push('the lock file');
  return parts.join(' and ');
}

/** `40 files` or `40 files checked; 5 git-ignored files holding secrets not checked`. */
function checkedCount(plan: Plan): string {
  const ignored = keptOutOfGit(plan).length;
  const checked = plan.files.filter((f) => !f.isKeptOutOfGit && f.action !== 'remove').length;
  const files = `${checked} ${checked === 1 ? 'file' : 'files'}`;
  return ignored === 0 ? files : `${files} checked; ${ignored} git-ignored ${ignored === 1 ? 'file' : 'files'} holding secrets not checked`;
}

function dryRunCounts(plan: Plan): string {
  const count = (action: PlannedFile['action']): number => plan.files.filter((f) => f.action === action).length;
  return `${count('add')} to add, ${count('change')} to change, ${count('remove')} to remove, ${count('unchanged')} unchanged`;
}

/** The diff of one stale file, or a line saying why there is none. Never the content of a secret. */
function describeChange(plan: Plan, file: PlannedFile, out: string): string[] {
  const shown = join(out, file.path);
  if (file.action !== 'change' || file.file === undefined) return [];
  const mode = file.difference?.mode;
  const modeNote = mode ? [`${shown}: mode ${octal(mode.from)} → ${octal(mode.to)}`] : [];
  if (!file.difference?.content) return modeNote;
  const size = typeof file.file.content === 'string' ? Buffer.byteLength(file.file.content) : file.file.content.length;
  if (file.isSecret) return [...modeNote, `${shown}: (secret, ${size} bytes)`];
  const before = readFileSync(join(plan.outDir, file.path));
  const oldText = before.toString('utf8');
  if (typeof file.file.content !== 'string' || !Buffer.from(oldText, 'utf8').equals(before) || oldText.includes('\0') || file.file.content.includes('\0')) {
    return [...modeNote, `${shown}: (binary, ${size} bytes)`];
  }
  return [...modeNote, unifiedDiff(oldText, file.file.content, { from: `a/${shown}`, to: `b/${shown}` }).trimEnd()];
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}
