import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatorDigestOf } from '../../src/write/generator-digest.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('generatorDigest', () => {
  it("changes with fleetgen's code, its templates and its schema (what the build cache and the host checks trust)", () => {
    const root = mkdtempSync(join(tmpdir(), 'fleetgen-generator-digest-'));
    made.push(root);
    const files: Record<string, string> = {
      'dist/src/cli/main.js': 'run()',
      'generators/chef/recipe.rb.hbs': 'package "cloudflared"',
      'schemas/fleet.schema.json': '{"type": "object"}',
      'package.json': '{"name": "fleetgen"}',
    };
    const write = (path: string, text: string): void => {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    for (const [path, text] of Object.entries(files)) write(path, text);
    const digest = (): string => generatorDigestOf(join(root, 'dist', 'src'), root);
    const original = digest();
    expect(digest()).toBe(original);
    for (const [path, text] of Object.entries(files)) {
      write(path, `${text} `);
      expect(digest(), path).not.toBe(original);
      write(path, text);
    }
    expect(digest()).toBe(original);
  });
});
