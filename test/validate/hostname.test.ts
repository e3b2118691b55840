import { describe, expect, it } from 'vitest';
import { checkHostname } from '../../src/validate/hostname.js';
import { isCatchAllRule } from '../../src/validate/ingress.js';

describe('checkHostname', () => {
  it.each([
    ['store-1.example.com', false],
    ['example.com', false],
    ['a.b.example.com', false],
    ['*.example.com', true],
    ['*.stores.example.com', true],
  ])('accepts %s', (hostname, isWildcard) => {
    expect(checkHostname(hostname, 'example.com')).toEqual({ ok: true, isWildcard });
  });

  it.each([
    ['web.example.com:443', 'ingress.hostname-port', 'drop the port: write "web.example.com"'],
    ['Web.example.com', 'ingress.hostname-case', 'write it in lowercase: "web.example.com"'],
    ['*.*.example.com', 'ingress.hostname-wildcard', undefined],
    ['web.*.example.com', 'ingress.hostname-wildcard', undefined],
    ['*example.com', 'ingress.hostname-wildcard', undefined],
    ['web.example.org', 'ingress.hostname-outside-zone', undefined],
    ['badexample.com', 'ingress.hostname-outside-zone', undefined],
    ['-web.example.com', 'ingress.hostname-invalid', undefined],
    ['web..example.com', 'ingress.hostname-invalid', undefined],
    [`${'a'.repeat(64)}.example.com`, 'ingress.hostname-invalid', undefined],
    ['https://web.example.com', 'ingress.hostname-invalid', 'write only the name: "web.example.com"'],
    ['', 'ingress.hostname-invalid', undefined],
  ])('rejects %j', (hostname, code, hint) => {
    expect(checkHostname(hostname, 'example.com')).toMatchObject({ ok: false, code, ...(hint ? { hint } : {}) });
  });
});

describe('isCatchAllRule', () => {
  it('is hostname "*", or a rule with neither hostname nor path that answers with a status', () => {
    expect(isCatchAllRule({ hostname: '*', service: 'http://localhost:8080' })).toBe(true);
    expect(isCatchAllRule({ service: 'http_status:404' })).toBe(true);
  });

  it('is not a hostname-less rule with a real service (it gets a generated hostname), nor one with a path', () => {
    expect(isCatchAllRule({ service: 'ssh://localhost:22' })).toBe(false);
    expect(isCatchAllRule({ path: '^/x', service: 'http_status:404' })).toBe(false);
    expect(isCatchAllRule({ hostname: 'web.example.com', service: 'http_status:404' })).toBe(false);
  });
});
