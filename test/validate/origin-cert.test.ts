import { describe, expect, it } from 'vitest';
import { parseOriginCert, parsePem } from '../../src/validate/origin-cert.js';

const token = { zoneID: 'fake0zone', accountID: 'fake0account', apiToken: 'FAKE-api-token' };
const block = (type: string, body: string | object): string => {
  const text = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)).toString('base64');
  return `-----BEGIN ${type}-----\n${text.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END ${type}-----\n`;
};

describe('parsePem', () => {
  it('splits blocks and ignores text between them, as Go does', () => {
    const result = parsePem(`junk before\n${block('CERTIFICATE', 'fake')}\nbetween\n${block('ARGO TUNNEL TOKEN', 'x')}`);
    expect(result).toMatchObject({ ok: true, blocks: [{ type: 'CERTIFICATE' }, { type: 'ARGO TUNNEL TOKEN' }] });
  });

  it('reads CRLF line ends', () => {
    expect(parsePem(block('CERTIFICATE', 'fake').replace(/\n/g, '\r\n'))).toMatchObject({ ok: true, blocks: [{ type: 'CERTIFICATE' }] });
  });

  it('rejects a block without its END line, or with another END', () => {
    expect(parsePem('-----BEGIN CERTIFICATE-----\nZmFrZQ==\n')).toMatchObject({ ok: false, message: expect.stringMatching(/without its "-----END CERTIFICATE-----"/) });
    expect(parsePem('-----BEGIN CERTIFICATE-----\nZmFrZQ==\n-----END PRIVATE KEY-----\n')).toMatchObject({ ok: false });
  });

  it('rejects a body that is not base64', () => {
    expect(parsePem('-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n')).toMatchObject({ ok: false, message: expect.stringMatching(/not base64/) });
  });
});

describe('parseOriginCert', () => {
  it('returns the zone and account of a cert.pem', () => {
    expect(parseOriginCert(block('ARGO TUNNEL TOKEN', token))).toEqual({ ok: true, zoneId: 'fake0zone', accountId: 'fake0account' });
  });

  it('tolerates the PRIVATE KEY and CERTIFICATE blocks of older certificates', () => {
    expect(parseOriginCert(block('PRIVATE KEY', 'fake') + block('ARGO TUNNEL TOKEN', token) + block('CERTIFICATE', 'fake'))).toMatchObject({ ok: true });
  });

  it.each([
    ['no blocks', 'plain text', /no PEM blocks/],
    ['another block type', block('EC PRIVATE KEY', 'fake') + block('ARGO TUNNEL TOKEN', token), /type EC PRIVATE KEY/],
    ['no token', block('CERTIFICATE', 'fake'), /no ARGO TUNNEL TOKEN block/],
    ['two tokens', block('ARGO TUNNEL TOKEN', token) + block('ARGO TUNNEL TOKEN', token), /2 ARGO TUNNEL TOKEN blocks/],
    ['a token that is not JSON', block('ARGO TUNNEL TOKEN', 'FAKE-legacy-token'), /not JSON/],
    ['an empty apiToken', block('ARGO TUNNEL TOKEN', { ...token, apiToken: '' }), /without apiToken \(a non-empty string\)/],
    ['no zoneID or accountID', block('ARGO TUNNEL TOKEN', { apiToken: 'FAKE' }), /without zoneID, accountID \(non-empty strings\)/],
  ])('rejects %s', (_, text, message) => {
    expect(parseOriginCert(text)).toMatchObject({ ok: false, message: expect.stringMatching(message) });
  });

  it('never echoes the API token', () => {
    const result = parseOriginCert(block('ARGO TUNNEL TOKEN', { zoneID: '', apiToken: 'FAKE-TOPSECRET' }));
    expect(JSON.stringify(result)).not.toContain('TOPSECRET');
  });
});
