import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diagnoseFixture, formatFixture } from './run-fixture.js';

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const invalid = join(fixtures, 'invalid');

describe('invalid fixtures', () => {
  const names = readdirSync(invalid, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

  it('exist', () => {
    expect(names.length).toBeGreaterThan(0);
  });

  for (const name of names) {
    it(`${name} produces exactly the diagnostics in its expected.txt`, () => {
      const dir = join(invalid, name);
      const expected = readFileSync(join(dir, 'expected.txt'), 'utf8').split('\n').filter((line) => line !== '');
      expect(formatFixture(dir)).toEqual(expected);
    });
  }
});

describe('the valid full fixture', () => {
  const dir = join(fixtures, 'valid', 'full');

  it('has no errors', () => {
    expect(diagnoseFixture(dir).filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('warns only that the self-register cert.pem is shared', () => {
    expect(diagnoseFixture(dir).map((d) => d.code)).toEqual(['tunnel.shared-origin-cert']);
  });
});
