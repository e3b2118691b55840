import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_SECRET_BYTES, SecretReader, type SecretLookup } from '../../src/load/secrets.js';

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
