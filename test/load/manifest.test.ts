import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/diagnostics/diagnostic.js';
import { decodeText, parseManifest } from '../../src/load/manifest.js';

const messages = (text: string): string[] => {
  const result = parseManifest(text, 'fleet.yaml');
  return result.ok ? [] : result.diagnostics.map(formatDiagnostic);
};
const value = (text: string): unknown => {
  const result = parseManifest(text, 'fleet.yaml');
  if (!result.ok) throw new Error(result.diagnostics.map(formatDiagnostic).join('\n'));
  return result.manifest.value;
};

describe('parseManifest', () => {
  it('names a duplicate key and points at its second occurrence', () => {
    expect(messages('version: 1\nhosts:\n  - { name: a, name: b }\n')).toEqual([
      'fleet.yaml:3:16: error: duplicate key "name": it appears twice in one mapping — keep one of them; YAML would silently keep only the last',
    ]);
  });

  it('reads YAML 1.2: no, on and 0600 mean what they say', () => {
    expect(value('a: no\nb: on\nc: 0600\nd: yes\n')).toEqual({ a: 'no', b: 'on', c: 600, d: 'yes' });
  });

  it('applies merge keys', () => {
    expect(value('base: &b { x: 1, y: 2 }\nhost:\n  <<: *b\n  y: 3\n')).toEqual({ base: { x: 1, y: 2 }, host: { x: 1, y: 3 } });
  });

  it('refuses a second document', () => {
    expect(messages('version: 1\n---\nversion: 2\n')).toEqual([
      'fleet.yaml:2:1: error: holds more than one YAML document — keep the whole fleet in one document: remove the "---" separator and what follows, or merge the documents',
    ]);
  });

  it('refuses tags instead of guessing what they mean', () => {
    expect(messages('token: !env KIOSK_TOKEN\n')[0]).toMatch(/^fleet\.yaml:1:8: error: .*— fleetgen manifests use no YAML tags; reference secrets as \{ file: … \} or \{ env: … \}$/);
  });

  it('stops an alias bomb at once, without expanding it', () => {
    const levels = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) levels.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const started = performance.now();
    expect(messages(`${levels.join('\n')}\n`)).toEqual([
      'fleet.yaml:1:1: error: expands aliases (*name) more than 200 times — write repeated settings once, in defaults or a group, instead of nesting aliases',
    ]);
    // Not a timing assertion on speed, a guard against expansion: 10^12 nodes would never finish.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('says where a syntax error is', () => {
    expect(messages('version: 1\nhosts: [\n')[0]).toMatch(/^fleet\.yaml:3:1: error: YAML syntax: /);
  });
});

describe('decodeText', () => {
  it('refuses binary data and says where the first NUL byte is', () => {
    expect(decodeText(Buffer.from('version: 1\nab\0c'))).toEqual({ ok: false, message: 'holds binary data (a NUL byte at offset 13)', position: { line: 2, column: 3 } });
  });

  it('refuses invalid UTF-8', () => {
    expect(decodeText(Buffer.from([0x76, 0xff, 0xfe]))).toMatchObject({ ok: false, message: 'is not valid UTF-8 text' });
  });

  it('drops a byte-order mark', () => {
    expect(decodeText(Buffer.from('\ufeffversion: 1', 'utf8'))).toEqual({ ok: true, text: 'version: 1' });
  });
});
