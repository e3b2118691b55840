import { describe, expect, it } from 'vitest';
import { stableJson } from '../../../src/targets/chef/json.js';
import { seeded } from '../../support/seeded.js';

/** The plain definition: every object's entries sorted by key (undefined ones left out), then JSON.stringify. */
function reference(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, item]) => item !== undefined);
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return Object.fromEntries(entries.map(([key, item]) => [key, sorted(item)]));
    }
    return v;
  };
  return `${JSON.stringify(sorted(value), null, 2)}\n`;
}

/** Keys that order or assign in a way of their own: integer-like ones (which objects list first), __proto__, non-ASCII. */
const KEYS = ['b', 'a', 'B', '__proto__', '10', '2', '01', '-1', 'é', 'z z', '', 'constructor', 'toJSON', '/etc/x.yml'];

function randomValue(next: () => number, depth: number): unknown {
  const pick = next();
  if (depth > 3 || pick < 0.35) {
    const scalars: unknown[] = ['text', '', 0, -0, 1.5, NaN, true, false, null, undefined, 'ünï', Buffer.from('hi')];
    return scalars[Math.floor(next() * scalars.length)];
  }
  if (pick < 0.6) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 6); i > 0; i--) {
    // defineProperty: `__proto__` as an own key, as JSON.parse makes it.
    Object.defineProperty(object, KEYS[Math.floor(next() * KEYS.length)] as string, { value: randomValue(next, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return object;
}

describe('stableJson', () => {
  it('writes what sorting every object by key and JSON.stringify write, for any data', () => {
    const next = seeded(20261205);
    for (let i = 0; i < 3000; i++) {
      const value = randomValue(next, 0);
      expect(stableJson(value)).toBe(reference(value));
    }
  });

  it('sorts keys at every level and leaves the input as it was', () => {
    const input = { b: [{ d: 1, c: undefined, a: 2 }], a: JSON.parse('{"__proto__": {"y": 1, "x": 2}}') as unknown };
    const before = JSON.stringify(input);
    expect(stableJson(input)).toBe('{\n  "a": {\n    "__proto__": {\n      "x": 2,\n      "y": 1\n    }\n  },\n  "b": [\n    {\n      "a": 2,\n      "d": 1\n    }\n  ]\n}\n');
    expect(JSON.stringify(input)).toBe(before);
  });
});
