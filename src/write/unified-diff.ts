/**
 * A unified diff of two texts (`diff -u` format, 3 lines of context), for `build --dry-run --diff`. Line-based
 * Myers algorithm: small, no dependency, and exact on the short generated files it is used for.
 */
import { InternalError } from '../diagnostics/diagnostic.js';

const CONTEXT = 3;

/** Indexing that cannot be out of range here; a bug if it is. */
function item<T>(array: readonly T[], index: number): T {
  const value = array[index];
  if (value === undefined) throw new InternalError(`unified diff: index ${index} out of range`);
  return value;
}

type Edit = { kind: ' ' | '-' | '+'; line: string };

export function unifiedDiff(oldText: string, newText: string, labels: { from: string; to: string }): string {
  if (oldText === newText) return '';
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const edits = diffLines(a.lines, b.lines);
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  for (const hunk of hunks(edits)) {
    out.push(`@@ -${range(hunk.oldStart, hunk.oldCount)} +${range(hunk.newStart, hunk.newCount)} @@`);
    for (const edit of hunk.edits) {
      out.push(`${edit.kind}${edit.line.text}`);
      if (edit.line.isLastWithoutNewline) out.push('\\ No newline at end of file');
    }
  }
  return out.join('\n') + '\n';
}

interface Line {
  text: string;
  isLastWithoutNewline: boolean;
}

function splitLines(text: string): { lines: Line[] } {
  if (text === '') return { lines: [] };
  const parts = text.split('\n');
  const hasFinalNewline = parts.at(-1) === '';
  if (hasFinalNewline) parts.pop();
  return { lines: parts.map((part, index) => ({ text: part, isLastWithoutNewline: !hasFinalNewline && index === parts.length - 1 })) };
}

interface LineEdit {
  kind: Edit['kind'];
  line: Line;
}

const sameLine = (x: Line, y: Line): boolean => x.text === y.text && x.isLastWithoutNewline === y.isLastWithoutNewline;

/** Myers' O((N+M)·D) shortest edit script, keeping each step's frontier to walk the path back. */
function diffLines(a: Line[], b: Line[]): LineEdit[] {
  const n = a.length;
  const m = b.length;
  const offset = n + m + 1;
  // v[offset + k]: the furthest x reached on diagonal k. Updated in place: step d reads only diagonals of the
  // other parity, which step d-1 wrote.
  const v = new Array<number>(2 * offset + 1).fill(0);
  const trace: number[][] = [];
  search: for (let d = 0; d <= n + m; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && item(v, offset + k - 1) < item(v, offset + k + 1)) ? item(v, offset + k + 1) : item(v, offset + k - 1) + 1;
      let y = x - k;
      while (x < n && y < m && sameLine(item(a, x), item(b, y))) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) break search;
    }
  }
  const edits: LineEdit[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const frontier = item(trace, d);
    const k = x - y;
    const prevK = k === -d || (k !== d && item(frontier, offset + k - 1) < item(frontier, offset + k + 1)) ? k + 1 : k - 1;
    const prevX = item(frontier, offset + prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      edits.push({ kind: ' ', line: item(a, x) });
    }
    if (d > 0) {
      if (x === prevX) edits.push({ kind: '+', line: item(b, prevY) });
      else edits.push({ kind: '-', line: item(a, prevX) });
    }
    x = prevX;
    y = prevY;
  }
  return edits.reverse();
}

interface Hunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  edits: LineEdit[];
}

function hunks(edits: LineEdit[]): Hunk[] {
  const result: Hunk[] = [];
  const changed = edits.map((e, i) => (e.kind === ' ' ? -1 : i)).filter((i) => i >= 0);
  let i = 0;
  while (i < changed.length) {
    let end = item(changed, i);
    let j = i;
    // Merge changes whose contexts touch or overlap.
    while (j + 1 < changed.length && item(changed, j + 1) - end <= 2 * CONTEXT + 1) end = item(changed, ++j);
    const from = Math.max(0, item(changed, i) - CONTEXT);
    const to = Math.min(edits.length, end + CONTEXT + 1);
    let oldLine = 1;
    let newLine = 1;
    for (const e of edits.slice(0, from)) {
      if (e.kind !== '+') oldLine++;
      if (e.kind !== '-') newLine++;
    }
    const slice = edits.slice(from, to);
    result.push({
      oldStart: oldLine,
      oldCount: slice.filter((e) => e.kind !== '+').length,
      newStart: newLine,
      newCount: slice.filter((e) => e.kind !== '-').length,
      edits: slice,
    });
    i = j + 1;
  }
  return result;
}

/** `start,count` as diff prints it: an empty range names the line before it. */
function range(start: number, count: number): string {
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}
