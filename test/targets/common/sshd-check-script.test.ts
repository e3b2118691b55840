/**
 * cloudflared-sshd-check: runs `sshd -t` on the configuration sshd WOULD read with a candidate drop-in in place of
 * the live file, without touching the live file. A fake sshd on PATH (no sshd on this machine; the e2e suite runs the
 * real one) prints, for -T, every line of the configuration it was given with -f, following the Include lines.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../../generators/common/cloudflared-sshd-check.sh', import.meta.url));

/** -T: the effective lines; -t: fails naming the first "Bogus" line (as sshd names a bad option). */
const FAKE_SSHD = `#!/bin/sh
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
  -T) printf '%s\\n' "$effective" ;;
  -t) if printf '%s\\n' "$effective" | grep -q '^Bogus'; then echo "$3: Bad configuration option: Bogus" >&2; exit 255; fi ;;
esac
`;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fakeHost() {
  const root = mkdtempSync(join(tmpdir(), 'fleetgen-sshd-check-'));
  dirs.push(root);
  const bin = join(root, 'bin');
  const dropIns = join(root, 'sshd_config.d');
  mkdirSync(bin);
  mkdirSync(dropIns);
  writeFileSync(join(bin, 'sshd'), FAKE_SSHD, { mode: 0o755 });
  const config = join(root, 'sshd_config');
  writeFileSync(config, `# top\nInclude ${dropIns}/*.conf\nPasswordAuthentication no\n`);
  writeFileSync(join(dropIns, '10-admin.conf'), 'X11Forwarding no\n');
  writeFileSync(join(dropIns, '90-late.conf'), 'MaxSessions 3\n');
  return { root, dropIns, config, live: join(dropIns, '50-cloudflared-access.conf'), env: { PATH: `${bin}:/usr/bin:/bin` } };
}

function check(host: ReturnType<typeof fakeHost>, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile('/bin/sh', [SCRIPT, ...args, host.config], { env: host.env }, (error, stdout, stderr) =>
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    ),
  );
}

describe('cloudflared-sshd-check', () => {
  it('reads the candidate in the live file\'s place, in glob order, and leaves the live file alone', async () => {
    const host = fakeHost();
    writeFileSync(host.live, 'PubkeyAuthentication no\n');
    const candidate = join(host.root, 'candidate');
    writeFileSync(candidate, 'PubkeyAuthentication yes\n');
    const run = await check(host, ['-T', candidate, host.live]);
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.stdout).toBe('# top\nX11Forwarding no\nPubkeyAuthentication yes\nMaxSessions 3\nPasswordAuthentication no\n');
    expect(readFileSync(host.live, 'utf8')).toBe('PubkeyAuthentication no\n');
  });

  it('adds a candidate for a file that does not exist yet where the Include glob would read it', async () => {
    const host = fakeHost();
    const candidate = join(host.root, 'candidate');
    writeFileSync(candidate, 'PubkeyAuthentication yes\n');
    const run = await check(host, ['-T', candidate, host.live]);
    expect(run.stdout).toBe('# top\nX11Forwarding no\nPubkeyAuthentication yes\nMaxSessions 3\nPasswordAuthentication no\n');
    expect(existsSync(host.live)).toBe(false);
  });

  it('checks the configuration without the live file for "-"', async () => {
    const host = fakeHost();
    writeFileSync(host.live, 'Bogus yes\n');
    const run = await check(host, ['-T', '-', host.live]);
    expect(run.stdout).toBe('# top\nX11Forwarding no\nMaxSessions 3\nPasswordAuthentication no\n');
  });

  it('fails with sshd\'s message, naming the live path, when sshd -t rejects the candidate', async () => {
    const host = fakeHost();
    const candidate = join(host.root, 'candidate');
    writeFileSync(candidate, 'Bogus yes\n');
    const run = await check(host, [candidate, host.live]);
    expect(run.status).toBe(255);
    expect(run.stdout).toBe(`${host.config}: Bad configuration option: Bogus\n`);
  });

  it('--install moves an accepted candidate into place, and removes a rejected one leaving the live file as it was', async () => {
    const host = fakeHost();
    const candidate = `${host.live}.fleetgen-candidate`;
    writeFileSync(candidate, 'PubkeyAuthentication yes\n');
    expect((await check(host, ['--install', candidate, host.live])).status).toBe(0);
    expect(readFileSync(host.live, 'utf8')).toBe('PubkeyAuthentication yes\n');

    writeFileSync(candidate, 'Bogus yes\n');
    const rejected = await check(host, ['--install', candidate, host.live]);
    expect(rejected.status).not.toBe(0);
    expect(rejected.stderr).toContain(`sshd -t rejects the configuration with ${host.live}: it was not put in place`);
    expect(readFileSync(host.live, 'utf8')).toBe('PubkeyAuthentication yes\n');
    expect(readdirSync(host.dropIns).sort()).toEqual(['10-admin.conf', '50-cloudflared-access.conf', '90-late.conf']);
  });

  it('keeps an Include that matches nothing as written: sshd judges it as it would', async () => {
    const host = fakeHost();
    writeFileSync(host.config, `Include ${host.root}/nothing/*.conf\nInclude no-such-relative.conf\n`);
    const run = await check(host, ['-T', '-', host.live]);
    // The fake sshd tries to read each Include as given.
    expect(run.stdout).toContain(`cannot open ${host.root}/nothing/*.conf`);
    expect(run.stdout).toContain('cannot open no-such-relative.conf');
  });
});
