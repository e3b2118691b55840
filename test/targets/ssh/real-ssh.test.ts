/**
 * The generated ssh_config, read by the real OpenSSH client (`ssh -G` prints the options it would use, without
 * connecting). A stand-in `cloudflared` on PATH lets `Match … exec "cloudflared access ssh-gen …"` succeed (or
 * fail) and records how it was called. Needs openssh-client from Debian; a missing ssh fails the test.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ssh } from '../../../src/targets/ssh/index.js';
import { runCommand } from '../../support/run-command.js';
import { sampleFleet } from '../../support/sample-fleet.js';

/** The value, or a failed test when it is missing. */
function defined<T>(value: T | undefined | null, what = 'value'): T {
  if (value === undefined || value === null) throw new Error(`${what} is missing`);
  return value;
}

const work = mkdtempSync(join(tmpdir(), 'fleetgen-ssh-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const configPath = join(work, 'config');
writeFileSync(configPath, defined(ssh(sampleFleet(), {}).files.get('config')).content);

const calls = join(work, 'cloudflared-calls');
/** A `cloudflared` that records its arguments and exits with the given status. */
function standIn(status: number): string {
  const bin = join(work, `bin-${status}`);
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'cloudflared'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${calls}'\nexit ${status}\n`);
  chmodSync(join(bin, 'cloudflared'), 0o755);
  return bin;
}
const succeeding = standIn(0);
const failing = standIn(1);

/** `ssh -G`'s options for `destination`, as lowercase keyword → values. */
async function resolve(destination: string, bin: string, config = configPath): Promise<Map<string, string[]>> {
  const result = await runCommand('ssh', ['-G', '-F', config, destination], {
    timeoutMs: 20_000,
    env: { PATH: `${bin}:/usr/bin:/bin`, HOME: work, SHELL: '/bin/sh' },
    installHint: 'apt-get install openssh-client',
  });
  expect(result.status, result.stderr).toBe(0);
  const options = new Map<string, string[]>();
  for (const line of result.stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space < 0) continue;
    const key = line.slice(0, space);
    options.set(key, [...(options.get(key) ?? []), line.slice(space + 1)]);
  }
  return options;
}
const sshGenCalls = (): string[] => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter(Boolean) : []);

describe('ssh/config read by OpenSSH (ssh -G)', () => {
  beforeEach(() => rmSync(calls, { force: true }));

  it.each(['store-0001', 'amber-harbor.example.com'])('%s goes to the SSH hostname through cloudflared, with the short-lived certificate', async (destination) => {
    const options = await resolve(destination, succeeding);
    expect(options.get('hostname')).toEqual(['amber-harbor.example.com']);
    expect(options.get('user')).toEqual(['ops']);
    expect(options.get('proxycommand')).toEqual(['cloudflared access ssh --hostname %h']);
    expect(options.get('identityfile')).toEqual(['~/.cloudflared/%h-cf_key']);
    expect(options.get('certificatefile')).toEqual(['~/.cloudflared/%h-cf_key-cert.pub']);
    // Match host saw the hostname after HostName substitution, for the alias too.
    expect(sshGenCalls()).toEqual(['access ssh-gen --hostname amber-harbor.example.com']);
  });

  it('falls back to the user\'s own keys, still through cloudflared, when ssh-gen fails', async () => {
    const options = await resolve('store-0001', failing);
    expect(options.get('proxycommand')).toEqual(['cloudflared access ssh --hostname %h']);
    expect(options.get('certificatefile')).toBeUndefined();
    expect(options.get('identityfile')).not.toContain('~/.cloudflared/%h-cf_key');
  });

  it('reaches a host without short-lived certificates through cloudflared only, never running ssh-gen', async () => {
    const options = await resolve('lab-pi-3', succeeding);
    expect(options.get('hostname')).toEqual(['quiet-meadow.example.com']);
    expect(options.get('proxycommand')).toEqual(['cloudflared access ssh --hostname %h']);
    expect(options.get('certificatefile')).toBeUndefined();
    expect(sshGenCalls()).toEqual([]);
  });

  it('gives the certificate to pos-legacy too, and nothing to a token-mode host', async () => {
    const legacy = await resolve('pos-legacy', succeeding);
    expect(legacy.get('hostname')).toEqual(['legacy-ssh.example.com']);
    expect(legacy.get('certificatefile')).toEqual(['~/.cloudflared/%h-cf_key-cert.pub']);

    const kiosk = await resolve('kiosk-17', succeeding);
    expect(kiosk.get('hostname')).toEqual(['kiosk-17']);
    expect(kiosk.get('proxycommand')).toBeUndefined();
  });
});

describe("the README's way to use it: Include as the first line of the user's ssh config", () => {
  it('brings in every generated host, before the blocks the user has', async () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
    const section = readme.slice(readme.indexOf('### SSH: connect through Cloudflare Access'));
    const include = defined(/^#\s+(Include) \/\S+\/out\/ssh\/config$/m.exec(section), 'the Include line in the README')[1];
    // The user's own config: the Include first, then their own catch-all, which must not shadow the fleet's hosts.
    const userConfig = join(work, 'user-config');
    writeFileSync(userConfig, `${include} ${configPath}\n\nHost *\n  ProxyCommand none\n  User me\n`);
    const options = await resolve('store-0001', succeeding, userConfig);
    expect(options.get('hostname')).toEqual(['amber-harbor.example.com']);
    expect(options.get('proxycommand')).toEqual(['cloudflared access ssh --hostname %h']);
    expect(options.get('user')).toEqual(['ops']);
  });
});
