import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { formatPath, type Diagnostic, type Severity } from '../diagnostics/diagnostic.js';

export type ManifestPath = readonly (string | number)[];

/** What positions are found in: the parsed document, and the line starts of its text. */
export interface SourcePositions {
  doc: Document | undefined;
  lines: LineCounter;
}

export interface Position {
  line: number;
  column: number;
}

/**
 * Finds where a manifest path stands in the YAML source, so every diagnostic can point at a line and column.
 * A path that does not exist in the source (a missing key, a value reached through a merge key) points at the
 * nearest ancestor that does.
 */
export class SourceMap {
  private readonly positions: () => SourcePositions;

  /**
   * `positions` from the parse of the whole text; or, for a text read without keeping its document (a manifest read
   * host entry by host entry: manifest-entries.ts; a lock file remembered from an earlier build), a function that
   * parses it when a position is first needed.
   */
  constructor(
    readonly file: string,
    positions: SourcePositions | (() => SourcePositions),
    /** Maps the paths it is asked about to paths of the document (see withPathTranslation). */
    private readonly translate: (path: ManifestPath) => ManifestPath = (path) => path,
  ) {
    if (typeof positions === 'function') {
      let parsed: SourcePositions | undefined;
      this.positions = () => (parsed ??= positions());
    } else {
      this.positions = () => positions;
    }
  }

  /**
   * The same source, asked about with the paths of a changed copy of the manifest (one with list items taken
   * out): `translate` turns such a path into the path as written, for positions and for messages alike.
   */
  withPathTranslation(translate: (path: ManifestPath) => ManifestPath): SourceMap {
    return new SourceMap(this.file, this.positions, (path) => translate(this.translate(path)));
  }

  /** Position of the value at `path` (or of its nearest existing ancestor). */
  positionOf(path: ManifestPath): Position {
    return this.offsetToPosition(this.locate(path, 'value'));
  }

  /** Position of the key naming `path` (for "unknown key" and "duplicate" diagnostics), else of its value. */
  keyPositionOf(path: ManifestPath): Position {
    return this.offsetToPosition(this.locate(path, 'key'));
  }

  /**
   * The text of the value at exactly `path` as written, when it is a plain (unquoted) scalar: what the user typed,
   * e.g. `2025.10` where YAML reads the number 2025.1. Undefined for anything else.
   */
  plainScalarAt(path: ManifestPath): string | undefined {
    let node: Node | null | undefined = this.positions().doc?.contents as Node | null | undefined;
    for (const part of this.translate(path)) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
        node = pair?.value as Node | null | undefined;
      } else if (isSeq(node) && typeof part === 'number') {
        node = node.items[part] as Node | undefined;
      } else {
        return undefined;
      }
    }
    return isScalar(node) && node.type === 'PLAIN' && typeof node.source === 'string' ? node.source : undefined;
  }

  offsetToPosition(offset: number): Position {
    const { line, col } = this.positions().lines.linePos(offset);
    return { line, column: col };
  }

  diagnostic(
    severity: Severity,
    code: string,
    path: ManifestPath,
    message: string,
    hint?: string,
    at: 'value' | 'key' = 'value',
  ): Diagnostic {
    const pos = at === 'key' ? this.keyPositionOf(path) : this.positionOf(path);
    return { severity, code, file: this.file, ...pos, path: formatPath(this.translate(path)), message, ...(hint ? { hint } : {}) };
  }

  error(code: string, path: ManifestPath, message: string, hint?: string, at: 'value' | 'key' = 'value'): Diagnostic {
    return this.diagnostic('error', code, path, message, hint, at);
  }

  warning(code: string, path: ManifestPath, message: string, hint?: string, at: 'value' | 'key' = 'value'): Diagnostic {
    return this.diagnostic('warning', code, path, message, hint, at);
  }

  private locate(asked: ManifestPath, want: 'value' | 'key'): number {
    const path = this.translate(asked);
    let node: Node | null | undefined = this.positions().doc?.contents as Node | null | undefined;
    let best = node?.range?.[0] ?? 0;
    for (const [i, part] of path.entries()) {
      if (!node) break;
      const isLast = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
        if (!pair) return best;
        const key = pair.key as Node;
        const value = pair.value as Node | null;
        if (isLast && want === 'key') return key.range?.[0] ?? best;
        node = value;
        best = value?.range?.[0] ?? key.range?.[0] ?? best;
      } else if (isSeq(node) && typeof part === 'number') {
        const item = node.items[part] as Node | undefined;
        if (!item) return best;
        node = item;
        best = item.range?.[0] ?? best;
      } else {
        return best;
      }
    }
    return best;
  }
}
