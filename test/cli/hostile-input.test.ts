/**
 * Input that is broken or built to hurt: each gets a clear, located error and exit 2, never a stack trace,
 * never a hang (the child is killed after the timeout), and nothing is written.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fleetgen, STACK_FRAME, tempDir } from './fleetgen.js';

const VALID_HEAD = 'version: 1\nfleet: acme\nzone: example.com\n';

/** "Billion laughs": ten levels of nine aliases each expand to 9^9 strings if nothing bounds them. */
function aliasBomb(): string {
  const lines = ['lol0: &lol0 "lol"'];
  for (let level = 1; level <= 9; level++) lines.push(`lol${level}: &lol${level} [${Array(9).fill(`*lol${level - 1}`).join(', ')}]`);
  return `${VALID_HEAD}hosts:\n  - name: web-01\n${lines.map((line) => `x-${line}`).join('\n')}\n`;
}

function writeLargeFile(path: string, bytes: number): void {
  const chunk = Buffer.from(`# ${'padding '.repeat(127)}\n`);
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; written += chunk.length) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}

function binaryBytes(): Buffer {
  const bytes = randomBytes(64 * 1024);
  for (let i = 0; i < bytes.length; i += 97) bytes[i] = 0;
  return bytes;
}

type Setup = (dir: string) => string;

const file =
  (content: string | Buffer): Setup =>
  (dir) => {
    writeFileSync(join(dir, 'fleet.yaml'), content);
    return 'fleet.yaml';
  };

const cases: [name: string, setup: Setup, message: RegExp][] = [
  ['a YAML syntax error', file(`${VALID_HEAD}hosts: [ { name: web-01 \n`), /^fleet\.yaml:\d+:\d+: error: .*YAML syntax/m],
  ['an alias bomb', file(aliasBomb()), /^fleet\.yaml:\d+:\d+: error: .*alias/im],
  [
    'a 50 MB file',
    (dir) => {
      writeLargeFile(join(dir, 'fleet.yaml'), 50 * 1024 * 1024);
      return 'fleet.yaml';
    },
    /^fleet\.yaml:1:1: error: is 50\.\d MiB; a manifest may be at most/m,
  ],
  ['a binary file', file(binaryBytes()), /^fleet\.yaml:\d+:\d+: error: (holds binary data|is not valid UTF-8)/m],
  ['an empty file', file(''), /^fleet\.yaml:1:1: error: the manifest is empty/m],
  ['a list at top level', file('- version: 1\n- fleet: acme\n'), /^fleet\.yaml:1:1: error: the manifest must be a mapping .* but it is a list/m],
  ['duplicate keys', file(`${VALID_HEAD}fleet: other\nhosts:\n  - name: web-01\n`), /^fleet\.yaml:4:1: error: .*duplicate key/m],
  [
    'a host name full of shell and template metacharacters',
    file(`${VALID_HEAD}hosts:\n  - name: "$(rm -rf /); {{ lookup('pipe','id') }} #{\`id\`}"\n    ingress: [ { service: "ssh://localhost:22" } ]\n`),
    /^fleet\.yaml:5:\d+: error: hosts\[0\]\.name: .*does not have the expected form — Host name: a DNS label/m,
  ],
  ['a file that does not exist', () => 'missing.yaml', /^missing\.yaml:1:1: error: does not exist/m],
  [
    'a directory without fleet.yaml',
    (dir) => {
      mkdirSync(join(dir, 'fleet.d'));
      return 'fleet.d';
    },
    /^fleetgen: fleet\.d is a folder with no fleet\.yaml in it — name the manifest file, or start one there with "fleetgen init fleet\.d"$/m,
  ],
];

describe('hostile input', () => {
  it.each(cases)('%s: exit 2, a clear message, no stack trace, no hang', async (_name, setup, message) => {
    const dir = tempDir();
    const manifest = setup(dir);
    const before = readdirSync(dir).sort();
    for (const command of ['validate', 'hosts']) {
      const started = Date.now();
      const result = await fleetgen([command, manifest], { cwd: dir, timeoutMs: 20_000 });
      expect(result.signal, `${command} was killed after ${Date.now() - started} ms`).toBeNull();
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(STACK_FRAME);
      expect(result.stderr).not.toContain('internal error');
      expect(result.stdout).toBe('');
      expect(result.stderr.length).toBeLessThan(4096);
    }
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});
