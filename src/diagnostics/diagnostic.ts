/** A problem in the user's input, located in a file. Internal bugs are InternalError, never a Diagnostic. */
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Stable identifier of the rule, e.g. `ingress.service-scheme`; tests and `--format json` consumers key on it. */
  code: string;
  /** The file as the user named it on the command line (or as the manifest names it, for referenced files). */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Where in the manifest, e.g. `hosts[2].ingress[0].service`; empty for the document as a whole. */
  path: string;
  /** What is wrong. */
  message: string;
  /** What to do about it. */
  hint?: string;
}

/** Thrown when the user's input cannot go further; carries every diagnostic found so far, warnings included. */
export class ManifestError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(`${errors.length} error(s) in the manifest`);
    this.name = 'ManifestError';
    this.diagnostics = sortDiagnostics(diagnostics);
  }
}

/** A bug in fleetgen itself (exit 3), as opposed to a mistake in the input (exit 2). */
export class InternalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InternalError';
  }
}

export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      a.path.localeCompare(b.path) ||
      a.message.localeCompare(b.message),
  );
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `fleet.yaml:14:9: error: hosts[2].ingress[0].service: "localhost:22" has no scheme — write "ssh://localhost:22"` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path ? `${d.path}: ` : '';
  const hint = d.hint ? ` — ${d.hint}` : '';
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${where}${d.message}${hint}`;
}

/** Renders a manifest path: ['hosts', 2, 'ingress', 0, 'service'] → `hosts[2].ingress[0].service`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Quotes a user value for a message, cut short so a 50 MB string cannot flood the terminal. */
export function quote(value: unknown, max = 80): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  const shown = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(shown);
}

/**
 * Whether text written where a file path or a variable name belongs looks like a pasted secret instead (a token,
 * a base64 secret, a JSON or PEM document), so that a message must not repeat it. A path or a variable name has
 * dots, lowercase-only words or uppercase-only words; a random secret mixes cases and digits over many characters.
 */
export function isSecretShaped(text: string): boolean {
  if (/^\s*[{[]|-----BEGIN|[\r\n]/.test(text) || text.startsWith('eyJ')) return true;
  return text.length >= 20 && /^[A-Za-z0-9+/=_-]+$/.test(text) && /[A-Z]/.test(text) && /[a-z]/.test(text) && /[0-9]/.test(text);
}
