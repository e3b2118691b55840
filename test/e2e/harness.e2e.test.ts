/**
 * The test bench itself: hosts boot with systemd as PID 1, commands and real SSH reach them, stopping a host
 * leaves nothing behind, the artifact mirror answers inside a guest, and the cloudflared STAND-IN validates
 * ingress the way the tests rely on.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { standInSha256, STAND_IN_SOURCE } from './harness/artifact-mirror.js';
import { mountsBelow } from './harness/mounts.js';
import { CGROUP_PARENT, CGROUP_ROOTS, GUEST_ADMIN_USER, GUEST_MIRROR_URL } from './harness/places.js';
import { runSync, trySync } from './harness/run.js';
import { useSession } from './harness/session.js';
import { isRunning } from './harness/test-host.js';

const session = useSession('harness');

describe('test-host harness', () => {
  it('boots a Debian host with systemd as PID 1, runs commands in it and reaches its sshd with real SSH', async () => {
    const [host] = await session.bootHosts([{ hostname: 'bench-1', label: 'bench-1' }]);
    if (!host) throw new Error('no host');
    expect(host.exec(['cat', '/proc/1/comm']).stdout.trim()).toBe('systemd');
    expect(host.exec(['hostname']).stdout.trim()).toBe('bench-1');
    expect(host.exec(['systemctl', 'is-system-running']).stdout.trim()).toBe('running');
    expect(host.exec(['ip', '-o', 'link']).stdout).not.toMatch(/^\d+: (?!lo:)/m);

    const knownHosts = join(session.workDir, 'known_hosts');
    writeFileSync(knownHosts, `bench-1 ${host.sshHostKey()}\n`);
    const ssh = runSync([
      'ssh', '-F', 'none', '-i', session.run.adminKey, '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes',
      '-o', `ProxyCommand=${host.proxyCommand}`, `${GUEST_ADMIN_USER}@bench-1`, 'sudo -n id -un; hostname',
    ]);
    expect(ssh.stdout.split('\n').slice(0, 2)).toEqual(['root', 'bench-1']);
  });

  it('leaves no process, mount, cgroup or folder behind when a host stops', async () => {
    const [host] = await session.bootHosts([{ hostname: 'bench-2', label: 'bench-2' }]);
    if (!host) throw new Error('no host');
    const pid = host.pid;
    host.stop();
    expect(isRunning(pid)).toBe(false);
    expect(mountsBelow(host.dir)).toEqual([]);
    for (const root of CGROUP_ROOTS) expect(existsSync(join(root, CGROUP_PARENT, host.machine))).toBe(false);
    expect(existsSync(host.dir)).toBe(false);
  });

  it('serves the artifact mirror inside a guest, on loopback', async () => {
    const [host] = await session.bootHosts([{ hostname: 'bench-3', label: 'bench-3' }]);
    if (!host) throw new Error('no host');
    const version = /^VERSION = "([^"]+)"$/m.exec(readFileSync(STAND_IN_SOURCE, 'utf8'))?.[1];
    const sum = host.shell(`curl -fsS ${GUEST_MIRROR_URL}/${version}/cloudflared-linux-amd64 | sha256sum`).stdout.split(' ')[0];
    expect(sum).toBe(standInSha256());
    expect(host.shell(`curl -fsS ${GUEST_MIRROR_URL}/deb/dists/any/InRelease`).stdout).toContain('-----BEGIN PGP SIGNED MESSAGE-----');
  });

  it('has a cloudflared stand-in whose validator accepts what cloudflared accepts and rejects what the tests rely on', async () => {
    const [host] = await session.bootHosts([{ hostname: 'bench-4', label: 'bench-4' }]);
    if (!host) throw new Error('no host');
    writeFileSync(join(host.root, 'root/cloudflared'), readFileSync(STAND_IN_SOURCE), { mode: 0o755 });
    const validate = (config: string): { status: number | null; out: string } => {
      writeFileSync(join(host.root, 'root/config.yml'), config);
      const r = trySync(host.nsenter(['/root/cloudflared', 'tunnel', '--config', '/root/config.yml', 'ingress', 'validate']));
      return { status: r.status, out: r.stdout + r.stderr };
    };
    expect(host.exec(['/root/cloudflared', '--version']).stdout).toMatch(/^cloudflared version \S+ .*stand-in/);
    expect(validate('ingress:\n  - hostname: a.example.com\n    service: ssh://localhost:22\n  - service: http_status:404\n')).toEqual({ status: 0, out: expect.stringContaining('OK') });
    expect(validate('tunnel: x\n').status).toBe(1);
    expect(validate('ingress:\n  - hostname: a.example.com\n    service: ssh://localhost:22\n').out).toContain('last ingress rule must match all');
    expect(validate('ingress:\n  - service: http://localhost:8080/app\n').out).toContain('has a path');
    expect(validate('ingress:\n  - service: sshh://localhost:22\n').out).toContain('unknown scheme');
    // STAND-IN ONLY: port 9 is refused as unreachable, so a test can make a config only the host's validator rejects.
    expect(validate('ingress:\n  - hostname: a.example.com\n    service: http://localhost:9\n  - service: http_status:404\n').out).toContain('STAND-IN ONLY');
  });

  it('has a stand-in `tunnel run` that refuses what cloudflared could not run with, and tells systemd itself when it is ready', async () => {
    const [host] = await session.bootHosts([{ hostname: 'bench-5', label: 'bench-5' }]);
    if (!host) throw new Error('no host');
    const dir = join(host.root, 'srv/probe');
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, 'cloudflared'), readFileSync(STAND_IN_SOURCE), { mode: 0o755 });
    const id = '11111111-2222-4333-8444-555555555555';
    writeFileSync(join(dir, 'named.yml'), `tunnel: ${id}\ncredentials-file: /srv/probe/creds.json\nmetrics: 127.0.0.1:20300\ningress:\n  - service: http_status:404\n`);
    writeFileSync(join(dir, 'creds.json'), JSON.stringify({ AccountTag: 'a'.repeat(32), TunnelSecret: Buffer.from('secret').toString('base64'), TunnelID: id }), { mode: 0o600 });
    writeFileSync(join(dir, 'token.yml'), 'metrics: 127.0.0.1:20301\n');
    const token = Buffer.from(JSON.stringify({ a: 'a'.repeat(32), t: id, s: Buffer.from('secret').toString('base64') })).toString('base64');
    const asNobody = (env: Record<string, string>, config: string): { status: number | null; out: string } => {
      const r = trySync(host.nsenter(['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', 'timeout', '5', '/srv/probe/cloudflared', '--no-autoupdate', '--config', config, 'tunnel', 'run'], env));
      return { status: r.status, out: r.stdout + r.stderr };
    };
    // The credentials file is root's, 0600: the service user could not read it.
    expect(asNobody({}, '/srv/probe/named.yml')).toEqual({ status: 1, out: expect.stringContaining('Cannot read tunnel credentials file') });
    // Token mode without TUNNEL_TOKEN (the unit's EnvironmentFile missing), or with a token that does not decode.
    expect(asNobody({}, '/srv/probe/token.yml')).toEqual({ status: 1, out: expect.stringContaining('requires the ID or name') });
    expect(asNobody({ TUNNEL_TOKEN: 'bm90IGEgdG9rZW4=' }, '/srv/probe/token.yml')).toEqual({ status: 1, out: expect.stringContaining('not a valid tunnel token') });
    // Type=notify with the default NotifyAccess=main: the unit becomes active only because the stand-in itself,
    // as the main process, sent READY=1 (systemd-run returns once the unit is started).
    host.exec(['systemd-run', '--unit=probe', '--property=Type=notify', '--property=TimeoutStartSec=10', '--uid=nobody', `--setenv=TUNNEL_TOKEN=${token}`, '/srv/probe/cloudflared', '--config', '/srv/probe/token.yml', 'tunnel', 'run']);
    expect(host.exec(['systemctl', 'is-active', 'probe.service']).stdout.trim()).toBe('active');
    expect(host.exec(['curl', '-fsS', 'http://127.0.0.1:20301/ready']).stdout).toContain('"status": 200');
    host.exec(['systemctl', 'stop', 'probe.service']);
  });
});
