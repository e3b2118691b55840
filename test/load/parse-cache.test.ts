import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { isPlainData, ParseCache } from '../../src/load/parse-cache.js';

/** The same value in every way v8 tells apart: types, key order, own `__proto__` keys, -0. */
const expectSameValue = (actual: unknown, expected: unknown): void => expect(serialize(actual).equals(serialize(expected))).toBe(true);

/** What a later run finds for `value` remembered by this one. */
function rememberedOnce(value: unknown): { value: unknown } | undefined {
  const first = new ParseCache();
  first.remember('key', value);
  return new ParseCache(first.entries()).lookup('key');
}

function withProtoKey(): Record<string, unknown> {
  const value: Record<string, unknown> = { name: 'a' };
  Object.defineProperty(value, '__proto__', { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
  return value;
}

describe('a parse remembered for the next run', () => {
  const plain: unknown[] = [
    { name: 'host-1', port: 8080, ratio: 0.5, big: 1e21, tags: ['a', 'b'], enabled: true, none: null, nested: { deep: [[1, 2], {}] } },
    { 10: 'ten', 2: 'two', b: 1, a: 2 },
    withProtoKey(),
    { text: 'é \u2028 "quoted" \\ \n\t', lone: '\ud800', emoji: '🙂' },
    [],
    'a string',
    42,
    null,
  ];

  it('is the value that was remembered, in every way, and a fresh copy at each lookup', () => {
    for (const value of plain) {
      expect(isPlainData(value)).toBe(true);
      const found = rememberedOnce(value);
      expect(found).toBeDefined();
      expectSameValue(found?.value, value);
    }
    const first = new ParseCache();
    first.remember('key', { tags: ['a'] });
    const later = new ParseCache(first.entries());
    (later.lookup('key')?.value as { tags: string[] }).tags.push('changed');
    expect(later.lookup('key')?.value).toEqual({ tags: ['a'] });
  });

  it('keeps an own __proto__ key as an own key, never as the prototype', () => {
    const found = rememberedOnce(withProtoKey())?.value as Record<string, unknown>;
    expect(Object.keys(found)).toEqual(['name', '__proto__']);
    expect(Object.getPrototypeOf(found)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(found, '__proto__')?.value).toEqual({ polluted: true });
  });

  it('is not kept when JSON would not give it back exactly: that text is parsed on every run', () => {
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    const inexact: unknown[] = [NaN, Infinity, -Infinity, -0, undefined, { a: -0 }, [1, NaN], { a: undefined }, new Date(0), new Map(), Object.create(null), sparse, 10n, Symbol('s'), () => 1];
    for (const value of inexact) {
      expect(isPlainData(value)).toBe(false);
      const cache = new ParseCache();
      cache.remember('key', value);
      expect(cache.isChanged).toBe(false);
      expect(cache.lookup('key')).toBeUndefined();
    }
  });

  it('is ignored when its remembered text is damaged: that text is parsed again', () => {
    const cache = new ParseCache(new Map([['key', '{"name": "host-1"']]));
    expect(cache.lookup('key')).toBeUndefined();
    cache.remember('key', { name: 'host-1' });
    expect(cache.lookup('key')?.value).toEqual({ name: 'host-1' });
  });
});
