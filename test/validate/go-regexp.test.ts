import { describe, expect, it } from 'vitest';
import { checkGoRegexp } from '../../src/validate/go-regexp.js';

describe('checkGoRegexp', () => {
  it.each(['^/api/', '(?i)^/static/.*\\.(css|js)$', '^/(?P<v>v[0-9]+)/', '^/(?<v>v[0-9]+)/', '\\Q.*\\E', '[[:alpha:]]+', '\\pL', 'a{1000}', '(?U)a+', '\\z'])(
    'accepts %s, which Go accepts',
    (pattern) => {
      expect(checkGoRegexp(pattern)).toEqual({ ok: true });
    },
  );

  it.each([
    ['^/(?=api)', /lookahead/],
    ['^/(?!api)', /lookahead/],
    ['(?<=a)b', /lookbehind/],
    ['(?<!a)b', /lookbehind/],
    ['(a)\\1', /backreferences/],
    ['(?<n>a)\\k<n>', /backreferences/],
  ])('rejects %s with a hint naming what RE2 lacks', (pattern, hint) => {
    const result = checkGoRegexp(pattern);
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({ hint: expect.stringMatching(hint) });
  });

  it.each([
    ['(', 'missing closing ): `(`'],
    ['a{1001}', 'invalid repeat count: `{1001}`'],
    ['a**', 'invalid nested repetition operator: `**`'],
    ['\\Z', 'invalid escape sequence: `\\Z`'],
    ['(?x)a', 'invalid or unsupported Perl syntax: `(?x`'],
    ['(?P<n>a)(?P<n>b)', 'duplicate capture group name: `n`'],
  ])('rejects %s with Go\'s own message', (pattern, message) => {
    expect(checkGoRegexp(pattern)).toMatchObject({ ok: false, message });
  });

  it('rejects a lone surrogate, which is not UTF-8 and so not a Go pattern', () => {
    expect(checkGoRegexp('^/\uD800')).toMatchObject({ ok: false, message: 'invalid UTF-8' });
    expect(checkGoRegexp('^/\u{1F600}')).toEqual({ ok: true });
  });
});
