import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_SECRET_BYTES, readSecretFileAhead, SecretReader, type PrefetchedSecretFiles, type SecretLookup } from '../../src/load/secrets.js';

describe('SecretReader: file references', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetgen-secrets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const read = (file: string): SecretLookup => new SecretReader(dir, {}).read({ file });
  const problem = (lookup: SecretLookup): string => (lookup.ok ? 'ok' : `${lookup.problem}: ${lookup.message}`);

  it('reads a file relative to the manifest, through a link too', () => {
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets', 'web-1.json'), '{"a":1}\n');
    symlinkSync('web-1.json', join(dir, 'secrets', 'link.json'));
    for (const file of ['secrets/web-1.json', 'secrets/link.json', join(dir, 'secrets', 'web-1.json')]) {
      const lookup = read(file);
      expect(lookup.ok && [lookup.value, lookup.bytes.toString('utf8'), lookup.origin]).toEqual(['{"a":1}\n', '{"a":1}\n', { kind: 'file', file }]);
    }
  });

  it('says a file is missing, and where it looked', () => {
    expect(problem(read('secrets/none.json'))).toMatch(/^missing-file: file "secrets\/none\.json" does not exist \(looked for .*secrets\/none\.json\)$/);
    writeFileSync(join(dir, 'plain'), 'x');
    expect(problem(read('plain/below.json'))).toMatch(/^missing-file: file "plain\/below\.json" does not exist/);
  });

  it('refuses a folder and a FIFO without reading them (a FIFO with no writer would block a read forever)', () => {
    mkdirSync(join(dir, 'folder'));
    expect(problem(read('folder'))).toBe('not-a-file: "folder" is not a regular file');
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    expect(problem(read('pipe'))).toBe('not-a-file: "pipe" is not a regular file');
    expect(problem(read('/dev/null'))).toBe('not-a-file: "/dev/null" is not a regular file');
  });

  it('refuses a file larger than a secret can be, and an empty one', () => {
    writeFileSync(join(dir, 'big'), '');
    truncateSync(join(dir, 'big'), MAX_SECRET_BYTES + 1);
    expect(problem(read('big'))).toBe(`too-large: file "big" is ${MAX_SECRET_BYTES + 1} bytes, more than a secret or key file can be (${MAX_SECRET_BYTES})`);
    truncateSync(join(dir, 'big'), MAX_SECRET_BYTES);
    expect(read('big').ok).toBe(true);
    writeFileSync(join(dir, 'empty'), '');
    expect(problem(read('empty'))).toBe('empty: file "empty" is empty');
  });

  it('reads each file once per reader', () => {
    writeFileSync(join(dir, 'k'), 'one');
    const reader = new SecretReader(dir, {});
    const first = reader.read({ file: 'k' });
    writeFileSync(join(dir, 'k'), 'two');
    expect(reader.read({ file: 'k' })).toBe(first);
  });
});

describe('SecretReader: files read ahead, and the files it read', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetgen-secrets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Bytes by absolute path, each handed out once (what write/secret-prefetch.ts does with the thread's batches). */
  function readAhead(files: Record<string, string>): PrefetchedSecretFiles & { taken: string[] } {
    const ahead = new Map(Object.entries(files).map(([path, text]) => [path, Buffer.from(text)]));
    const taken: string[] = [];
    return {
      taken,
      take(path) {
        const bytes = ahead.get(path);
        if (bytes !== undefined) taken.push(path);
        ahead.delete(path);
        return bytes;
      },
    };
  }

  it('uses the bytes read ahead for a path instead of reading it, and reads every other file itself', () => {
    writeFileSync(join(dir, 'a'), 'on disk a');
    writeFileSync(join(dir, 'b'), 'on disk b');
    const ahead = readAhead({ [join(dir, 'a')]: 'read ahead a' });
    const reader = new SecretReader(dir, {}, ahead);
    const a = reader.read({ file: 'a' });
    expect(a.ok && [a.value, a.bytes.toString(), a.origin]).toEqual(['read ahead a', 'read ahead a', { kind: 'file', file: 'a' }]);
    expect(reader.read({ file: 'b' })).toMatchObject({ ok: true, value: 'on disk b' });
    // Handed out once: another spelling of the same path is read from disk.
    expect(reader.read({ file: './a' })).toMatchObject({ ok: true, value: 'on disk a' });
    expect(ahead.taken).toEqual([join(dir, 'a')]);
  });

  it('lists the files it read, by absolute path in the order first read, and none it could not read', () => {
    writeFileSync(join(dir, 'a'), 'a');
    writeFileSync(join(dir, 'b'), 'b');
    writeFileSync(join(dir, 'empty'), '');
    const reader = new SecretReader(dir, { TOKEN: 't' }, readAhead({ [join(dir, 'b')]: 'b' }));
    for (const file of ['b', 'missing', 'empty', 'a', './b', join(dir, 'a')]) reader.read({ file });
    reader.read({ env: 'TOKEN' });
    expect(reader.filesRead).toEqual([join(dir, 'b'), join(dir, 'a')]);
  });

  it('reads ahead exactly the files the reader reads, and nothing it refuses', () => {
    writeFileSync(join(dir, 'k'), 'key');
    mkdirSync(join(dir, 'folder'));
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    writeFileSync(join(dir, 'empty'), '');
    writeFileSync(join(dir, 'big'), '');
    truncateSync(join(dir, 'big'), MAX_SECRET_BYTES + 1);
    writeFileSync(join(dir, 'largest'), '');
    truncateSync(join(dir, 'largest'), MAX_SECRET_BYTES);
    const answers = ['k', 'folder', 'pipe', 'empty', 'big', 'largest', 'missing', '/dev/null'].map((file) => {
      const lookup = new SecretReader(dir, {}).read({ file });
      const ahead = readSecretFileAhead(resolve(dir, file));
      // (Buffer.equals: a deep comparison of a megabyte takes seconds.)
      return [file, lookup.ok, ahead !== undefined && lookup.ok && ahead.equals(lookup.bytes)];
    });
    expect(answers).toEqual([
      ['k', true, true],
      ['folder', false, false],
      ['pipe', false, false],
      ['empty', false, false],
      ['big', false, false],
      ['largest', true, true],
      ['missing', false, false],
      ['/dev/null', false, false],
    ]);
  });
});
