import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { isSecretShaped } from '../diagnostics/diagnostic.js';

/** `{ file }` or `{ env }`: the schema guarantees exactly one (the generated type cannot say so). */
export type SecretReference = { file?: string; env?: string };

const PASTED_FILE = 'no such file, and this looks like the secret itself rather than a path (not repeated here)';
const PASTED_ENV = 'no such environment variable, and this looks like the secret itself rather than a name (not repeated here)';

/** Secrets and keys are small; a bound keeps a wrong path (a disk image, /dev/zero) from being read whole. */
export const MAX_SECRET_BYTES = 1024 * 1024;

export type SecretLookup =
  | { ok: true; value: string; bytes: Buffer; origin: { kind: 'file'; file: string } | { kind: 'env'; env: string } }
  | { ok: false; problem: 'missing-file' | 'not-a-file' | 'unreadable' | 'too-large' | 'unset-env' | 'empty'; message: string; hint: string };

/**
 * Reads what the manifest references: `{ file }` relative to the manifest's folder, `{ env }` from the environment.
 * Lazy and cached, so validation and normalization read each file once. Messages never hold a secret's value.
 */
export class SecretReader {
  private readonly cache = new Map<string, SecretLookup>();

  constructor(
    /** Folder of the manifest: `file` references are relative to it. */
    readonly baseDir: string,
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  read(ref: SecretReference): SecretLookup {
    const key = ref.file !== undefined ? `file:${ref.file}` : `env:${ref.env ?? ''}`;
    let found = this.cache.get(key);
    if (!found) {
      found = ref.file !== undefined ? this.readFile(ref.file) : this.readEnv(ref.env ?? '');
      this.cache.set(key, found);
    }
    return found;
  }

  /** Absolute path of a file reference (for messages: the path relative to the manifest is what the user wrote). */
  resolve(file: string): string {
    return isAbsolute(file) ? file : resolve(this.baseDir, file);
  }

  private readFile(file: string): SecretLookup {
    const path = this.resolve(file);
    // One descriptor for the look and the read (a fleet references a credential file per host: tens of thousands of
    // stat calls saved). O_NONBLOCK: a FIFO or a device opens without waiting for a writer, and is refused by its fstat
    // before a byte is read; O_NOCTTY: a terminal never becomes fleetgen's. A file that cannot be opened is looked at
    // by path, which tells a missing file from an unreadable one.
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    } catch {
      return this.readFileByPath(file, path);
    }
    try {
      return this.readOpened(file, fstatSync(fd), () => readFileSync(fd));
    } finally {
      closeSync(fd);
    }
  }

  /** What readFile says of a file it could not open: missing, not a file, or unreadable. */
  private readFileByPath(file: string, path: string): SecretLookup {
    let stat: Stats;
    try {
      stat = statSync(path);
    } catch {
      if (isSecretShaped(file)) {
        // Not repeated: most likely the secret itself, pasted where its file's path belongs.
        return { ok: false, problem: 'missing-file', message: PASTED_FILE, hint: 'put the secret in a file beside the manifest (e.g. under secrets/) and write that path here' };
      }
      const shown = isAbsolute(file) ? file : relative(process.cwd(), path) || path;
      return {
        ok: false,
        problem: 'missing-file',
        message: `file ${JSON.stringify(file)} does not exist (looked for ${shown})`,
        hint: 'paths are relative to the manifest; create the file or fix the path',
      };
    }
    return this.readOpened(file, stat, () => readFileSync(path));
  }

  /** A file found: refused unless it is a regular file of a secret's size, then read. */
  private readOpened(file: string, stat: Stats, read: () => Buffer): SecretLookup {
    if (!stat.isFile()) return { ok: false, problem: 'not-a-file', message: `${JSON.stringify(file)} is not a regular file`, hint: 'reference the file itself' };
    if (stat.size > MAX_SECRET_BYTES) {
      return { ok: false, problem: 'too-large', message: `file ${JSON.stringify(file)} is ${stat.size} bytes, more than a secret or key file can be (${MAX_SECRET_BYTES})`, hint: 'check that the path names the right file' };
    }
    let bytes: Buffer;
    try {
      bytes = read();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      return { ok: false, problem: 'unreadable', message: `file ${JSON.stringify(file)} cannot be read (${code})`, hint: 'check its permissions' };
    }
    if (bytes.length === 0) return { ok: false, problem: 'empty', message: `file ${JSON.stringify(file)} is empty`, hint: 'put the secret in it, or fix the path' };
    return { ok: true, value: bytes.toString('utf8'), bytes, origin: { kind: 'file', file } };
  }

  private readEnv(name: string): SecretLookup {
    const value = this.env[name];
    if (value === undefined && isSecretShaped(name)) {
      return { ok: false, problem: 'unset-env', message: PASTED_ENV, hint: "write the variable's name here (e.g. KIOSK17_TUNNEL_TOKEN) and set that variable to the secret" };
    }
    if (value === undefined) {
      return { ok: false, problem: 'unset-env', message: `environment variable ${name} is not set`, hint: `export ${name} before running fleetgen` };
    }
    if (value === '') return { ok: false, problem: 'empty', message: `environment variable ${name} is empty`, hint: `set ${name} to the secret` };
    return { ok: true, value, bytes: Buffer.from(value, 'utf8'), origin: { kind: 'env', env: name } };
  }
}
