/**
 * The lockdown script itself, run by a real POSIX shell (dash, and bash) against a stand-in host: cloudflared's
 * metrics server is a node HTTP server on 127.0.0.1 answering /ready, `sshd` and `systemctl` are fakes on PATH that
 * record their calls, and the drop-in goes to a temp folder. Nothing real is touched and no root is needed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderLockdownDropIn } from '../../../src/targets/common/host-state.js';

const SCRIPT = fileURLToPath(new URL('../../../generators/common/cloudflared-ssh-lockdown.sh', import.meta.url));
const SSHD_CHECK = fileURLToPath(new URL('../../../generators/common/cloudflared-sshd-check.sh', import.meta.url));
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';

/**
 * sshd -t/-T -f FILE: reads FILE and the files its Include lines name (as cloudflared-sshd-check writes them, quoted);
 * -t fails on demand (and without the privilege separation directory); -T prints the listen addresses it read.
 */
const FAKE_SSHD = `#!/bin/sh
printf 'sshd %s\\n' "$1" >>"$FAKE_LOG"
ls "$FAKE_DROP_IN_DIR" >>"$FAKE_SEEN_LOG"
[ "$2" = -f ] || { echo "fake sshd: -f FILE expected" >&2; exit 255; }
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
  -t)
    if [ -n "\${FAKE_PRIVSEP:-}" ] && [ ! -d "$FAKE_PRIVSEP" ]; then
      echo "Missing privilege separation directory: $FAKE_PRIVSEP" >&2
      exit 255
    fi
    if [ -n "\${FAKE_SSHD_T_ERROR:-}" ]; then echo "$FAKE_SSHD_T_ERROR" >&2; exit 255; fi
    ;;
  -T)
    echo 'port 22'
    listen=$(printf '%s\\n' "$effective" | awk '$1 == "ListenAddress" { print "listenaddress " $2 }')
    if [ -n "$listen" ]; then echo "$listen"; else printf 'listenaddress [::]:22\\nlistenaddress 0.0.0.0:22\\n'; fi
    for address in \${FAKE_SSHD_MORE_LISTEN:-}; do echo "listenaddress $address"; done
    ;;
esac
`;

/** systemctl: is-active answers for the socket, show prints its Listen lines, the rest succeeds. */
const FAKE_SYSTEMCTL = `#!/bin/sh
printf 'systemctl %s\\n' "$*" >>"$FAKE_LOG"
case $1 in
  is-active) [ -n "\${FAKE_SOCKET_ACTIVE:-}" ] ;;
  show) printf '%s\\n' "\${FAKE_SOCKET_LISTEN:-}" ;;
  try-reload-or-restart) exit "\${FAKE_RELOAD_STATUS:-0}" ;;
esac
`;

interface Run {
  status: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

let server: Server;
let metrics: string;
/** What /ready answers to each request, in turn; the last answer repeats. */
let answers: number[] = [200];
let requests = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests++;
    const status = request.url === '/ready' ? (answers[Math.min(requests - 1, answers.length - 1)] ?? 200) : 404;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status, readyConnections: status === 200 ? 4 : 0 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  metrics = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A stand-in host: fake sshd and systemctl, an empty sshd_config.d, a call log. */
function fakeHost() {
  const root = mkdtempSync(join(tmpdir(), 'fleetgen-lockdown-'));
  dirs.push(root);
  const bin = join(root, 'bin');
  const dropInDir = join(root, 'sshd_config.d');
  mkdirSync(bin);
  mkdirSync(dropInDir);
  writeFileSync(join(bin, 'sshd'), FAKE_SSHD, { mode: 0o755 });
  writeFileSync(join(bin, 'systemctl'), FAKE_SYSTEMCTL, { mode: 0o755 });
  // The real sshd check, on this host's sshd_config (which includes the drop-in folder).
  const sshdConfig = join(root, 'sshd_config');
  writeFileSync(sshdConfig, `Include ${dropInDir}/*.conf\nPasswordAuthentication no\n`);
  writeFileSync(join(bin, 'sshd-check'), `#!/bin/sh\nexec /bin/sh ${SSHD_CHECK} "$@" ${sshdConfig}\n`, { mode: 0o755 });
  const log = join(root, 'calls.log');
  writeFileSync(log, '');
  const seen = join(root, 'seen.log');
  writeFileSync(seen, '');
  answers = [200];
  requests = 0;
  return {
    root,
    bin,
    dropInDir,
    dropIn: join(dropInDir, '60-cloudflared-lockdown.conf'),
    calls: (): string[] => readFileSync(log, 'utf8').split('\n').filter(Boolean),
    /** What the drop-in folder held each time sshd ran. */
    seen: (): string => readFileSync(seen, 'utf8'),
    env: { PATH: `${bin}:${SYSTEM_PATH}`, FAKE_LOG: log, FAKE_SEEN_LOG: seen, FAKE_DROP_IN_DIR: dropInDir } as Record<string, string>,
  };
}
type FakeHost = ReturnType<typeof fakeHost>;

/** Runs the script asynchronously: the HTTP server answers from this same process. */
function lockdown(host: FakeHost, options: { shell?: string; timeout?: string; env?: Record<string, string>; address?: string } = {}): Promise<Run> {
  const started = Date.now();
  const args = [SCRIPT, options.address ?? metrics, '22', 'ssh', options.timeout ?? '2', host.dropIn, join(host.bin, 'sshd-check')];
  return new Promise((resolve) => {
    execFile(shellPath(options.shell ?? 'dash'), args, { env: { ...host.env, ...options.env }, timeout: 30_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ status, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** The shell by absolute path: a test's PATH may hold only the fakes and a few tools. */
function shellPath(shell: string): string {
  for (const dir of SYSTEM_PATH.split(':')) if (existsSync(join(dir, shell))) return join(dir, shell);
  throw new Error(`${shell} is not installed: this test needs it (apt-get install ${shell})`);
}

/** PATH for a host with exactly one way to fetch /ready: the fakes and the basic tools, plus `probe` (or none). */
function minimalPath(host: FakeHost, probe: string | undefined): string {
  const tools = join(host.root, 'tools');
  mkdirSync(tools);
  const which = (name: string): string => {
    for (const dir of SYSTEM_PATH.split(':')) if (existsSync(join(dir, name))) return join(dir, name);
    throw new Error(`${name} is not installed`);
  };
  for (const name of ['awk', 'cat', 'chmod', 'cp', 'date', 'dirname', 'mkdir', 'mktemp', 'mv', 'rm', 'sed', 'sleep', 'sort', 'tr', ...(probe ? [probe] : [])]) {
    symlinkSync(which(name), join(tools, name));
  }
  // The script adds only sbin folders to PATH, so no other client can be found.
  for (const sbin of ['/usr/local/sbin', '/usr/sbin', '/sbin']) for (const client of ['curl', 'wget', 'python3']) expect(existsSync(join(sbin, client))).toBe(false);
  return `${host.bin}:${tools}`;
}

describe('cloudflared-ssh-lockdown', () => {
  describe.each(['dash', 'bash'])('run by %s', (shell) => {
    it('locks sshd to loopback once /ready answers 200: drop-in, sshd -t, reload, "changed"', async () => {
      const host = fakeHost();
      const run = await lockdown(host, { shell });
      expect(run).toMatchObject({ status: 0, stdout: 'changed\n', stderr: '' });
      expect(readFileSync(host.dropIn, 'utf8')).toBe(renderLockdownDropIn(22));
      expect(readdirSync(host.dropInDir)).toEqual(['60-cloudflared-lockdown.conf']);
      expect(host.calls()).toEqual(['sshd -t', 'sshd -T', 'systemctl is-active --quiet ssh.socket', 'systemctl try-reload-or-restart ssh']);
      // Two answers of 200, a second apart.
      expect(requests).toBe(2);
    });

    it('does nothing, at once, when the drop-in is in place', async () => {
      const host = fakeHost();
      expect((await lockdown(host, { shell })).status).toBe(0);
      const before = { calls: host.calls().length, requests };
      answers = [503];
      const again = await lockdown(host, { shell });
      expect(again).toMatchObject({ status: 0, stdout: '', stderr: '' });
      expect(again.seconds).toBeLessThan(1);
      expect({ calls: host.calls().length, requests }).toEqual(before);
    });
  });

  it('writes the drop-in of the given port, and rewrites one with other content', async () => {
    const host = fakeHost();
    writeFileSync(host.dropIn, renderLockdownDropIn(2222));
    const run = await lockdown(host);
    expect(run).toMatchObject({ status: 0, stdout: 'changed\n' });
    expect(readFileSync(host.dropIn, 'utf8')).toBe(renderLockdownDropIn(22));
    expect(readFileSync(host.dropIn, 'utf8')).toContain('\nListenAddress 127.0.0.1:22\n');
  });

  it('waits for a tunnel that becomes ready within the timeout', async () => {
    const host = fakeHost();
    answers = [503, 503, 200];
    const run = await lockdown(host, { timeout: '10' });
    expect(run).toMatchObject({ status: 0, stdout: 'changed\n' });
    expect(requests).toBe(4);
    expect(existsSync(host.dropIn)).toBe(true);
  });

  it('gives up after the timeout when the tunnel is not ready: no drop-in, sshd untouched, a non-zero exit', async () => {
    const host = fakeHost();
    answers = [503];
    const run = await lockdown(host, { timeout: '2' });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`the tunnel did not report ready at http://${metrics}/ready within 2 s: lockdown not applied, SSH stays open`);
    expect(run.seconds).toBeGreaterThanOrEqual(2);
    expect(run.seconds).toBeLessThan(6);
    expect(readdirSync(host.dropInDir)).toEqual([]);
    expect(host.calls()).toEqual([]);
  });

  it('gives up as well when nothing listens on the metrics address', async () => {
    const host = fakeHost();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const run = await lockdown(host, { address, timeout: '1' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('did not report ready');
    expect(readdirSync(host.dropInDir)).toEqual([]);
  });

  it('removes the drop-in again and fails when sshd -t rejects the configuration', async () => {
    const host = fakeHost();
    const run = await lockdown(host, { env: { FAKE_SSHD_T_ERROR: '/etc/ssh/sshd_config line 3: Bad configuration option: Foo' } });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('sshd -t rejects the configuration: /etc/ssh/sshd_config line 3: Bad configuration option: Foo');
    expect(run.stderr).toContain(`removed ${host.dropIn} again: lockdown not applied, SSH stays open`);
    expect(readdirSync(host.dropInDir)).toEqual([]);
    expect(host.calls()).toEqual(['sshd -t']);
    // Checked before it went live: the drop-in was never in its place, only beside it.
    expect(host.seen()).toBe('60-cloudflared-lockdown.conf.new\n');
  });

  it('checks the new drop-in with sshd -t and -T before it goes live', async () => {
    const host = fakeHost();
    const run = await lockdown(host);
    expect(run).toMatchObject({ status: 0, stdout: 'changed\n' });
    expect(host.seen()).toBe('60-cloudflared-lockdown.conf.new\n'.repeat(2));
  });

  it('creates a missing privilege separation directory (socket-activated sshd that has not run yet), then checks again', async () => {
    const host = fakeHost();
    const privsep = join(host.root, 'run-sshd');
    const run = await lockdown(host, { env: { FAKE_PRIVSEP: privsep } });
    expect(run).toMatchObject({ status: 0, stdout: 'changed\n' });
    expect(existsSync(privsep)).toBe(true);
    expect(host.calls().slice(0, 3)).toEqual(['sshd -t', 'sshd -t', 'sshd -T']);
  });

  it('refuses when sshd_config itself keeps sshd listening elsewhere', async () => {
    const host = fakeHost();
    const run = await lockdown(host, { env: { FAKE_SSHD_MORE_LISTEN: '0.0.0.0:22' } });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('sshd would still listen on 0.0.0.0:22 (a ListenAddress in sshd_config): remove it there');
    expect(readdirSync(host.dropInDir)).toEqual([]);
    expect(host.calls().some((c) => c.startsWith('systemctl'))).toBe(false);
  });

  it('reopens the socket of a socket-activated sshd, and checks what it listens on', async () => {
    const host = fakeHost();
    const run = await lockdown(host, { env: { FAKE_SOCKET_ACTIVE: '1', FAKE_SOCKET_LISTEN: '127.0.0.1:22 (Stream)' } });
    expect(run).toMatchObject({ status: 0, stdout: 'changed\n' });
    expect(host.calls().filter((c) => c.startsWith('systemctl'))).toEqual([
      'systemctl is-active --quiet ssh.socket',
      'systemctl daemon-reload',
      'systemctl restart ssh.socket',
      'systemctl show -p Listen --value ssh.socket',
    ]);
  });

  it('reverts when the socket keeps listening on every address (its ListenStream ignores sshd_config)', async () => {
    const host = fakeHost();
    const run = await lockdown(host, { env: { FAKE_SOCKET_ACTIVE: '1', FAKE_SOCKET_LISTEN: '[::]:22 (Stream)' } });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('ssh.socket still listens on [::]:22 (its ListenStream ignores sshd_config)');
    expect(readdirSync(host.dropInDir)).toEqual([]);
    // Reopened again without the drop-in.
    expect(host.calls().filter((c) => c === 'systemctl restart ssh.socket')).toHaveLength(2);
  });

  it('reverts when sshd cannot be reloaded', async () => {
    const host = fakeHost();
    const run = await lockdown(host, { env: { FAKE_RELOAD_STATUS: '1' } });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('could not reload sshd (ssh)');
    expect(readdirSync(host.dropInDir)).toEqual([]);
    expect(host.calls().filter((c) => c === 'systemctl try-reload-or-restart ssh')).toHaveLength(2);
  });

  it.each(['wget', 'python3'])('asks /ready with %s when there is no curl', async (client) => {
    const host = fakeHost();
    const path = minimalPath(host, client);
    answers = [503, 200];
    const run = await lockdown(host, { env: { PATH: path }, timeout: '10' });
    expect(run).toMatchObject({ status: 0, stdout: 'changed\n' });
    expect(requests).toBe(3);

    const notReady = fakeHost();
    answers = [503];
    const failed = await lockdown(notReady, { env: { PATH: minimalPath(notReady, client) }, timeout: '1' });
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain('did not report ready');
  });

  it('fails at once, changing nothing, when there is no curl, wget or python3', async () => {
    const host = fakeHost();
    const run = await lockdown(host, { env: { PATH: minimalPath(host, undefined) } });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('no curl, wget or python3 to ask');
    expect(readdirSync(host.dropInDir)).toEqual([]);
    expect(requests).toBe(0);
  });

  it('uses no proxy for /ready', async () => {
    const host = fakeHost();
    const run = await lockdown(host, { env: { http_proxy: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', all_proxy: 'http://127.0.0.1:9' } });
    expect(run).toMatchObject({ status: 0, stdout: 'changed\n' });
  });

  it('checks its arguments', async () => {
    const host = fakeHost();
    const run = await new Promise<Run>((resolve) =>
      execFile(shellPath('dash'), [SCRIPT, metrics, '22'], { env: host.env }, (error, stdout, stderr) =>
        resolve({ status: typeof error?.code === 'number' ? error.code : 0, stdout, stderr, seconds: 0 }),
      ),
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('cloudflared-ssh-lockdown: usage: METRICS_ADDRESS SSH_PORT SSHD_SERVICE TIMEOUT_SECONDS DROP_IN SSHD_CHECK\n');
    const late = await lockdown(host, { timeout: 'soon' });
    expect(late.status).toBe(1);
    expect(late.stderr).toContain('SSH_PORT and TIMEOUT_SECONDS must be numbers');
    expect(requests).toBe(0);
  });

  it('is executable POSIX sh with the generated-by header', () => {
    const text = readFileSync(SCRIPT, 'utf8');
    expect(text.split('\n').slice(0, 2)).toEqual(['#!/bin/sh', '# Generated by fleetgen — do not edit; edit fleet.yaml and rebuild.']);
  });
});
