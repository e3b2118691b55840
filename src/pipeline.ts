/**
 * load → validate → normalize: from a manifest path to the Fleet model, or every diagnostic at once.
 * Reads files (manifest, referenced secrets, lock file) but writes nothing: the caller decides whether to
 * write the lock file (never with --frozen-lockfile, never when there are errors).
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { hasErrors, ManifestError, sortDiagnostics, type Diagnostic } from './diagnostics/diagnostic.js';
import { parseLockfile, serializeLockfile, type Lockfile } from './hostnames/lockfile.js';
import { parseManifest, readManifestText } from './load/manifest.js';
import { SecretReader } from './load/secrets.js';
import type { Fleet } from './model/fleet.js';
import { normalize } from './model/normalize.js';
import { validateSchema } from './validate/schema.js';
import { checkFleet } from './validate/semantic.js';

export const LOCKFILE_NAME = 'fleet.lock.yaml';

export interface CompileOptions {
  /** Environment for `{ env: NAME }` references. Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the lock file lives. Default: fleet.lock.yaml beside the manifest. */
  lockfilePath?: string;
}

export interface CompileResult {
  fleet: Fleet;
  /** Warnings (errors never reach here: they throw ManifestError). Sorted by position. */
  warnings: Diagnostic[];
  lockfile: {
    path: string;
    /** The lock file's text as it must be after this run. */
    content: string;
    /** true when content differs from what is on disk (or there is no lock file yet). */
    changed: boolean;
    /** Hosts that get a hostname not recorded in the lock yet (for --frozen-lockfile messages). */
    hostsWithNewNames: string[];
  };
}

export function defaultLockfilePath(manifestPath: string): string {
  return join(dirname(manifestPath), LOCKFILE_NAME);
}

/** Throws ManifestError with every error and warning (sorted by position) when the input is not valid. */
export function compileFleet(manifestPath: string, options: CompileOptions = {}): CompileResult {
  const text = readManifestText(manifestPath);
  if (!text.ok) throw new ManifestError(text.diagnostics);
  const parsed = parseManifest(text.text, manifestPath);
  if (!parsed.ok) throw new ManifestError(parsed.diagnostics);
  const { source, value } = parsed.manifest;

  const schema = validateSchema(value, source);
  if (!schema.ok) throw new ManifestError(schema.diagnostics);
  const manifest = schema.manifest;

  const secrets = new SecretReader(dirname(manifestPath), options.env ?? process.env);
  const diagnostics: Diagnostic[] = checkFleet(manifest, source, secrets);

  const lockfilePath = options.lockfilePath ?? defaultLockfilePath(manifestPath);
  const lock = readLock(lockfilePath, diagnostics);
  if (hasErrors(diagnostics)) throw new ManifestError(diagnostics);

  const { fleet, hostnames, warnings } = normalize(manifest, secrets, lock);
  diagnostics.push(...warnings);
  return {
    fleet,
    warnings: sortDiagnostics(diagnostics),
    lockfile: {
      path: lockfilePath,
      content: serializeLockfile(hostnames.lock),
      changed: hostnames.changed,
      hostsWithNewNames: hostsWithNewNames(lock, hostnames.lock),
    },
  };
}

function readLock(path: string, diagnostics: Diagnostic[]): Lockfile | undefined {
  if (!existsSync(path)) return undefined;
  const text = readManifestText(path);
  if (!text.ok) {
    diagnostics.push(...text.diagnostics);
    return undefined;
  }
  const parsed = parseLockfile(text.text, displayPath(path));
  if (!parsed.ok) {
    diagnostics.push(...parsed.diagnostics);
    return undefined;
  }
  return parsed.lock;
}

function hostsWithNewNames(before: Lockfile | undefined, after: Lockfile): string[] {
  return Object.entries(after.hosts)
    .filter(([host, names]) => Object.entries(names).some(([rule, name]) => before?.hosts[host]?.[rule] !== name))
    .map(([host]) => host);
}

/** The lock file as the user would name it: relative to where they stand, when it is below. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}
