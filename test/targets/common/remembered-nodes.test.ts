import { describe, expect, it } from 'vitest';
import { Document, isMap, isSeq, type DocumentOptions, type Node, type SchemaOptions, type ToStringOptions, type YAMLSeq } from 'yaml';
import { rememberedNode, type NodeFlags } from '../../../src/targets/common/remembered-nodes.js';
import { rememberStrings } from '../../../src/targets/common/remembered-strings.js';

// A small pool of values, so that documents share them the way hosts share files and steps: flat and nested maps and
// lists, strings that YAML 1.1 or 1.2 would read as something else, block text that keeps its final newlines (|+),
// numbers, booleans and null.
const STRINGS = ['a', 'yes', '0640', 'a: b', '#x', '- x', '', ' lead', 'é', 'line\nnext\n', 'kept\n\n', 'no newline\nat end', `${'word '.repeat(30)}end`];
const SCALARS: unknown[] = [...STRINGS, 0, 7, 1.5, true, false, null];

function pool(next: () => number): unknown[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const value = (depth: number): unknown => {
    const shape = next();
    if (depth > 2 || shape < 0.4) return pick(SCALARS);
    if (shape < 0.7) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
    const map: Record<string, unknown> = {};
    for (let i = Math.floor(next() * 4); i > 0; i--) map[pick(STRINGS).slice(0, 12) || 'k'] = value(depth + 1);
    return map;
  };
  const values: unknown[] = [{ path: '/etc/x', owner: 'root:root', permissions: '0644', content: 'kept\n\n' }, ['set', '-e'], []];
  while (values.length < 12) {
    const made = value(0);
    if (typeof made === 'object' && made !== null) values.push(made);
  }
  return values;
}

const FLAGS: NodeFlags[] = [{}, { flow: true }, { flow: false }, { commentBefore: ' why this step' }, { flow: true, commentBefore: ' two\n lines' }, { commentBefore: '\n after a blank line' }];

interface Placed {
  value: object;
  flags: NodeFlags;
}

/** A document around some of the pool's values: under keys, in block and flow lists, at several depths. */
function layout(next: () => number, values: unknown[]): { shape: number[]; placed: Placed[] } {
  const placed = Array.from({ length: 2 + Math.floor(next() * 5) }, () => ({
    value: values[Math.floor(next() * values.length)] as object,
    flags: FLAGS[Math.floor(next() * FLAGS.length)] as NodeFlags,
  }));
  return { shape: placed.map(() => Math.floor(next() * 6)), placed };
}

function build(shape: number[], placed: Placed[], options: DocumentOptions & SchemaOptions, remembering: boolean): Document {
  const doc = new Document(undefined, options);
  const nodeOf = ({ value, flags }: Placed): Node => {
    if (remembering) return rememberedNode(doc, value, flags);
    const node = doc.createNode(value);
    if (flags.flow !== undefined && (isMap(node) || isSeq(node))) node.flow = flags.flow;
    if (flags.commentBefore !== undefined) node.commentBefore = flags.commentBefore;
    return node;
  };
  const flowList = doc.createNode([]) as YAMLSeq;
  flowList.flow = true;
  // One after another in a block list: an entry that ends in kept newlines (|+) changes how the next one's comment
  // is written.
  const blockList = doc.createNode([]) as YAMLSeq;
  const root: Record<string, unknown> = { top: 'first' };
  placed.forEach((entry, i) => {
    const node = nodeOf(entry);
    switch (shape[i]) {
      case 0:
        root[`key${i}`] = node;
        break;
      case 1:
        root[`list${i}`] = [node, 'after'];
        break;
      case 2:
        root[`deep${i}`] = { inner: [{ deeper: node }] };
        break;
      case 3:
        flowList.items.push(node);
        break;
      case 4:
        blockList.items.push(node);
        break;
      default:
        root[`pair${i}`] = { [`k${i}`]: 'v', value: node };
    }
  });
  root.flow = flowList;
  root.block = blockList;
  root.last = placed[0] === undefined ? null : nodeOf(placed[0]);
  doc.contents = doc.createNode(root);
  // A comment after the document: the library writes it differently after a block scalar that keeps its newlines.
  if (shape[0] !== undefined && shape[0] % 2 === 0) doc.comment = ' end of document';
  return doc;
}

describe('rememberedNode', () => {
  it('writes exactly what the yaml library writes from fresh nodes, wherever the shared value stands', () => {
    let seed = 5;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const settings: [DocumentOptions & SchemaOptions, ToStringOptions][] = [
      [{ version: '1.1', customTags: rememberStrings }, { lineWidth: 0, flowCollectionPadding: false, directives: false }],
      [{ version: '1.1' }, { lineWidth: 0, flowCollectionPadding: false }],
      // The same schema and the same places as the line above: only an option tells them apart.
      [{ version: '1.1' }, { lineWidth: 0, flowCollectionPadding: false, defaultStringType: 'QUOTE_SINGLE' }],
      [{}, { lineWidth: 40, minContentWidth: 10 }],
      [{}, { indent: 4, indentSeq: false }],
      [{ version: '1.1' }, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', collectionStyle: 'flow' }],
    ];
    const values = pool(next);
    let compared = 0;
    for (let i = 0; i < 400; i++) {
      const { shape, placed } = layout(next, values);
      for (const [options, toString] of settings) {
        const expected = build(shape, placed, options, false).toString(toString);
        // Three times: the first meets each value, the second remembers it, the third writes it from memory.
        for (let round = 0; round < 3; round++) expect(build(shape, placed, options, true).toString(toString)).toBe(expected);
        compared++;
      }
    }
    expect(compared).toBe(400 * settings.length);
  });

  it('shares a node only for a value met again with the same flags in a document of the same schema', () => {
    const value = { path: '/usr/local/sbin/shared', owner: 'root:root', content: '#!/bin/sh\nexit 0\n' };
    const make = (flags: NodeFlags = {}, options: DocumentOptions = { version: '1.1' }): Node => rememberedNode(new Document(undefined, options), value, flags);
    const first = make();
    const second = make();
    expect(second).not.toBe(first); // met once: made as usual
    const third = make();
    expect(third).toBe(second); // met again: remembered, then shared
    expect(rememberedNode(new Document(undefined, { version: '1.1' }), { ...value }, {})).toBe(second); // an equal copy
    // Other flags, another schema or another value: another node.
    make({ flow: true });
    expect(make({ flow: true })).not.toBe(second);
    make({}, { version: '1.2' });
    expect(make({}, { version: '1.2' })).not.toBe(second);
    expect(rememberedNode(new Document(undefined, { version: '1.1' }), { ...value, owner: 'root:adm' }, {})).not.toBe(second);
  });

  it('never shares what is not plain data, or what the library would write with an anchor', () => {
    const inner = ['same', 'list'];
    const withAlias = { first: inner, second: inner };
    const withBuffer = { key: Buffer.from('bytes') };
    for (const value of [withAlias, withBuffer]) {
      const nodes = [0, 1, 2].map(() => rememberedNode(new Document(undefined, { version: '1.1' }), value));
      expect(nodes[2]).not.toBe(nodes[1]);
      const doc = new Document(undefined, { version: '1.1' });
      doc.contents = rememberedNode(doc, value) as never;
      expect(doc.toString()).toBe(new Document(value, { version: '1.1' }).toString());
    }
    expect(new Document(withAlias).toString()).toContain('*a1'); // the case guarded: the library aliases a repeated object
  });
});
