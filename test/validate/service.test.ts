import { describe, expect, it } from 'vitest';
import { parseService } from '../../src/validate/service.js';

describe('parseService', () => {
  it.each([
    ['ssh://localhost:22', { kind: 'ssh', scheme: 'ssh', host: 'localhost', port: 22 }],
    ['ssh://localhost', { kind: 'ssh', scheme: 'ssh', host: 'localhost', port: 22 }],
    ['http://localhost:8080', { kind: 'http', scheme: 'http', host: 'localhost', port: 8080 }],
    ['https://origin.internal', { kind: 'http', scheme: 'https', host: 'origin.internal', port: 443 }],
    ['ws://localhost', { kind: 'http', scheme: 'ws', host: 'localhost', port: 80 }],
    ['wss://localhost', { kind: 'http', scheme: 'wss', host: 'localhost', port: 443 }],
    ['rdp://10.0.0.5', { kind: 'tcp', scheme: 'rdp', host: '10.0.0.5', port: 3389 }],
    ['smb://files', { kind: 'tcp', scheme: 'smb', host: 'files', port: 445 }],
    ['tcp://localhost:5432', { kind: 'tcp', scheme: 'tcp', host: 'localhost', port: 5432 }],
    ['HTTP://localhost:80', { kind: 'http', scheme: 'http', host: 'localhost', port: 80 }],
    ['ssh://[::1]:2222', { kind: 'ssh', scheme: 'ssh', host: '::1', port: 2222 }],
  ])('reads %s as a URL service', (service, expected) => {
    expect(parseService(service)).toEqual({ ok: true, ...expected });
  });

  it.each([
    ['http_status:404', { kind: 'status', status: 404 }],
    ['http_status:100', { kind: 'status', status: 100 }],
    ['http_status:999', { kind: 'status', status: 999 }],
    ['hello_world', { kind: 'builtin' }],
    ['bastion', { kind: 'builtin' }],
    ['socks-proxy', { kind: 'builtin' }],
    ['unix:/run/app.sock', { kind: 'unix', scheme: 'unix', socketPath: '/run/app.sock' }],
    ['unix+tls:/run/app.sock', { kind: 'unix', scheme: 'unix+tls', socketPath: '/run/app.sock' }],
  ])('reads %s as cloudflared does', (service, expected) => {
    expect(parseService(service)).toEqual({ ok: true, ...expected });
  });

  it('parses each service once, and hands out the same frozen answer (validation and normalization share it)', () => {
    const first = parseService('ssh://localhost:22');
    expect(parseService('ssh://localhost:22')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(parseService('localhost:22'))).toBe(true);
  });

  it('suggests the scheme for a bare host:port from the port', () => {
    expect(parseService('localhost:22')).toEqual({ ok: false, code: 'ingress.service-no-scheme', message: '"localhost:22" has no scheme', hint: 'write "ssh://localhost:22"' });
    expect(parseService('localhost:3389')).toMatchObject({ hint: 'write "rdp://localhost:3389"' });
    expect(parseService('localhost:445')).toMatchObject({ hint: 'write "smb://localhost:445"' });
    expect(parseService('localhost:8080')).toMatchObject({ hint: 'write "http://localhost:8080"' });
    expect(parseService('localhost')).toMatchObject({ hint: 'write "http://localhost"' });
  });

  it('rejects an unknown scheme that cloudflared would accept, suggesting the closest one', () => {
    expect(parseService('sshh://localhost:22')).toMatchObject({ ok: false, code: 'ingress.service-scheme', hint: expect.stringContaining('did you mean "ssh://localhost:22"?') });
    expect(parseService('htps://localhost')).toMatchObject({ ok: false, code: 'ingress.service-scheme', hint: expect.stringContaining('"https://localhost"') });
  });

  it.each(['http://localhost:8080/', 'http://localhost:8080/app', 'ssh://localhost/'])('rejects a path, even "/" (%s)', (service) => {
    expect(parseService(service)).toMatchObject({ ok: false, code: 'ingress.service-path', hint: expect.stringMatching(/^drop the path: write "[a-z]+:\/\/localhost(:8080)?"$/) });
  });

  it.each([
    ['http://localhost?x=1', 'ingress.service-url'],
    ['http://localhost#top', 'ingress.service-url'],
    ['ssh://root@localhost', 'ingress.service-url'],
    ['ssh://localhost:0', 'ingress.service-port'],
    ['ssh://localhost:65536', 'ingress.service-port'],
    ['ssh://localhost:ssh', 'ingress.service-host'],
    ['ssh://localhost:', 'ingress.service-host'],
    ['ssh://', 'ingress.service-host'],
    ['ssh://::1', 'ingress.service-host'],
    ['tcp://localhost', 'ingress.service-port'],
    ['http_status:99', 'ingress.service-status'],
    ['http_status:1000', 'ingress.service-status'],
    ['http_status:abc', 'ingress.service-status'],
    ['unix:run/app.sock', 'ingress.service-unix'],
    ['unix:', 'ingress.service-unix'],
    ['hello-world', 'ingress.service-unknown'],
    ['ssh:localhost:22', 'ingress.service-no-scheme'],
    [' ssh://localhost', 'ingress.service-invalid'],
    ['not a service', 'ingress.service-invalid'],
  ])('rejects %s (%s)', (service, code) => {
    expect(parseService(service)).toMatchObject({ ok: false, code });
  });
});
