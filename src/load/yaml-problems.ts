/**
 * The YAML library's syntax errors as the user's mistakes. The library reports a mistake where its parser noticed
 * it, often as several errors and at column 1; people need one error at the key they wrote wrong, and what to do.
 */
import { isPair, isScalar, isSeq, visit, type Document, type LineCounter, type Node, type YAMLError } from 'yaml';
import { formatPath, quote, type Diagnostic } from '../diagnostics/diagnostic.js';

interface Explained {
  code: string;
  offset: number;
  message: string;
  hint?: string;
}

/** One diagnostic per mistake: a tab hides every other error (they follow from it), one error per line at most. */
export function explainYamlProblems(problems: readonly YAMLError[], text: string, file: string, lines: LineCounter): Diagnostic[] {
  const tabs = problems.filter((p) => p.code === 'TAB_AS_INDENT');
  const chosen = tabs.length > 0 ? tabs : problems;
  const seenLines = new Set<number>();
  const out: Diagnostic[] = [];
  for (const problem of chosen) {
    const explained = explain(problem, text);
    const { line, col } = lines.linePos(explained.offset);
    if (seenLines.has(line)) continue;
    seenLines.add(line);
    out.push({ severity: 'error', code: explained.code, file, line, column: col, path: '', message: explained.message, ...(explained.hint ? { hint: explained.hint } : {}) });
  }
  return out;
}

function explain(problem: YAMLError, text: string): Explained {
  const offset = problem.pos[0];
  const raw = problem.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').replace(/\s+/g, ' ').trim();
  switch (problem.code as string) {
    case 'DUPLICATE_KEY': {
      const key = keyTokenAt(text, offset).trim();
      return {
        code: 'yaml.duplicate-key',
        offset,
        message: key ? `duplicate key ${quote(key)}: it appears twice in one mapping` : 'duplicate key: a key appears twice in one mapping',
        hint: 'keep one of them; YAML would silently keep only the last',
      };
    }
    case 'TAB_AS_INDENT':
      return { code: 'yaml.tab', offset, message: 'this line is indented with a tab; YAML indents with spaces only', hint: 'replace the tab with spaces' };
    case 'BAD_INDENT':
      return underIndented(text, offset) ?? syntax(offset, raw);
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return overIndented(text, offset) ?? syntax(offset, raw);
    case 'TAG_RESOLVE_FAILED':
    case 'BAD_TAG':
      return { code: 'yaml.tag', offset, message: raw, hint: 'fleetgen manifests use no YAML tags; reference secrets as { file: … } or { env: … }' };
    case 'BAD_ALIAS':
      return { code: 'yaml.alias', offset, message: raw, hint: 'define the anchor (&name) before using it (*name)' };
    default:
      return syntax(offset, raw);
  }
}

function syntax(offset: number, message: string): Explained {
  return { code: 'yaml.syntax', offset, message: `YAML syntax: ${message}`, hint: 'fix the YAML at this position (check indentation, quotes and colons)' };
}

interface SourceLine {
  start: number;
  text: string;
  indent: number;
  /** The mapping key the line starts with (after any "- "), if it is a `key:` line. */
  key?: string;
  /** Where the key starts, as an offset in the line. */
  keyColumn: number;
}

function sourceLines(text: string): SourceLine[] {
  const out: SourceLine[] = [];
  let start = 0;
  for (const lineText of text.split('\n')) {
    const indent = /^ */.exec(lineText)?.[0].length ?? 0;
    const item = /^( *(?:- +)*)([^\s#:][^:#]*?|"[^"]*"|'[^']*'):(?:\s|$)/.exec(lineText);
    out.push({ start, text: lineText, indent, keyColumn: item?.[1]?.length ?? indent, ...(item?.[2] ? { key: item[2] } : {}) });
    start += lineText.length + 1;
  }
  return out;
}

function lineIndexAt(lines: readonly SourceLine[], offset: number): number {
  let index = 0;
  while (index + 1 < lines.length && (lines[index + 1]?.start ?? Infinity) <= offset) index++;
  return index;
}

const isContent = (line: SourceLine): boolean => line.text.trim() !== '' && !line.text.trimStart().startsWith('#');

/**
 * A key indented less than the keys above it in its mapping (but more than the mapping's parent): YAML reports
 * column 1 of the line; the key is what needs moving, by so many spaces.
 */
function underIndented(text: string, offset: number): Explained | undefined {
  const lines = sourceLines(text);
  const at = lineIndexAt(lines, offset);
  const line = lines[at];
  if (!line || !isContent(line)) return undefined;
  let sibling: SourceLine | undefined;
  for (let i = at - 1; i >= 0; i--) {
    const above = lines[i];
    if (!above || !isContent(above)) continue;
    if (above.indent <= line.indent) break;
    if (!sibling || above.indent <= sibling.indent) sibling = above;
  }
  const name = line.key ? quote(line.key) : 'this line';
  if (!sibling) return { code: 'yaml.indentation', offset: line.start + line.indent, message: `${name} is not indented like the lines around it`, hint: 'indent the keys of one mapping by the same number of spaces' };
  return {
    code: 'yaml.indentation',
    offset: line.start + line.indent,
    message: `${name} is indented ${line.indent} ${spaces(line.indent)}, but the keys above it in the same mapping ${sibling.indent}`,
    hint: `indent it with ${sibling.indent} ${spaces(sibling.indent)}${sibling.key ? `, like ${quote(sibling.key)}` : ''}`,
  };
}

/**
 * A key indented more than the key above it: YAML reads it as the rest of that key's value (a multi-line key).
 * The error belongs to the deeper line, not to the value YAML stopped at.
 */
function overIndented(text: string, offset: number): Explained | undefined {
  const lines = sourceLines(text);
  const at = lineIndexAt(lines, offset);
  const line = lines[at];
  if (!line?.key) return undefined;
  for (let i = at + 1; i < lines.length; i++) {
    const below = lines[i];
    if (!below || !isContent(below)) continue;
    if (below.indent <= line.keyColumn) return undefined;
    const name = below.key ? quote(below.key) : 'this line';
    return {
      code: 'yaml.indentation',
      offset: below.start + below.indent,
      message: `${name} is indented more than ${quote(line.key)} above it, so YAML reads it as part of the value of ${quote(line.key)}`,
      hint: `indent it with ${line.keyColumn} ${spaces(line.keyColumn)}, like ${quote(line.key)}`,
    };
  }
  return undefined;
}

function spaces(count: number): string {
  return count === 1 ? 'space' : 'spaces';
}

/** The key written at `offset` (plain, or quoted), for naming it in a message. */
function keyTokenAt(text: string, offset: number): string {
  const match = /^("(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|[^\s:,{}[\]]+)/.exec(text.slice(offset, offset + 256));
  return match?.[1] ?? '';
}

/**
 * An alias whose anchor is not defined: almost always a plain value that starts with "*" (a wildcard hostname),
 * which YAML reads as an alias. Reported where it is written, with the path it is the value of.
 */
export function undefinedAliases(doc: Document, text: string, file: string, lines: LineCounter): Diagnostic[] {
  const out: Diagnostic[] = [];
  visit(doc, {
    Alias(_key, node, ancestors) {
      if (node.resolve(doc) !== undefined) return;
      const [start = 0, end = start] = node.range ?? [];
      const written = text.slice(start, end).trim();
      const { line, col } = lines.linePos(start);
      const path = pathOf([...ancestors, node]);
      out.push({
        severity: 'error',
        code: 'yaml.undefined-alias',
        file,
        line,
        column: col,
        path: formatPath(path),
        message: `${written} is read as a YAML alias (*name) to an anchor that is not defined`,
        hint: `a value that starts with "*" must be quoted: write ${quote(written)}`,
      });
    },
  });
  return out;
}

/** The manifest path of the last node of a visit's ancestor chain. */
function pathOf(chain: readonly unknown[]): (string | number)[] {
  const path: (string | number)[] = [];
  for (const [i, node] of chain.entries()) {
    const child = chain[i + 1];
    if (isPair(node) && isScalar(node.key)) path.push(String(node.key.value));
    else if (isSeq(node) && child !== undefined) path.push(node.items.indexOf(child as Node));
  }
  return path;
}
