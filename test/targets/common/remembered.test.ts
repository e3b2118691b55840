import { describe, expect, it } from 'vitest';
import { Remembered } from '../../../src/targets/common/remembered.js';

describe('Remembered', () => {
  it('computes a key once, then gives the same value back', () => {
    const memo = new Remembered<{ text: string }>(4);
    let computed = 0;
    const compute = (text: string) => () => {
      computed++;
      return { text };
    };
    const first = memo.get('a', compute('a'));
    expect(memo.get('a', compute('other'))).toBe(first);
    expect(memo.get('b', compute('b'))).toEqual({ text: 'b' });
    expect(computed).toBe(2);
  });

  it('keeps no more than its bound: keys past it are computed on every call, and the first ones stay remembered', () => {
    const memo = new Remembered<string>(2);
    let computed = 0;
    const upper = (key: string) => () => {
      computed++;
      return key.toUpperCase();
    };
    for (const key of ['a', 'b', 'c', 'c', 'a', 'b']) expect(memo.get(key, upper(key))).toBe(key.toUpperCase());
    // a and b once each; c (past the bound) twice.
    expect(computed).toBe(4);
  });
});
