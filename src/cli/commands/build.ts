import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { buildFleet } from '../../build.js';
import { formatDiagnostic, InternalError, ManifestError } from '../../diagnostics/diagnostic.js';
import { compileFleet, type CompileResult } from '../../pipeline.js';
import { HOST_TARGET_NAMES, TARGET_NAMES, type TargetName, type TargetOptions } from '../../targets/target.js';
import { closest } from '../../validate/closest.js';
import { cacheFilePath, readParseCache, writeParseCache } from '../../write/cache.js';
import { readCheckedHosts, writeCheckedHosts } from '../../write/checked-hosts.js';
import { growHeapFreely } from '../../write/heap-growth.js';
import { buildIntoOut } from '../../write/incremental.js';
import { StatAhead } from '../../write/stat-ahead.js';
import { OutputError } from '../../write/output-error.js';
import { writeSecretFileList } from '../../write/secret-prefetch.js';
import { comparedFiles, keptOutOfGit, planOutput, staleCommittedFiles, staleFiles, type Plan, type PlannedFile } from '../../write/plan.js';
import { STATE_FILE, STATE_FORMAT_VERSION } from '../../write/state.js';
import { formatSummary } from '../../write/summary.js';
import { unifiedDiff } from '../../write/unified-diff.js';
import type { CliIo, CommandContext } from '../context.js';
import { ExitCode, UsageError, UserError } from '../failure.js';
import { lockfileOutOfDate, writeChangedLockfile } from '../lockfile-drift.js';
import { takeEarlyStatAhead } from '../early-start.js';
import { resolveManifestArg } from '../manifest-arg.js';
import { Progress } from '../progress.js';
import { formatTargetWarnings } from '../target-warnings.js';

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
  host?: string;
  stdout: boolean;
  verbose: boolean;
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
        .positional('manifest', { type: 'string', demandOption: true, describe: 'the fleet manifest (a file, a folder holding fleet.yaml, or - for standard input)' })
        .option('out', { requiresArg: true, type: 'string', default: 'out', describe: 'output folder; fleetgen only touches the files it generated there' })
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
        .option('vault-password-file', { requiresArg: true, type: 'string', describe: 'encrypt Ansible host secrets with this Ansible Vault password file' })
        .option('chef-secret-file', { requiresArg: true, type: 'string', describe: 'encrypt each host\'s Chef secrets item with its own data bag secret, derived from this file (written to chef/node_secrets/<host>)' })
        .option('gzip', { type: 'boolean', default: false, describe: 'also write gzip-compressed cloud-init user-data (<host>.yaml.gz)' })
        .option('frozen-lockfile', { type: 'boolean', default: false, describe: 'never write the lock file: fail (exit 1) when it is missing or out of date' })
        .option('host', { requiresArg: true, type: 'string', describe: 'with --stdout: the one host whose user-data to print' })
        .option('stdout', { type: 'boolean', default: false, describe: "print one host's cloud-init user-data (--host, --target cloud-init) instead of writing anything" })
        .option('verbose', { type: 'boolean', default: false, describe: 'print each host\'s warnings on its own line, even when many hosts share one (by default, one line for them all)' })
        .check((argv) => {
          if (argv.check && argv['dry-run']) throw new UsageError('--check and --dry-run are two different questions: give one');
          if (argv.diff && !argv.check && !argv['dry-run']) throw new UsageError('--diff goes with --dry-run or --check');
          if (typeof argv.out !== 'string' || argv.out === '') throw new UsageError('--out needs a folder');
          if (argv.host !== undefined && !argv.stdout) throw new UsageError('--host goes with --stdout: a build writes every host', 'e.g. "fleetgen build fleet.yaml --host store-0001 --target cloud-init --stdout"');
          if (argv.stdout && (argv.check || argv['dry-run'] || argv.gzip)) throw new UsageError('--stdout prints one file and writes nothing: it does not go with --check, --dry-run or --gzip');
          return true;
        })
        .example('$0 build fleet.yaml', 'write every target into out/ (only what changed)')
        .example('$0 build fleet.yaml --target ansible --vault-password-file ~/.vault-pass', 'the Ansible role, with host secrets encrypted')
        .example('$0 build fleet.yaml --check --frozen-lockfile', 'in CI: exit 1 when the committed out/ or fleet.lock.yaml is stale')
        .example('$0 build fleet.yaml --dry-run --diff', 'show what a build would change, writing nothing')
        .example('$0 build fleet.yaml --host store-0001 --target cloud-init --stdout', "print one host's user-data, writing nothing"),
    handler: async (args) => {
      const progress = new Progress(context.io);
      // First of all, on the second core: the build into out/ (not --check, --dry-run or --stdout, which do not use
      // the cache) finds the secret files read and the cached files looked at by the time the manifest is validated
      // (stat-ahead.ts).
      const isBuildIntoOut = !args.check && !args['dry-run'] && !args.stdout;
      // The one started before the command line was parsed (early-start.ts), when it was for this very build.
      const early = takeEarlyStatAhead(context.early, isBuildIntoOut ? args.out : undefined);
      const statAhead = isBuildIntoOut ? (early ?? StatAhead.start(args.out)) : undefined;
      // A rebuild (out/ holds a build cache) usually regenerates few hosts: its heap is mostly what stays live, which
      // V8's own growth suits better; it grows slowly again if many hosts are regenerated (write/heap-growth.ts).
      if (isBuildIntoOut && existsSync(cacheFilePath(args.out))) growHeapFreely();
      try {
        await runBuild(args, context, progress, statAhead);
      } finally {
        statAhead?.close();
        progress.clear();
      }
    },
  };
}

async function runBuild(args: BuildArgs, context: CommandContext, progress: Progress, statAhead: StatAhead | undefined): Promise<void> {
  const io = progress.wrap(context.io);
  const targets = parseTargets(args.target);
  if (args.stdout) checkOneHostOutput(args.host, targets);
  const manifest = await resolveManifestArg(args.manifest, io);
  // I/O at the edge: secret files are read here, before anything else can fail half-way.
  const options: TargetOptions = { gzip: args.gzip };
  if (args['vault-password-file'] !== undefined) options.vaultPassword = readSecretFile(args['vault-password-file'], 'vault password file');
  if (args['chef-secret-file'] !== undefined) options.chefSecret = readSecretFile(args['chef-secret-file'], 'Chef data bag secret file');

  progress.report(`checking ${manifest.path}`);
  const parsed = readParseCache(args.out);
  const result = compileFleet(manifest.path, {
    env: io.env,
    outDir: args.out,
    parsed,
    checkedHosts: { earlier: readCheckedHosts(args.out) },
    ...(statAhead ? { prefetchedSecrets: statAhead.secretFiles } : {}),
    ...manifest.options,
  });
  // Every secret is read: the thread goes on to the cached files, and lets go of what it read that was not used.
  statAhead?.secretFiles.close();
  // Hosts whose tunnel or SSH CA Terraform creates cannot be built before its outputs are saved; the
  // Terraform target itself never needs them (it is what creates them).
  if (result.awaitingTerraform.length > 0 && targets.some((name) => HOST_TARGET_NAMES.includes(name))) {
    throw new ManifestError([...result.warnings, ...result.awaitingTerraform]);
  }
  const diagnostics = result.warnings.map(formatDiagnostic);
  if (result.lockfile.changed && args['frozen-lockfile']) {
    io.stderr([...diagnostics, formatDiagnostic(lockfileOutOfDate(manifest.path, result.lockfile))].join('\n') + '\n');
    context.exitCode = ExitCode.checkFailed;
    return;
  }
  if (args.stdout) {
    printUserData(result, args.host ?? '', options, io);
    return;
  }

  const isEveryTarget = TARGET_NAMES.every((name) => targets.includes(name));
  const scope = isEveryTarget ? {} : { scope: targets };
  if (args.check || args['dry-run']) {
    checkOrDryRun(args, { manifest, result, targets, options, scope, diagnostics }, context, progress);
    return;
  }

  const built = withOutputErrors(() =>
    buildIntoOut(args.out, result.lazyFleet, {
      targets,
      options,
      ...scope,
      ...(statAhead ? { statAhead } : {}),
      onProgress: (done, total) => progress.report(`building ${args.out}`, { done, total, unit: 'hosts' }),
      onWrite: (done, total) => progress.report(`writing ${args.out}`, { done, total, unit: 'files' }),
    }),
  );
  writeParseCache(args.out, parsed);
  if (result.checkedHosts !== undefined) writeCheckedHosts(args.out, result.checkedHosts);
  writeSecretFileList(args.out, result.secretFilesRead);
  const warnings = [...diagnostics, ...formatTargetWarnings(built.warnings, { isVerbose: args.verbose })];
  const lockNote = writeChangedLockfile(result.lockfile);
  if (lockNote !== undefined) warnings.push(lockNote);
  const summary = built.summary.map(formatSummary);
  io.stdout(summary.length > 0 ? summary.join('\n') + '\n' : `${args.out}: nothing to write\n`);
  if (warnings.length > 0) io.stderr(warnings.join('\n') + '\n');
}

interface CompiledBuild {
  manifest: { path: string };
  result: CompileResult;
  targets: TargetName[];
  options: TargetOptions;
  scope: { scope?: TargetName[] };
  diagnostics: string[];
}

/** `--check` and `--dry-run`: every file generated and compared byte for byte with out/ (no cache), nothing written. */
function checkOrDryRun(args: BuildArgs, { manifest, result, targets, options, scope, diagnostics }: CompiledBuild, context: CommandContext, progress: Progress): void {
  const io = progress.wrap(context.io);
  const output = buildFleet(result.fleet, {
    targets,
    options,
    onTarget: (name, index, count) => progress.report(`building ${name} (${index + 1}/${count})`),
  });
  const warnings = [...diagnostics, ...formatTargetWarnings(output.warnings, { isVerbose: args.verbose })];
  const onCompare = (done: number, total: number): void => progress.report(`comparing with ${args.out}`, { done, total, unit: 'files' });
  const plan = withOutputErrors(() => planOutput(args.out, output.files, { ...scope, onProgress: onCompare }));
  const lockNote = result.lockfile.changed ? [`  ${'update'.padEnd(7)} ${result.lockfile.path}`] : [];
  const stale = args.check ? staleCommittedFiles(plan) : staleFiles(plan);
  const lines = [...stale.map((file) => `  ${ACTION_WORDS[file.action].padEnd(7)} ${join(args.out, file.path)}${olderRecordNote(plan, file)}`), ...lockNote];
  if (args.diff) for (const line of stale.flatMap((file) => describeChange(plan, file, args.out))) lines.push(line); // too many for push(...)
  if (warnings.length > 0) io.stderr(warnings.join('\n') + '\n');
  const isStale = stale.length > 0 || result.lockfile.changed;
  if (args.check) {
    if (isStale) {
      io.stdout(lines.join('\n') + '\n');
      io.stderr(`fleetgen: ${args.out} is stale: ${countStale(stale.length, result.lockfile.changed)} from what ${manifest.path} produces — run "fleetgen build ${args.manifest} --out ${args.out}" and commit the result\n`);
      context.exitCode = ExitCode.checkFailed;
    } else {
      io.stdout(`${args.out} is up to date (${checkedCount(plan)})\n`);
    }
    return;
  }
  io.stdout([...lines, `dry run: ${dryRunCounts(plan)}; nothing was written`].join('\n') + '\n');
}

const ACTION_WORDS: Record<PlannedFile['action'], string> = { add: 'add', change: 'change', unchanged: 'same', remove: 'remove' };

/** Beside fleetgen's record when an earlier fleetgen wrote it: why it is stale although no file changed. */
function olderRecordNote(plan: Plan, file: PlannedFile): string {
  const version = plan.state.formatVersion;
  if (file.path !== STATE_FILE || file.action !== 'change' || version === undefined || version >= STATE_FORMAT_VERSION) return '';
  return ` (format ${version}, from an earlier fleetgen: "fleetgen build" rewrites it in format ${STATE_FORMAT_VERSION})`;
}

/** --stdout prints one file: one host's user-data. */
function checkOneHostOutput(host: string | undefined, targets: readonly TargetName[]): void {
  if (host === undefined) throw new UsageError('--stdout needs --host NAME: it prints one host\'s user-data');
  if (targets.length !== 1 || targets[0] !== 'cloud-init') throw new UsageError('--stdout prints cloud-init user-data: give --target cloud-init');
}

/**
 * `--host NAME --target cloud-init --stdout`: that host's user-data on stdout, and nothing on disk — no other host's
 * secrets, not even the lock file (a new generated hostname is only announced).
 */
function printUserData(result: CompileResult, name: string, options: TargetOptions, io: CliIo): void {
  const host = result.fleet.hosts.find((h) => h.name === name);
  if (!host) {
    const guess = closest(name, result.fleet.hosts.map((h) => h.name));
    throw new UserError(`there is no host ${JSON.stringify(name)} in the manifest`, guess ? `did you mean "${guess}"?` : 'run "fleetgen hosts" to list them');
  }
  const output = buildFleet({ ...result.fleet, hosts: [host] }, { targets: ['cloud-init'], options: { ...options, gzip: false } });
  const file = output.files.get(`cloud-init/${host.name}.yaml`);
  if (!file) throw new InternalError(`the cloud-init target produced no user-data for ${host.name}`);
  io.stdout(file.content.toString());
  const notes = [...result.warnings.map(formatDiagnostic), ...formatTargetWarnings(output.warnings)];
  if (result.lockfile.changed) {
    notes.push(`fleetgen: warning: ${result.lockfile.path} does not record every generated hostname yet, and --stdout writes nothing: run "fleetgen hosts" and commit the lock file`);
  }
  if (notes.length > 0) io.stderr(notes.join('\n') + '\n');
}

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

/** `1 file differs`, `3 files and the lock file differ`. */
function countStale(files: number, isLockStale: boolean): string {
  const parts = files > 0 ? [`${files} ${files === 1 ? 'file' : 'files'}`] : [];
  if (isLockStale) parts.push('the lock file');
  return `${parts.join(' and ')} ${parts.length === 1 && (files === 1 || isLockStale) ? 'differs' : 'differ'}`;
}

/** `40 files` or `40 files checked; 5 git-ignored files holding secrets not checked`. */
function checkedCount(plan: Plan): string {
  const ignored = keptOutOfGit(plan).length;
  const checked = comparedFiles(plan).filter((f) => !f.isKeptOutOfGit && f.action !== 'remove').length;
  const files = `${checked} ${checked === 1 ? 'file' : 'files'}`;
  return ignored === 0 ? files : `${files} checked; ${ignored} git-ignored ${ignored === 1 ? 'file' : 'files'} holding secrets not checked`;
}

function dryRunCounts(plan: Plan): string {
  const files = comparedFiles(plan);
  const count = (action: PlannedFile['action']): number => files.filter((f) => f.action === action).length;
  return `${count('add')} to add, ${count('change')} to change, ${count('remove')} to remove, ${count('unchanged')} unchanged`;
}

/** The diff of one stale file, or a line saying why there is none. Never the content of a secret. */
function describeChange(plan: Plan, file: PlannedFile, out: string): string[] {
  const shown = join(out, file.path);
  if (file.action !== 'change' || file.file === undefined) return [];
  const mode = file.difference?.mode;
  const modeNote = mode ? [`${shown}: mode ${octal(mode.from)} → ${octal(mode.to)}`] : [];
  if (!file.difference?.content) return modeNote;
  if (olderRecordNote(plan, file) !== '') return [`${shown}: rewritten whole in format ${STATE_FORMAT_VERSION} (one line per file)`];
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
