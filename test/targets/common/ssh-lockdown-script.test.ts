/**
 * The lockdown script itself, run by a real POSIX shell (dash, and bash) against a stand-in host: cloudflared's
 * metrics server is a node HTTP server answering /ready; `cloudflared access ssh` is the e2e cloudflared STAND-IN
 * (test/e2e/stand-in/) with its "Cloudflare" in a temp folder (routes, the tunnel's connection and ingress, Access
 * applications), carrying the probe to a node TCP server that answers like sshd ("SSH-2.0-..."); `sshd` and
 * `systemctl` are fakes on PATH that record their calls; the sshd check is the real one on a temp sshd_config.
 * Nothing real is touched and no root is needed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderLockdownDropIn } from '../../../src/targets/common/host-state.js';

const SCRIPT = fileURLToPath(new URL('../../../generators/common/cloudflared-ssh-lockdown.sh', import.meta.url));
const SSHD_CHECK = fileURLToPath(new URL('../../../generators/common/cloudflared-sshd-check.sh', import.meta.url));
const STAND_IN = fileURLToPath(new URL('../../e2e/stand-in/cloudflared-stand-in.py', import.meta.url));
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';
const HOSTNAME = 'amber-harbor.example.com';
const TUNNEL = '11111111-2222-4333-8444-555555555555';
const TOKEN_ID = 'f0e1d2c3b4a59687.access';
const TOKEN_SECRET = 'aa'.repeat(32);

/**
 * sshd -t/-T -f FILE: reads FILE and the files its Include lines name (as cloudflared-sshd-check writes them, quoted);
 * -t fails on demand; -T prints the listen addresses it read.
 */
const FAKE_SSHD = `#!/bin/sh
printf 'sshd %s\\n' "$1" >>"$FAKE_LOG"
ls "$FAKE_DROP_IN_DIR" >>"$FAKE_SEEN_LOG"
read_config() {
  while IFS= read -r line; do
    case $line in
      Include*) for f in $(printf '%s\\n' "\${line#Include}" | tr -d '"'); do read_config <"$f"; done ;;
      *) printf '%s\\n' "$line" ;;
    esac
  done
}
effective=$(read_config <"$3")
case $1 in
  -t) if [ -n "\${FAKE_SSHD_T_ERROR:-}" ]; then echo "$FAKE_SSHD_T_ERROR" >&2; exit 255; fi ;;
  -T)
    echo 'port 22'
    listen=$(printf '%s\\n' "$effective" | awk '$1 == "ListenAddress" { print "listenaddress " $2 }')
    if [ -n "$listen" ]; then echo "$listen"; else printf 'listenaddress [::]:22\\nlistenaddress 0.0.0.0:22\\n'; fi
    for address in \${FAKE_SSHD_MORE_LISTEN:-}; do echo "listenaddress $address"; done
    ;;
esac
`;

/**
 * systemctl: is-active answers for the socket, show prints its Listen lines; "restart --no-block cloudflared" runs
 * the tunnel again the way this stand-in host models it: the connection record becomes what config.yml holds.
 */
const FAKE_SYSTEMCTL = `#!/bin/sh
printf 'systemctl %s\\n' "$*" >>"$FAKE_LOG"
case $1 in
  is-active) [ -n "\${FAKE_SOCKET_ACTIVE:-}" ] ;;
  show) printf '%s\\n' "\${FAKE_SOCKET_LISTEN:-}" ;;
  try-reload-or-restart) exit "\${FAKE_RELOAD_STATUS:-0}" ;;
  restart) [ "$3" != cloudflared ] || cp "$FAKE_CONFIG" "$CLOUDFLARED_STAND_IN_STATE/connections/${TUNNEL}.json" ;;
esac
`;

interface Run {
  status: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

let http: Server;
let metrics: string;
/** What /ready answers. */
let readyStatus = 200;
let sshd: TcpServer;
let sshdPort = 0;

beforeAll(async () => {
  http = createServer((request, response) => {
    const status = request.url === '/ready' ? readyStatus : 404;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status, readyConnections: status === 200 ? 4 : 0 }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  metrics = `127.0.0.1:${(http.address() as AddressInfo).port}`;
  // Answers like sshd: its banner first, then it reads the client's.
  sshd = createTcpServer((socket) => {
    socket.on('error', () => undefined);
    socket.write('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n');
    socket.on('data', () => undefined);
  });
  await new Promise<void>((resolve) => sshd.listen(0, '127.0.0.1', resolve));
  sshdPort = (sshd.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await new Promise<void>((resolve) => sshd.close(() => resolve()));
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The edge's view of the running tunnel: this test process serves it, with an ssh rule to `port`. */
const connection = (port: number): string =>
  `${JSON.stringify({ pid: process.pid, ingress: [{ hostname: HOSTNAME, service: `ssh://127.0.0.1:${port}` }, { service: 'http_status:404' }] })}\n`;

/** A stand-in host whose tunnel works: routed, connected, reaching "sshd"; the Access application admits the token. */
function fakeHost() {
  const root = mkdtempSync(join(tmpdir(), 'fleetgen-lockdown-'));
  dirs.push(root);
  const bin = join(root, 'bin');
  const dropInDir = join(root, 'sshd_config.d');
  const state = join(root, 'cloudflare');
  for (const dir of [bin, dropInDir, join(state, 'connections'), join(state, 'access')]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(bin, 'sshd'), FAKE_SSHD, { mode: 0o755 });
  writeFileSync(join(bin, 'systemctl'), FAKE_SYSTEMCTL, { mode: 0o755 });
  const sshdConfig = join(root, 'sshd_config');
  writeFileSync(sshdConfig, `Include ${dropInDir}/*.conf\nPasswordAuthentication no\n`);
  writeFileSync(join(bin, 'sshd-check'), `#!/bin/sh\nexec /bin/sh ${SSHD_CHECK} "$@" ${sshdConfig}\n`, { mode: 0o755 });
  writeFileSync(join(bin, 'cloudflared'), `#!/bin/sh\nexec python3 ${STAND_IN} "$@"\n`, { mode: 0o755 });
  // "Cloudflare": the hostname routes to the tunnel, which is connected; Access admits the probe's token.
  writeFileSync(join(state, 'routes'), `${HOSTNAME} lab ${TUNNEL}\n`);
  writeFileSync(join(state, 'connections', `${TUNNEL}.json`), connection(sshdPort));
  writeFileSync(join(state, 'access', `${HOSTNAME}.json`), JSON.stringify({ serviceTokens: { [TOKEN_ID]: TOKEN_SECRET } }));
  // The host's tunnel config ("what the tunnel runs with") and credentials, and the probe's token.
  const config = join(root, 'config.yml');
  writeFileSync(config, connection(sshdPort));
  const credentials = join(root, `${TUNNEL}.json`);
  writeFileSync(credentials, '{"AccountTag":"a","TunnelSecret":"c2VjcmV0","TunnelID":"x"}\n', { mode: 0o640 });
  const probeEnv = join(root, 'lockdown-probe.env');
  writeFileSync(probeEnv, `TUNNEL_SERVICE_TOKEN_ID=${TOKEN_ID}\nTUNNEL_SERVICE_TOKEN_SECRET=${TOKEN_SECRET}\n`, { mode: 0o600 });
  const log = join(root, 'calls.log');
  const seen = join(root, 'seen.log');
  writeFileSync(log, '');
  writeFileSync(seen, '');
  readyStatus = 200;
  return {
    root,
    state,
    config,
    credentials,
    probeEnv,
    keepDir: join(root, 'kept'),
    dropInDir,
    dropIn: join(dropInDir, '60-cloudflared-lockdown.conf'),
    calls: (): string[] => readFileSync(log, 'utf8').split('\n').filter(Boolean),
    /** What the drop-in folder held each time sshd ran. */
    seen: (): string => readFileSync(seen, 'utf8'),
    env: {
      PATH: `${bin}:${SYSTEM_PATH}`,
      FAKE_LOG: log,
      FAKE_SEEN_LOG: seen,
      FAKE_DROP_IN_DIR: dropInDir,
      FAKE_CONFIG: config,
      CLOUDFLARED_STAND_IN_STATE: state,
    } as Record<string, string>,
    bin,
  };
}
type FakeHost = ReturnType<typeof fakeHost>;

function argv(host: FakeHost, timeout: string): string[] {
  return [metrics, '22', 'ssh', timeout, host.dropIn, join(host.bin, 'sshd-check'), join(host.bin, 'cloudflared'), HOSTNAME, host.probeEnv, host.keepDir, host.config, host.credentials];
}

/** Runs the script asynchronously: the servers answer from this same process. */
function lockdown(host: FakeHost, options: { shell?: string; timeout?: string; env?: Record<string, string>; args?: string[] } = {}): Promise<Run> {
  const started = Date.now();
  const args = [SCRIPT, ...(options.args ?? argv(host, options.timeout ?? '2'))];
  return new Promise((resolve) => {
    execFile(shellPath(options.shell ?? 'dash'), args, { env: { ...host.env, ...options.env }, timeout: 90_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ status, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

function shellPath(shell: string): string {
  for (const dir of SYSTEM_PATH.split(':')) if (existsSync(join(dir, shell))) return join(dir, shell);
  throw new Error(`${shell} is not installed: this test needs it (apt-get install ${shell})`);
}

const kept = (host: FakeHost): string[] => (existsSync(host.keepDir) ? readdirSync(host.keepDir).sort() : []);
const keptName = (path: string): string => path.replaceAll('/', '%');

describe('cloudflared-ssh-lockdown', () => {
  describe.each(['dash', 'bash'])('run by %s', (shell) => {
    it('locks sshd to loopback once SSH through the host\'s own hostname is proven: drop-in, sshd check first, reload, "changed"', async () => {
      const host = fakeHost();
      const run = await lockdown(host, { shell });
      expect(run).toMatchObject({ status: 0, stdout: 'changed\n', stderr: '' });
      expect(readFileSync(host.dropIn, 'utf8')).toBe(renderLockdownDropIn(22));
      expect(host.calls()).toEqual(['systemctl is-active --quiet ssh.socket', 'sshd -t', 'sshd -T', 'systemctl try-reload-or-restart ssh']);
      // Checked before it went live: the drop-in was only beside its place while sshd ran.
      expect(host.seen()).toBe('60-cloudflared-lockdown.conf.new\n'.repeat(2));
      // What proved it is kept, with its mode, for a restore.
      expect(kept(host)).toEqual([keptName(host.config), keptName(host.credentials)].sort());
    });

    it('does nothing more once locked down and still proven', async () => {
      const host = fakeHost();
      expect((await lockdown(host, { shell })).status).toBe(0);
      const calls = host.calls().length;
      const again = await lockdown(host, { shell });
      expect(again).toMatchObject({ status: 0, stdout: '', stderr: '' });
      expect(host.calls().slice(calls)).toEqual(['systemctl is-active --quiet ssh.socket']);
    });
  });

  it('stays open and fails when the hostname is not routed (cloudflared: no such host)', async () => {
    const host = fakeHost();
    writeFileSync(join(host.state, 'routes'), '');
    const run = await lockdown(host);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`SSH through ${HOSTNAME} is not proven within 2 s: no SSH banner came back through ${HOSTNAME} (dial tcp: lookup ${HOSTNAME}: no such host)`);
    expect(run.stderr).toContain('Lockdown not applied, SSH stays open');
    expect(readdirSync(host.dropInDir)).toEqual([]);
    expect(kept(host)).toEqual([]);
  });

  it('stays open when the tunnel is ready but its ingress does not reach sshd (websocket: bad handshake)', async () => {
    const host = fakeHost();
    writeFileSync(join(host.state, 'connections', `${TUNNEL}.json`), connection(9));
    const run = await lockdown(host);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('(websocket: bad handshake)');
    expect(readdirSync(host.dropInDir)).toEqual([]);
  });

  it('stays open when the Access application does not admit the probe\'s token (cloudflared waits for a browser login)', async () => {
    const host = fakeHost();
    writeFileSync(join(host.state, 'access', `${HOSTNAME}.json`), JSON.stringify({ serviceTokens: {} }));
    const run = await lockdown(host);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('If the browser failed to open, please visit the URL above directly in your browser.');
    expect(run.stderr).toContain('does its Access application admit the probe\'s service token?');
    expect(readdirSync(host.dropInDir)).toEqual([]);
  }, 60_000);

  it('stays open when the tunnel does not report ready', async () => {
    const host = fakeHost();
    readyStatus = 503;
    const run = await lockdown(host);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`the tunnel did not report ready at http://${metrics}/ready`);
    expect(readdirSync(host.dropInDir)).toEqual([]);
  });

  it('restores the config that last proved SSH when a later change broke it, keeps the lockdown, and fails saying so', async () => {
    const host = fakeHost();
    expect((await lockdown(host)).stdout).toBe('changed\n');
    // A converge writes a config whose ssh rule reaches nothing, and restarts the tunnel with it.
    writeFileSync(host.config, connection(9));
    writeFileSync(join(host.state, 'connections', `${TUNNEL}.json`), connection(9));
    const run = await lockdown(host);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`SSH through ${HOSTNAME} stopped working with the lockdown on`);
    expect(run.stderr).toContain(`restored the config and credentials that last proved SSH through the tunnel: ${host.config}; restarting cloudflared`);
    expect(run.stderr).toContain('works again with the restored files; the lockdown stays');
    expect(readFileSync(host.config, 'utf8')).toBe(connection(sshdPort));
    expect(readFileSync(host.dropIn, 'utf8')).toBe(renderLockdownDropIn(22));
    expect(host.calls()).toContain('systemctl restart --no-block cloudflared');
  });

  it('lifts the lockdown when SSH through the tunnel stops working and nothing restored brings it back', async () => {
    const host = fakeHost();
    expect((await lockdown(host)).stdout).toBe('changed\n');
    // At Cloudflare, the hostname's route is gone.
    writeFileSync(join(host.state, 'routes'), '');
    const run = await lockdown(host);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`lifted the lockdown: removed ${host.dropIn}, sshd listens on every address again`);
    expect(readdirSync(host.dropInDir)).toEqual([]);
    expect(host.calls().at(-1)).toBe('systemctl try-reload-or-restart ssh');
    expect(host.calls()).not.toContain('systemctl restart --no-block cloudflared');
    // Proven again later: locked down again.
    writeFileSync(join(host.state, 'routes'), `${HOSTNAME} lab ${TUNNEL}\n`);
    expect(await lockdown(host)).toMatchObject({ status: 0, stdout: 'changed\n' });
  });

  it('also lifts a lockdown of another port when the proof fails (any drop-in of its own counts)', async () => {
    const host = fakeHost();
    writeFileSync(host.dropIn, renderLockdownDropIn(2222));
    writeFileSync(join(host.state, 'routes'), '');
    const run = await lockdown(host);
    expect(run.stderr).toContain('lifted the lockdown');
    expect(readdirSync(host.dropInDir)).toEqual([]);
  });

  it('never puts a drop-in sshd -t rejects in place', async () => {
    const host = fakeHost();
    const run = await lockdown(host, { env: { FAKE_SSHD_T_ERROR: '/etc/ssh/sshd_config line 3: Bad configuration option: Foo' } });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('sshd -t rejects the configuration: /etc/ssh/sshd_config line 3: Bad configuration option: Foo: lockdown not applied, SSH stays open');
    expect(readdirSync(host.dropInDir)).toEqual([]);
    expect(host.seen()).toBe('60-cloudflared-lockdown.conf.new\n');
  });

  it('refuses when sshd_config itself keeps sshd listening elsewhere', async () => {
    const host = fakeHost();
    const run = await lockdown(host, { env: { FAKE_SSHD_MORE_LISTEN: '0.0.0.0:22' } });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('sshd would still listen on 0.0.0.0:22 (a ListenAddress in sshd_config): remove it there');
    expect(readdirSync(host.dropInDir)).toEqual([]);
  });

  it('reopens the socket of a socket-activated sshd, and reverts when it keeps listening on every address', async () => {
    const ok = fakeHost();
    expect(await lockdown(ok, { env: { FAKE_SOCKET_ACTIVE: '1', FAKE_SOCKET_LISTEN: '127.0.0.1:22 (Stream)' } })).toMatchObject({ status: 0, stdout: 'changed\n' });
    expect(ok.calls()).toContain('systemctl restart ssh.socket');
    const wide = fakeHost();
    const run = await lockdown(wide, { env: { FAKE_SOCKET_ACTIVE: '1', FAKE_SOCKET_LISTEN: '[::]:22 (Stream)' } });
    expect(run.stderr).toContain('ssh.socket still listens on [::]:22 (its ListenStream ignores sshd_config)');
    expect(readdirSync(wide.dropInDir)).toEqual([]);
  });

  it('keeps the probe\'s token out of every command line, and /ready away from proxies', async () => {
    const host = fakeHost();
    const run = await lockdown(host, { env: { http_proxy: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', all_proxy: 'http://127.0.0.1:9' } });
    expect(run).toMatchObject({ status: 0, stdout: 'changed\n' });
    expect(readFileSync(SCRIPT, 'utf8')).not.toMatch(/--service-token-(id|secret)|--id |--secret /);
  });

  it('checks its arguments', async () => {
    const host = fakeHost();
    const short = await lockdown(host, { args: [metrics, '22'] });
    expect(short.status).toBe(1);
    expect(short.stderr).toBe(
      'cloudflared-ssh-lockdown: usage: METRICS_ADDRESS SSH_PORT SSHD_SERVICE TIMEOUT_SECONDS DROP_IN SSHD_CHECK CLOUDFLARED HOSTNAME PROBE_ENV KEEP_DIR FILE...\n',
    );
    const late = await lockdown(host, { timeout: 'soon' });
    expect(late.stderr).toContain('SSH_PORT and TIMEOUT_SECONDS must be numbers');
  });

  it('is executable POSIX sh with the generated-by header', () => {
    const text = readFileSync(SCRIPT, 'utf8');
    expect(text.split('\n').slice(0, 2)).toEqual(['#!/bin/sh', '# Generated by fleetgen — do not edit; edit fleet.yaml and rebuild.']);
  });
});
