import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../../src/write/atomic.js';

/** Every openSync call writeFileAtomic makes, to see the mode a temp file is born with. */
const opened = vi.hoisted(() => [] as { path: string; flags: unknown; mode: unknown }[]);
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    openSync: (path: string, flags: unknown, mode: unknown) => {
      opened.push({ path, flags, mode });
      return fs.openSync(path, flags as string, mode as number);
    },
  };
});

const dir = mkdtempSync(join(tmpdir(), 'fleetgen-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('creates the temp file exclusively with mode 0600, so a secret is never readable by others, then sets the exact mode', () => {
    opened.length = 0;
    const secret = join(dir, 'secret.json');
    writeFileAtomic(secret, '{"TunnelSecret":"fake"}\n', { mode: 0o600 });
    writeFileAtomic(join(dir, 'public.txt'), 'hello\n', { mode: 0o644 });
    expect(opened).toHaveLength(2);
    for (const call of opened) {
      expect(call.path.startsWith(dir)).toBe(true);
      expect(call.path).toMatch(/\.tmp$/);
      expect(call.flags).toBe('wx');
      expect(call.mode).toBe(0o600);
    }
    expect(statSync(secret).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'public.txt')).mode & 0o777).toBe(0o644);
  });

  it('removes its temp file and leaves the old content when the rename fails', () => {
    const folder = join(dir, 'rename-fails');
    mkdirSync(join(folder, 'target', 'not-empty'), { recursive: true });
    expect(() => writeFileAtomic(join(folder, 'target'), 'new\n')).toThrow();
    expect(readdirSync(folder)).toEqual(['target']);

    writeFileSync(join(folder, 'kept.txt'), 'old\n');
    // A write into a missing folder fails at open: nothing is left behind either.
    expect(() => writeFileAtomic(join(folder, 'missing', 'x.txt'), 'new\n')).toThrow();
    expect(readdirSync(folder).sort()).toEqual(['kept.txt', 'target']);
    expect(readFileSync(join(folder, 'kept.txt'), 'utf8')).toBe('old\n');
  });

  it('replaces a file whole: the result has the new bytes and nothing of the old', () => {
    const file = join(dir, 'replace.txt');
    writeFileSync(file, 'a much longer old content that must not survive\n');
    writeFileAtomic(file, 'short\n');
    expect(readFileSync(file, 'utf8')).toBe('short\n');
  });
});

describe('writeFileAtomic: text', () => {
  it('writes a string as its UTF-8 bytes, whatever its characters (multi-byte, astral, long)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetgen-atomic-text-'));
    try {
      const text = `é — 𝄞 ${'x'.repeat(200_000)} ü\n`;
      const path = join(dir, 'file.txt');
      writeFileAtomic(path, text, { mode: 0o640 });
      expect(readFileSync(path).equals(Buffer.from(text, 'utf8'))).toBe(true);
      expect(statSync(path).mode & 0o7777).toBe(0o640);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
