import { InternalError } from '../diagnostics/diagnostic.js';

export interface GeneratedFile {
  /** Relative to the output folder, with `/` separators. */
  path: string;
  content: string | Buffer;
  /** Unix mode: 0o644 for most files, 0o600 for anything holding a secret, 0o755 for scripts. */
  mode: number;
  /** Holds secret material: written 0600, never shown in a diff. */
  isSecret: boolean;
  /**
   * Holds secret material readable by anyone who gets the file (clear text, or user-data that must carry it in
   * clear): never committed. The build lists it in a generated .gitignore and `build --check` does not ask for it.
   * Encrypted secrets (Ansible Vault, encrypted data bag items) are secret but may be committed.
   */
  isKeptOutOfGit: boolean;
}

/** The output of one target: path → content, built in memory so tests need no disk. */
export class FileSet {
  private readonly files = new Map<string, GeneratedFile>();

  add(path: string, content: string | Buffer, options: { mode?: number; isSecret?: boolean; isKeptOutOfGit?: boolean } = {}): this {
    if (path.startsWith('/') || path.split('/').some((part) => part === '..' || part === '.' || part === '')) {
      throw new InternalError(`generated path ${JSON.stringify(path)} is not a clean relative path`);
    }
    if (this.files.has(path)) throw new InternalError(`generated path ${JSON.stringify(path)} produced twice`);
    const isKeptOutOfGit = options.isKeptOutOfGit ?? false;
    const isSecret = (options.isSecret ?? false) || isKeptOutOfGit;
    this.files.set(path, { path, content, mode: options.mode ?? (isSecret ? 0o600 : 0o644), isSecret, isKeptOutOfGit });
    return this;
  }

  /** Adds every file of `other` below `prefix`. */
  merge(other: FileSet, prefix = ''): this {
    for (const file of other.list()) this.add(prefix ? `${prefix}/${file.path}` : file.path, file.content, file);
    return this;
  }

  get(path: string): GeneratedFile | undefined {
    return this.files.get(path);
  }

  /** Sorted by path (byte order), so everything built from a FileSet is deterministic. */
  list(): GeneratedFile[] {
    return [...this.files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** `{ path: content }` for snapshot tests (binary content shown as base64). */
  toRecord(): Record<string, string> {
    return Object.fromEntries(
      this.list().map((f) => [f.path, typeof f.content === 'string' ? f.content : `<binary base64:${f.content.toString('base64')}>`]),
    );
  }
}
