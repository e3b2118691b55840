import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckedHosts } from '../../src/validate/host-checks.js';
import type { KnownFiles } from '../../src/validate/secret-file-answers.js';
import { CACHE_DIR } from '../../src/write/cache.js';
import { readCheckedHosts, writeCheckedHosts } from '../../src/write/checked-hosts.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function outDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-checked-'));
  made.push(dir);
  return join(dir, 'out');
}

const CHECKED: CheckedHosts = {
  generator: 'g1',
  frame: 'frame-digest',
  hosts: new Map([
    ['entry-1', { answers: 'a1', refs: ['file:secrets/one.json', 'env:TOKEN'] }],
    ['entry-2', { answers: 'a2', refs: [] }],
  ]),
};

const STAMPS: KnownFiles = {
  generator: 'g1',
  reader: '1000:1000:1000,27',
  base: '/fleet',
  files: new Map([
    ['file:secrets/one.json', { answer: 'd1', stamp: { dev: 2049, ino: 77, mode: 0o100600, size: 161, mtimeMs: 1796424281050.7449, ctimeMs: 1796424281051.5 } }],
    ['file:/etc/two.pem', { answer: 'd2', stamp: { dev: 2050, ino: 78, mode: 0o100644, size: 1200, mtimeMs: 1796424281052, ctimeMs: 1796424281053 } }],
  ]),
};

describe('checked.json', () => {
  it('reads back what was written, 0600, in the cache folder', () => {
    const out = outDir();
    writeCheckedHosts(out, { checked: CHECKED, isChanged: true });
    const path = join(out, CACHE_DIR, 'checked.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readCheckedHosts(out)).toEqual(CHECKED);
  });

  it('is not written when nothing changed', () => {
    const out = outDir();
    writeCheckedHosts(out, { checked: CHECKED, isChanged: false });
    expect(readCheckedHosts(out)).toBeUndefined();
  });

  it('is no memory at all when missing, damaged, of another version or out of shape', () => {
    const out = outDir();
    expect(readCheckedHosts(out)).toBeUndefined();
    writeCheckedHosts(out, { checked: CHECKED, isChanged: true });
    const path = join(out, CACHE_DIR, 'checked.json');
    const good = readFileSync(path, 'utf8');
    const bad = [
      good.slice(0, -10),
      good.replace('"version":1', '"version":2'),
      good.replace('"generator":"g1"', '"generator":1'),
      good.replace('["entry-2","a2"]', '["entry-2"]'),
      good.replace('["entry-2","a2"]', '["entry-1","a2"]'),
      good.replace('["entry-2","a2"]', '[2,"a2"]'),
      good.replace('["entry-2","a2"]', '["entry-2",2]'),
      good.replace('"env:TOKEN"', '7'),
      '[]',
    ];
    for (const text of bad) {
      writeFileSync(path, text);
      expect(readCheckedHosts(out), text).toBeUndefined();
    }
  });

  it('keeps the secret files\' stamps apart, written only when they changed, and reads them back', () => {
    const out = outDir();
    writeCheckedHosts(out, { checked: { ...CHECKED, files: { ...STAMPS, isChanged: true } }, isChanged: true });
    const stamps = join(out, CACHE_DIR, 'secret-stamps.json');
    expect(statSync(stamps).mode & 0o777).toBe(0o600);
    expect(readCheckedHosts(out)).toEqual({ ...CHECKED, files: STAMPS });
    // The hosts changed, the stamps did not: only checked.json is written.
    writeFileSync(stamps, readFileSync(stamps, 'utf8').replace('"d1"', '"d1 as it was"'));
    const hosts = new Map([...CHECKED.hosts, ['entry-3', { answers: 'a3', refs: [] }]]);
    writeCheckedHosts(out, { checked: { ...CHECKED, hosts, files: { ...STAMPS, isChanged: false } }, isChanged: true });
    expect(readCheckedHosts(out)?.hosts).toEqual(hosts);
    expect(readCheckedHosts(out)?.files?.files.get('file:secrets/one.json')?.answer).toBe('d1 as it was');
  });

  it('reads stamps without hosts, and hosts without stamps; damaged stamps are no stamps', () => {
    const out = outDir();
    writeCheckedHosts(out, { checked: { ...CHECKED, files: STAMPS }, isChanged: true });
    const checked = join(out, CACHE_DIR, 'checked.json');
    const stamps = join(out, CACHE_DIR, 'secret-stamps.json');
    const good = readFileSync(stamps, 'utf8');
    const bad = [
      good.slice(0, -10),
      good.replace('"version":1', '"version":2'),
      good.replace('"generator":"g1"', '"generator":1'),
      good.replace('"reader":"1000:1000:1000,27",', ''),
      good.replace('"base":"/fleet"', '"base":null'),
      good.replace('"answers":["d1",', '"answers":['),
      good.replace('"refs":["file:secrets/one.json",', '"refs":["file:/etc/two.pem",'),
      good.replace('"refs":["file:secrets/one.json",', '"refs":[7,'),
      good.replace('[2049,', '["2049",'),
      good.replace('[2049,', '[null,'),
      good.replace('[2049,', '['),
      good.replace(',1796424281051.5,', ',"1796424281051.5",'),
      '[]',
    ];
    for (const text of bad) {
      writeFileSync(stamps, text);
      expect(readCheckedHosts(out), text).toEqual(CHECKED);
    }
    writeFileSync(stamps, good);
    writeFileSync(checked, 'damaged');
    expect(readCheckedHosts(out)).toEqual({ generator: '', frame: '', hosts: new Map(), files: STAMPS });
  });

  it('leaves out/ as it was when the cache folder cannot be written', () => {
    const out = outDir();
    mkdirSync(out);
    writeFileSync(join(out, CACHE_DIR), 'a file where the cache folder goes');
    expect(() => writeCheckedHosts(out, { checked: CHECKED, isChanged: true })).not.toThrow();
    expect(readFileSync(join(out, CACHE_DIR), 'utf8')).toBe('a file where the cache folder goes');
  });
});
