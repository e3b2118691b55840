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

/** `file:<path>` or `env:<name>`, as written: what tells references apart (relative paths are relative to the manifest's folder). */
export function referenceKey(ref: SecretReference): string {
  return ref.file !== undefined ? `file:${ref.file}` : `env:${ref.env ?? ''}`;
}

/** The reference a referenceKey names. */
export function referenceOfKey(key: string): SecretReference {
  return key.startsWith('file:') ? { file: key.slice('file:'.length) } : { env: key.slice('env:'.length) };
}

/** What reads a reference: the SecretReader, or a reader that also notes what one host's rules read (host-checks.ts). */
export interface SecretSource {
  read(ref: SecretReference): SecretLookup;
}

/** What a stat says of a file that tells it unchanged (validate/secret-file-answers.ts, FileStamp). */
export type StatTaken = Pick<Stats, 'dev' | 'ino' | 'mode' | 'size' | 'mtimeMs' | 'ctimeMs'>;

/**
 * Secret files a build read ahead on another thread (write/secret-prefetch.ts), each exactly as readFile reads one
 * (readSecretFileAhead): only clean successes, handed over by the absolute path they were read from; and the stats it
 * took of the files the last build knew by their stat.
 */
export interface PrefetchedSecretFiles {
  /** The bytes read ahead from `path`, handed out once; undefined when there are none (not read, or not come yet). */
  take(path: string): Buffer | undefined;
  /**
   * The stat taken ahead of `path` (an absolute path, as resolve() gives it), by this build, since it started:
   * validate/secret-file-answers.ts compares it with the stamp it remembers instead of statting the file itself.
   * Undefined when there is none (not taken, not come yet, or the file could not be statted).
   */
  statOf?(path: string): StatTaken | undefined;
}

/**
 * Reads what the manifest references: `{ file }` relative to the manifest's folder, `{ env }` from the environment.
 * Lazy and cached, so validation and normalization read each file once. Messages never hold a secret's value.
 */
export class SecretReader implements SecretSource {
  private readonly cache = new Map<string, SecretLookup>();
  private readonly pathsRead = new Set<string>();

  constructor(
    /** Folder of the manifest: `file` references are relative to it. */
    readonly baseDir: string,
    private readonly env: Readonly<Record<string, string | undefined>>,
    /** Files a build read ahead: used instead of reading them again; any other file is read here, as without them. */
    private readonly prefetched?: PrefetchedSecretFiles,
  ) {}

  /** The stat of `path` (as resolve() gives it) taken ahead by this build (PrefetchedSecretFiles.statOf), if any. */
  statTakenAhead(path: string): StatTaken | undefined {
    return this.prefetched?.statOf?.(path);
  }

  read(ref: SecretReference): SecretLookup {
    const key = referenceKey(ref);
    let found = this.cache.get(key);
    if (!found) {
      found = ref.file !== undefined ? this.readFile(ref.file) : this.readEnv(ref.env ?? '');
      this.cache.set(key, found);
    }
    return found;
  }

  /** The absolute paths of the files read (each a success), in the order first read: what the next build reads ahead. */
  get filesRead(): readonly string[] {
    return [...this.pathsRead];
  }

  /** Absolute path of a file reference (for messages: the path relative to the manifest is what the user wrote). */
  resolve(file: string): string {
    return isAbsolute(file) ? file : resolve(this.baseDir, file);
  }

  private readFile(file: string): SecretLookup {
    const path = this.resolve(file);
    // Read a moment ago in this same run, by the same steps as below: as good as reading it now. Only successes come
    // that way, so every refusal and its message is this thread's own.
    const prefetched = this.prefetched?.take(path);
    const found = prefetched !== undefined ? fileFound(file, prefetched) : this.readFileHere(file, path);
    if (found.ok) this.pathsRead.add(path);
    return found;
  }

  private readFileHere(file: string, path: string): SecretLookup {
    // One descriptor for the look and the read (a fleet references a credential file per host: tens of thousands of
    // stat calls saved). O_NONBLOCK: a FIFO or a device opens without waiting for a writer, and is refused by its fstat
    // before a byte is read; O_NOCTTY: a terminal never becomes fleetgen's. A file that cannot be opened is looked at
    // by path, which tells a missing file from an unreadable one.
    let fd: number;
    try {
      fd = openSync(path, SECRET_OPEN_FLAGS);
    } catch {
      return this.readFileByPath(file, path);
    }
    try {
      return readOpened(file, fstatSync(fd), () => readFileSync(fd));
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
    return readOpened(file, stat, () => readFileSync(path));
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

const SECRET_OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * The bytes of the secret file at `path` (absolute), read by the very steps SecretReader takes, when they succeed;
 * undefined for anything else, which the reader then meets and reports itself. For a build's second thread, which
 * reads the files the last build read (write/secret-prefetch-worker.ts).
 */
export function readSecretFileAhead(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, SECRET_OPEN_FLAGS);
  } catch {
    return undefined;
  }
  try {
    const found = readOpened('', fstatSync(fd), () => readFileSync(fd));
    return found.ok ? found.bytes : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** A file found: refused unless it is a regular file of a secret's size, then read. */
function readOpened(file: string, stat: Stats, read: () => Buffer): SecretLookup {
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
  return bytes.length === 0 ? { ok: false, problem: 'empty', message: `file ${JSON.stringify(file)} is empty`, hint: 'put the secret in it, or fix the path' } : fileFound(file, bytes);
}

function fileFound(file: string, bytes: Buffer): SecretLookup {
  return { ok: true, value: bytes.toString('utf8'), bytes, origin: { kind: 'file', file } };
}
