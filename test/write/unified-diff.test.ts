import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/write/unified-diff.js';
import { runCommand } from '../support/run-command.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetgen-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Applies a diff with the real `patch` tool; fails loudly when patch is missing. */
async function applyWithPatch(oldText: string, diff: string): Promise<string> {
  const file = join(dir, 'file.txt');
  writeFileSync(file, oldText);
  const result = await runCommand('patch', ['--quiet', '--force', '--no-backup-if-mismatch', file], { input: diff, installHint: 'apt-get install patch' });
  expect(result.status, `${result.stdout}${result.stderr}\n${diff}`).toBe(0);
  return readFileSync(file, 'utf8');
}

/** A small deterministic generator (no Math.random: a failing case must be reproducible). */
function lines(seed: number, count: number): string[] {
  let state = seed;
  const next = (): number => (state = (state * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: count }, () => `line ${next() % 7}`);
}

describe('unifiedDiff', () => {
  it('prints the diff -u format with 3 lines of context', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].join('\n') + '\n';
    const after = ['a', 'b', 'c', 'd', 'E', 'f', 'g', 'h'].join('\n') + '\n';
    expect(unifiedDiff(before, after, { from: 'a/x', to: 'b/x' })).toBe(
      ['--- a/x', '+++ b/x', '@@ -2,7 +2,7 @@', ' b', ' c', ' d', '-e', '+E', ' f', ' g', ' h', ''].join('\n'),
    );
  });

  it('says when the last line has no newline', () => {
    const diff = unifiedDiff('a\nb', 'a\nb\n', { from: 'a/x', to: 'b/x' });
    expect(diff).toContain('-b\n\\ No newline at end of file\n+b\n');
  });

  it('is empty for equal texts', () => {
    expect(unifiedDiff('same\n', 'same\n', { from: 'a', to: 'b' })).toBe('');
  });

  it('produces diffs that patch applies exactly (generated cases, including empty files)', async () => {
    const cases: [string, string][] = [
      ['', 'new\n'],
      ['old\n', ''],
      ['x', 'y'],
    ];
    for (let seed = 1; seed <= 40; seed++) {
      const a = lines(seed, seed % 25);
      const b = lines(seed * 7 + 3, (seed * 3) % 30);
      cases.push([a.join('\n') + '\n', b.join('\n') + (seed % 5 === 0 ? '' : '\n')]);
      // Small edits in a long file: several hunks, merged when close.
      const edited = [...a, ...a, ...a];
      if (edited.length > 10) {
        edited[2] = 'changed';
        edited.splice(edited.length - 3, 1);
        edited.splice(Math.floor(edited.length / 2), 0, 'inserted');
      }
      cases.push([[...a, ...a, ...a].join('\n') + '\n', edited.join('\n') + '\n']);
    }
    for (const [before, after] of cases) {
      const diff = unifiedDiff(before, after, { from: 'a/file.txt', to: 'b/file.txt' });
      if (before === after) continue;
      if (before === '' || after === '') continue; // patch treats creation and deletion specially
      expect(await applyWithPatch(before, diff)).toBe(after);
    }
  });
});
