import { describe, expect, it } from 'vitest';
import { base64Problem, decodeTunnelToken, isStandardBase64, parseCredentials } from '../../src/validate/tunnel-secrets.js';

const TUNNEL = '6ff42ae2-765d-4adf-8112-31c55c1551ef';
const ACCOUNT = 'fake0account0tag0000000000000000';
const SECRET = Buffer.alloc(32, 7).toString('base64');
const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');

describe('isStandardBase64', () => {
  it.each(['', 'YQ==', 'YWI=', 'YWJj', 'a+b/', SECRET])('accepts %j', (text) => expect(isStandardBase64(text)).toBe(true));
  it.each(['YQ', 'YQ=', 'Y===', 'a-b_', 'YWJj\n', 'YW=j'])('rejects %j', (text) => expect(isStandardBase64(text)).toBe(false));

  it('tells URL-safe base64 and missing padding apart from garbage', () => {
    expect(base64Problem('a-b_')).toMatch(/URL-safe/);
    expect(base64Problem('YQ')).toMatch(/padding/);
    expect(base64Problem('not base64!')).toBe('is not base64');
  });
});

describe('decodeTunnelToken', () => {
  const token = encode({ a: ACCOUNT, t: TUNNEL, s: SECRET });

  it('returns the account and tunnel of a token', () => {
    expect(decodeTunnelToken(token)).toEqual({ ok: true, accountTag: ACCOUNT, tunnelId: TUNNEL });
  });

  it('accepts the optional endpoint and ignores surrounding whitespace (a token file ends with a newline)', () => {
    expect(decodeTunnelToken(`${encode({ a: ACCOUNT, t: TUNNEL, s: SECRET, e: 'fed' })}\n`)).toMatchObject({ ok: true, tunnelId: TUNNEL });
  });

  it('rejects URL-safe base64, which cloudflared does not decode', () => {
    const urlSafe = encode({ a: 'fake???account', t: TUNNEL, s: SECRET }).replace(/\+/g, '-').replace(/\//g, '_');
    expect(urlSafe).toMatch(/[-_]/);
    expect(decodeTunnelToken(urlSafe)).toMatchObject({ ok: false, message: expect.stringMatching(/URL-safe/) });
  });

  it.each([
    [{ t: TUNNEL, s: SECRET }, /without "a"/],
    [{ a: ACCOUNT, s: SECRET }, /without "t"/],
    [{ a: ACCOUNT, t: TUNNEL }, /without "s" \(a non-empty string\)/],
    [{ a: '', t: TUNNEL, s: '' }, /without "a", "s" \(non-empty strings\)/],
    [{ a: ACCOUNT, t: 'tunnel-1', s: SECRET }, /not a UUID/],
    [{ a: ACCOUNT, t: TUNNEL, s: 'not base64!' }, /secret \("s"\) that is not base64/],
    [{ a: ACCOUNT, t: TUNNEL, s: SECRET, e: 1 }, /endpoint/],
    [[ACCOUNT, TUNNEL, SECRET], /not?.*JSON object/],
  ])('rejects a token holding %j', (content, message) => {
    expect(decodeTunnelToken(encode(content))).toMatchObject({ ok: false, message: expect.stringMatching(message) });
  });

  it('never echoes the token in its message', () => {
    const secretish = Buffer.from('{"a": "fake", "t": "oops-TOPSECRET"').toString('base64');
    const result = decodeTunnelToken(secretish);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toMatch(/TOPSECRET|oops/);
  });
});

describe('parseCredentials', () => {
  const credentials = { AccountTag: ACCOUNT, TunnelSecret: SECRET, TunnelID: TUNNEL };

  it('returns the account and tunnel of a credentials file', () => {
    expect(parseCredentials(JSON.stringify(credentials))).toEqual({ ok: true, accountTag: ACCOUNT, tunnelId: TUNNEL });
    expect(parseCredentials(JSON.stringify({ ...credentials, Endpoint: '', Extra: 1 }))).toMatchObject({ ok: true });
  });

  it.each([
    [{ ...credentials, AccountTag: undefined }, /has no AccountTag \(a non-empty string\)/],
    [{ TunnelID: TUNNEL }, /has no AccountTag, TunnelSecret \(non-empty strings\)/],
    [{ ...credentials, TunnelSecret: SECRET.replace(/=+$/, '') }, /TunnelSecret that is base64 with missing or extra "=" padding/],
    [{ ...credentials, TunnelID: 'store-1' }, /TunnelID that is not a UUID \("store-1"\)/],
    [{ ...credentials, Endpoint: 7 }, /Endpoint/],
  ])('rejects %j', (content, message) => {
    expect(parseCredentials(JSON.stringify(content))).toMatchObject({ ok: false, message: expect.stringMatching(message) });
  });

  it('does not repeat a JSON parse error, which would quote the file', () => {
    const result = parseCredentials(`{"TunnelSecret": "${SECRET}", oops}`);
    expect(result).toMatchObject({ ok: false });
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });
});
