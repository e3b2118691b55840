/**
 * load → validate → normalize: from a manifest path to the Fleet model, or every diagnostic at once.
 * Reads files (manifest, referenced secrets, lock file) but writes nothing: the caller decides whether to
 * write the lock file (never with --frozen-lockfile, never when there are errors).
 */
import { hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { hasErrors, InternalError, ManifestError, sortDiagnostics, type Diagnostic } from './diagnostics/diagnostic.js';
import { lockWarningDiagnostics } from './hostnames/assign.js';
import { diffLockfiles, frozenLockfileDiagnostics } from './hostnames/frozen.js';
import { lockfilePathBeside, parseLockfile, serializeLockfile, type Lockfile } from './hostnames/lockfile.js';
import type { SourceMap } from './load/source-map.js';
import { manifestText, parseManifest, readManifestText } from './load/manifest.js';
import type { ManifestTexts } from './load/manifest-entries.js';
import type { ParseCache } from './load/parse-cache.js';
import { SecretReader, type PrefetchedSecretFiles } from './load/secrets.js';
import { readTerraformOutputs } from './load/terraform-outputs.js';
import { DEFAULT_TERRAFORM_OUTPUTS_DIR, terraformLayoutOf } from './manifest/terraform-layout.js';
import type { Fleet } from './model/fleet.js';
import { fleetOf, type LazyFleet } from './model/lazy-fleet.js';
import { normalizeLazily, type HostInputs } from './model/normalize.js';
import { effectiveHosts } from './model/merge.js';
import type { Manifest } from './validate/schema.js';
import { needsTerraformOutputs, resolveTerraformOutputs, type ResolvedTerraformOutputs } from './validate/terraform-outputs.js';
import { validateManifest } from './validate/validate.js';
import { HostChecks, type CheckedHosts } from './validate/host-checks.js';
import { fileAnswersOf } from './validate/secret-file-answers.js';
import { generatorDigest } from './write/generator-digest.js';

export interface CompileOptions {
  /** Environment for `{ env: NAME }` references. Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the lock file lives. Default: fleet.lock.yaml beside the manifest. */
  lockfilePath?: string;
  /** The build's output folder (--out), for the commands that messages about Terraform's outputs give. Default: out. */
  outDir?: string;
  /** The manifest's bytes, when they do not come from the file at manifestPath (standard input). */
  bytes?: Buffer;
  /** The folder `file:` references are relative to. Default: the manifest's folder. */
  baseDir?: string;
  /**
   * Texts parsed by an earlier build (the manifest's host entries, the lock file: load/parse-cache.ts), and where
   * this run's go. Without it, the manifest is parsed whole, as `validate` does.
   */
  parsed?: ParseCache;
  /** Secret files read ahead on another thread (`build`: write/secret-prefetch.ts); any other file is read here. */
  prefetchedSecrets?: PrefetchedSecretFiles;
  /**
   * Remember which hosts pass the host rules (validate/host-checks.ts), starting from what an earlier build remembered
   * (`earlier`, if any): `build` keeps it in its cache. Without it, every rule runs over every host.
   */
  checkedHosts?: { earlier: CheckedHosts | undefined };
}

export interface CompileResult {
  /** Every host's model made (on first use): what every command but `build` into out/ takes. */
  fleet: Fleet;
  /**
   * The same fleet with each host's model made when first asked for (model/lazy-fleet.ts), and, for a manifest read
   * entry by entry (options.parsed), what decides each one (LazyHosts.inputKey): what `build` into out/ takes.
   */
  lazyFleet: LazyFleet;
  /** Warnings (errors never reach here: they throw ManifestError). Sorted by position. */
  warnings: Diagnostic[];
  /**
   * Errors for hosts that need what Terraform creates (a tunnel's ID and secret, an SSH CA) and cannot have it yet:
   * not applied, outputs not saved to terraformOutputs.dir, or a saved file that is wrong. Building the host targets
   * (Chef, Ansible, cloud-init) must refuse with them; the Terraform target never needs the outputs, and `validate`
   * reports these only once the folder exists (before the first apply there is nothing to check).
   */
  awaitingTerraform: Diagnostic[];
  /** Whether terraformOutputs.dir exists: then `validate` reports awaitingTerraform too (the outputs are checked). */
  hasTerraformOutputs: boolean;
  lockfile: {
    path: string;
    /** The lock file's text as it must be after this run: serialized on demand, as most runs do not write it. */
    text(): string;
    /** true when the lock this run must write holds other names than the one on disk (or there is no lock file yet). */
    changed: boolean;
    /** Hosts whose generated hostnames differ from the lock on disk (new, renamed or dropped). */
    hostsWithNewNames: string[];
    /** What --frozen-lockfile reports when `changed`: one located error per difference (located on demand). */
    frozenDiagnostics(): Diagnostic[];
  };
  /**
   * The absolute paths of the secret files read (each read successfully), in the order read, but for those the next
   * build knows by their stat: `build` records them for the next build to read ahead, once it has made the host models
   * it needed (a getter: each read gives the list as it is then).
   */
  readonly secretFilesRead: readonly string[];
  /** With options.checkedHosts: the hosts to remember as passing the host rules, and whether that changed. */
  checkedHosts?: { checked: CheckedHosts; isChanged: boolean };
}

export const defaultLockfilePath = lockfilePathBeside;

/** Throws ManifestError with every error and warning (sorted by position) when the input is not valid. */
export function compileFleet(manifestPath: string, options: CompileOptions = {}): CompileResult {
  const text = options.bytes !== undefined ? manifestText(options.bytes, manifestPath) : readManifestText(manifestPath);
  if (!text.ok) throw new ManifestError(text.diagnostics);
  const parsed = parseManifest(text.text, manifestPath, options.parsed !== undefined ? { cache: options.parsed } : {});
  if (!parsed.ok) throw new ManifestError(parsed.diagnostics);
  const { source, value } = parsed.manifest;

  const manifestDir = options.baseDir ?? dirname(manifestPath);
  const secrets = new SecretReader(manifestDir, options.env ?? process.env, options.prefetchedSecrets);
  const checks = options.checkedHosts !== undefined ? new HostChecks(parsed.manifest.texts, generatorDigest(), options.checkedHosts.earlier) : undefined;
  const validation = validateManifest(value, source, secrets, checks);
  if (!validation.isSchemaValid) throw new ManifestError(validation.diagnostics);
  const { manifest } = validation;
  const diagnostics: Diagnostic[] = [...validation.diagnostics];

  const lockfilePath = options.lockfilePath ?? defaultLockfilePath(manifestPath);
  const { lock, source: lockSource } = readLock(lockfilePath, diagnostics, options.parsed);
  if (hasErrors(diagnostics)) throw new ManifestError(diagnostics);

  const terraform = terraformOutputsOf(manifest, source, manifestDir, { outDir: options.outDir ?? 'out' });
  const texts = parsed.manifest.texts;
  const { fleet: lazyFleet, hostnames } = normalizeLazily(manifest, secrets, lock, terraform.byHost, texts && hostInputKeys(texts, resolve(manifestDir)));
  if (lockSource) for (const warning of lockWarningDiagnostics(hostnames.warnings, lockSource)) diagnostics.push(warning); // too many for push(...)
  let fleet: Fleet | undefined;
  return {
    get fleet(): Fleet {
      fleet ??= fleetOf(lazyFleet.settings, lazyFleet.hosts.all());
      return fleet;
    },
    lazyFleet,
    warnings: sortDiagnostics(diagnostics),
    awaitingTerraform: sortDiagnostics(terraform.awaiting),
    hasTerraformOutputs: terraform.isPresent,
    lockfile: {
      path: lockfilePath,
      text: () => serializeLockfile(hostnames.lock),
      changed: hostnames.changed,
      // An unchanged lock holds the very names this run assigned: no diff to work out (10,000 hosts' names compared).
      hostsWithNewNames: hostnames.changed ? [...new Set(diffLockfiles(lock, hostnames.lock).flatMap((c) => (c.path[0] === 'hosts' ? [String(c.path[1])] : [])))] : [],
      frozenDiagnostics: () => frozenLockfileDiagnostics(lock, hostnames.lock, displayPath(lockfilePath), lockSource),
    },
    get secretFilesRead() {
      // Not those the next build knows by their stat: it only stats them. (Listed, they would be read ahead once more,
      // and the list written again by the build after.) A rebuild with nothing changed reads none: it asks for no paths.
      const read = secrets.filesRead;
      const known = read.length > 0 ? fileAnswersOf(secrets)?.rememberedPaths() : undefined;
      return known === undefined ? read : read.filter((path) => !known.has(path));
    },
    ...(checks !== undefined ? { checkedHosts: checks.toRemember() } : {}),
  };
}

/**
 * LazyHosts.inputKey for a manifest read entry by entry: a digest of what decides a host's model besides the secrets it
 * reads. That is the frame's text (defaults, groups, the fleet's own settings) and the host's entry's text (their
 * digests: ManifestTexts), which decide its merged settings and its Terraform module; what normalize works out across
 * hosts and hands it (HostInputs: its generated hostnames, its Terraform outputs); the folder its secret files are found
 * in; and fleetgen's own code (generatorDigest). The secrets themselves are checked by what they answer
 * (write/incremental.ts, StreamedBuild.modelDigestOf).
 */
function hostInputKeys(texts: ManifestTexts, baseDir: string): (inputs: HostInputs) => string {
  // What every host shares is digested once (10,000 hosts digested it each); a digest has one length, so what follows
  // it in a host's key can never pass for part of it.
  const shared = hash('sha256', JSON.stringify([HOST_INPUTS_FORMAT, generatorDigest(), texts.frame, baseDir]), 'base64');
  return (inputs) => {
    const entry = texts.entries[inputs.hostIndex];
    if (entry === undefined) throw new InternalError(`no entry text for host ${inputs.hostIndex}`);
    return hash('sha256', shared + JSON.stringify([entry, inputs.generated, inputs.terraform]), 'base64');
  };
}

const HOST_INPUTS_FORMAT = 'fleetgen host inputs 2';

/**
 * Reads terraformOutputs.dir when some host needs it or when it exists (saved outputs are checked even where no
 * host uses them). Paths in messages are relative to `displayBase` (default: the working folder).
 */
export function terraformOutputsOf(
  manifest: Manifest,
  source: SourceMap,
  manifestDir: string,
  options: { outDir: string; displayBase?: string },
): ResolvedTerraformOutputs & { isPresent: boolean } {
  const hosts = effectiveHosts(manifest);
  const dir = resolve(manifestDir, manifest.cloudflare?.terraformOutputs?.dir ?? DEFAULT_TERRAFORM_OUTPUTS_DIR);
  const isNeeded = needsTerraformOutputs(hosts);
  if (!isNeeded && !existsSync(dir)) return { byHost: new Map(), awaiting: [], isPresent: false };
  const outputs = readTerraformOutputs(dir, manifestDir, options.displayBase);
  const resolved = resolveTerraformOutputs(hosts, outputs, {
    source,
    layout: terraformLayoutOf(manifest.cloudflare?.terraform),
    shownDir: displayPath(dir, options.displayBase),
    outDir: options.outDir,
  });
  return { ...resolved, isPresent: outputs.isPresent };
}

function readLock(path: string, diagnostics: Diagnostic[], cache: ParseCache | undefined): { lock?: Lockfile; source?: SourceMap } {
  if (!existsSync(path)) return {};
  const text = readManifestText(path);
  if (!text.ok) {
    diagnostics.push(...text.diagnostics);
    return {};
  }
  const parsed = parseLockfile(text.text, displayPath(path), cache);
  if (!parsed.ok) {
    diagnostics.push(...parsed.diagnostics);
    return {};
  }
  return { lock: parsed.lock, source: parsed.source };
}

/** The lock file as the user would name it: relative to where they stand, when it is below. */
function displayPath(path: string, base = process.cwd()): string {
  const rel = relative(base, path);
  return rel && !rel.startsWith('..') ? rel : path;
}
