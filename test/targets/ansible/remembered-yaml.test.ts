import { describe, expect, it } from 'vitest';
import { Scalar } from 'yaml';
import { ansibleYaml, rememberedAnsibleYaml, unsafe } from '../../../src/targets/ansible/ansible-yaml.js';

describe('rememberedAnsibleYaml (one rendering per distinct profile, not per host)', () => {
  it('gives exactly the bytes ansibleYaml gives, the first time and again', () => {
    const data = () => ({ a: unsafe('{{ x }}'), list: [unsafe('yes'), true, 3], nested: { b: unsafe('line\nbreak') } });
    const expected = ansibleYaml(data(), ['a comment']);
    expect(rememberedAnsibleYaml(data(), ['a comment'])).toBe(expected);
    expect(rememberedAnsibleYaml(data(), ['a comment'])).toBe(expected);
  });

  it('tells apart inputs that differ only in a tag, a quoting style, a comment or where a key is', () => {
    const plain = { value: 'yes' };
    const tagged = { value: unsafe('yes') };
    const quoted = { value: Object.assign(new Scalar('yes'), { type: Scalar.QUOTE_SINGLE }) };
    const reordered = [{ a: unsafe('1'), b: unsafe('2') }, { b: unsafe('2'), a: unsafe('1') }];
    for (const [x, y] of [
      [plain, tagged],
      [tagged, quoted],
      [reordered[0], reordered[1]],
    ]) {
      expect(rememberedAnsibleYaml(x)).toBe(ansibleYaml(x));
      expect(rememberedAnsibleYaml(y)).toBe(ansibleYaml(y));
      expect(rememberedAnsibleYaml(x)).not.toBe(rememberedAnsibleYaml(y));
    }
    expect(rememberedAnsibleYaml(tagged, ['one'])).not.toBe(rememberedAnsibleYaml(tagged, ['two']));
    expect(rememberedAnsibleYaml({ value: undefined, other: unsafe('') })).toBe(ansibleYaml({ value: undefined, other: unsafe('') }));
  });
});
