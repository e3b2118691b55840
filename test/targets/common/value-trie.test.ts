import { describe, expect, it } from 'vitest';
import { Scalar, YAMLMap } from 'yaml';
import { ValueTrie } from '../../../src/targets/common/value-trie.js';

const scalar = (value: unknown, props: Partial<Scalar> = {}): Scalar => Object.assign(new Scalar(value), props);

describe('ValueTrie', () => {
  it('finds the same slot for an equal value, whatever objects it is made of', () => {
    const trie = new ValueTrie<string>(1000);
    const value = () => ({ path: '/etc/x', mode: '0644', argv: ['a', 1, true, null, undefined], inner: { s: scalar('yes', { tag: '!unsafe' }) } });
    const slot = trie.slot(['schema', 1], value());
    expect(slot).toBeDefined();
    expect(trie.slot(['schema', 1], value())).toBe(slot);
    expect(trie.slot(['schema', 2], value())).not.toBe(slot); // another prefix
  });

  it('keeps every slot where it was when a part gains a second, third, ... next part', () => {
    const trie = new ValueTrie<string>(1000);
    const values: unknown[] = ['a', NaN, 'b', 0, null, undefined, false, ['a'], { a: 'a' }, { a: 'b' }, { b: 'a' }];
    const slots = values.map((value) => trie.slot(['prefix'], value));
    values.forEach((value, i) => expect(trie.slot(['prefix'], value), String(value)).toBe(slots[i]));
    expect(new Set(slots).size).toBe(values.length);
  });

  it('tells apart values that JSON, or a loose comparison, would confuse', () => {
    const trie = new ValueTrie<string>(1000);
    const pairs: [unknown, unknown][] = [
      [0, -0],
      [1, '1'],
      [null, undefined],
      [{ a: undefined }, {}],
      [{ a: 1, b: 2 }, { b: 2, a: 1 }], // the order a serializer writes the keys in
      [['x'], { 0: 'x' }],
      [[['a', 'b']], [['a'], ['b']]], // where a list ends
      [{ ab: 'c' }, { a: 'bc' }],
      ['', []],
      [scalar('yes'), 'yes'],
      [scalar('yes', { tag: '!unsafe' }), scalar('yes')],
      [scalar('yes', { type: Scalar.QUOTE_SINGLE }), scalar('yes', { type: Scalar.QUOTE_DOUBLE })],
      [scalar('yes', { comment: ' c' }), scalar('yes')],
      [scalar('yes', { commentBefore: ' c' }), scalar('yes')],
      [scalar('yes', { spaceBefore: true }), scalar('yes')],
      [scalar(1), scalar('1')],
    ];
    for (const [a, b] of pairs) {
      const slotA = trie.slot([], a);
      const slotB = trie.slot([], b);
      expect(slotA, JSON.stringify([a, b])).toBeDefined();
      expect(slotB, JSON.stringify([a, b])).toBeDefined();
      expect(slotA, JSON.stringify([a, b])).not.toBe(slotB);
      expect(trie.slot([], a)).toBe(slotA);
    }
  });

  it('takes a frozen scalar as itself, and an equal unfrozen one by its parts', () => {
    const trie = new ValueTrie<string>(1000);
    const frozen = Object.freeze(scalar('x', { tag: '!unsafe' }));
    const slot = trie.slot([], [frozen]);
    expect(trie.slot([], [frozen])).toBe(slot);
    expect(trie.slot([], [scalar('x', { tag: '!unsafe' })])).not.toBe(slot);
    expect(trie.slot([], [Object.freeze(scalar('x', { tag: '!unsafe' }))])).not.toBe(slot); // another object: never confused with it
  });

  it('has no slot for what is not plain data or a yaml scalar', () => {
    const trie = new ValueTrie<string>(1000);
    for (const value of [Buffer.from('x'), new Map(), new Date(0), new YAMLMap(), { nested: [new Set()] }, scalar('x', { anchor: 'a' }), () => 1]) {
      expect(trie.slot([], value)).toBeUndefined();
    }
  });

  it('remembers with get() only what is met a second time, as keep() turns it, and never what has no slot', () => {
    const trie = new ValueTrie<{ made: number }>(1000);
    let makes = 0;
    const make = () => ({ made: ++makes });
    const first = trie.get([], { a: 1 }, make);
    const second = trie.get([], { a: 1 }, make);
    expect([first.made, second.made]).toEqual([1, 2]); // met once, then again: made both times
    expect(trie.get([], { a: 1 }, make)).toBe(second); // remembered from the second time on
    expect(makes).toBe(2);
    // keep() may refuse: then it is made every time.
    const refused = () => trie.get([], { b: 1 }, make, () => undefined);
    expect(new Set([refused(), refused(), refused()].map((x) => x.made)).size).toBe(3);
    // No slot (a Buffer): made every time.
    const noSlot = () => trie.get([], { c: Buffer.from('x') }, make);
    expect(noSlot()).not.toBe(noSlot());
    expect(noSlot()).not.toBe(noSlot());
  });

  it('forgets everything met once past its size, and meets it afresh', () => {
    const trie = new ValueTrie<string>(50);
    const first = trie.slot([], { shared: 'value' });
    if (!first) throw new Error('plain data has a slot');
    first.met = true;
    first.value = 'remembered';
    expect(trie.slot([], { shared: 'value' })?.value).toBe('remembered');
    for (let i = 0; i < 40; i++) trie.slot([], { own: `host-${i}` }); // two new parts each
    const again = trie.slot([], { shared: 'value' });
    expect(again?.value).toBeUndefined();
    expect(again?.met).toBeUndefined();
  });
});
