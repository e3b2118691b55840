/**
 * The e2e cloudflared STAND-IN (test/e2e/stand-in/) must refuse what cloudflared refuses wherever the generated
 * artifacts depend on it. These run it directly (python3, no container) on configs cloudflared 2025.8.1 refuses,
 * each checked against cloudflared's source (config/configuration.go, cmd/cloudflared/tunnel/configuration.go).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from '../support/run-command.js';

const STAND_IN = fileURLToPath(new URL('../e2e/stand-in/cloudflared-stand-in.py', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fleetgen-stand-in-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ID = '11111111-2222-4333-8444-555555555555';
const credentials = (extra: Record<string, string> = {}): string =>
  JSON.stringify({ AccountTag: 'a'.repeat(32), TunnelSecret: Buffer.from('secret').toString('base64'), TunnelID: ID, ...extra });

let n = 0;
/** Runs the stand-in on a config (and a credentials file beside it); a run that starts is stopped after 3 s. */
async function standIn(command: 'validate' | 'run', config: string, creds = credentials()): Promise<{ status: number; out: string }> {
  const at = join(dir, String(n++));
  writeFileSync(`${at}.json`, creds, { mode: 0o600 });
  writeFileSync(`${at}.yml`, config.replaceAll('CREDS', `${at}.json`));
  const args = command === 'validate' ? ['tunnel', '--config', `${at}.yml`, 'ingress', 'validate'] : ['--no-autoupdate', '--config', `${at}.yml`, 'tunnel', 'run'];
  const r = await runCommand('timeout', ['3', 'python3', STAND_IN, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, installHint: 'apt-get install python3-yaml' });
  return { status: r.status ?? -1, out: r.stdout + r.stderr };
}

const INGRESS = 'ingress:\n  - hostname: a.example.com\n    service: ssh://localhost:22\n  - service: http_status:404\n';
const named = (settings: string, port: number): string => `tunnel: ${ID}\ncredentials-file: CREDS\nmetrics: 127.0.0.1:${port}\n${settings}${INGRESS}`;

describe('the cloudflared stand-in refuses what cloudflared refuses', () => {
  it('reads tag as a list of strings: a mapping fails both ingress validate and tunnel run', async () => {
    const mapping = named('tag:\n  env: prod\n', 20400);
    for (const command of ['validate', 'run'] as const) {
      expect(await standIn(command, mapping), command).toEqual({ status: 1, out: expect.stringContaining('expected string slice found map[string]interface {} for tag') });
    }
    expect(await standIn('validate', named('tag:\n  - env=prod\n', 20401))).toEqual({ status: 0, out: expect.stringContaining('OK') });
  });

  it('type-checks the other settings as cloudflared does (retries is an int, post-quantum a bool)', async () => {
    expect((await standIn('validate', named('retries: "5"\n', 20402))).out).toContain('expected int found string for retries');
    expect((await standIn('validate', named('post-quantum: "yes"\n', 20403))).out).toContain('expected boolean found string for post-quantum');
  });

  it('lets ingress validate pass post-quantum with http2, and refuses it in tunnel run', async () => {
    const config = named('post-quantum: true\nprotocol: http2\n', 20404);
    expect((await standIn('validate', config)).status).toBe(0);
    expect(await standIn('run', config)).toEqual({ status: 1, out: expect.stringContaining('post-quantum is only supported with the quic transport') });
  });

  it('refuses in tunnel run a bad tag, a grace-period over 3m, a bind address that is no IP, and region with an endpoint', async () => {
    expect((await standIn('run', named('tag:\n  - env=\n', 20405))).out).toContain('Tag parse failure');
    expect((await standIn('run', named('grace-period: 4m\n', 20406))).out).toContain('grace-period must be equal or less than 3m0s');
    expect((await standIn('run', named('edge-bind-address: eth0\n', 20407))).out).toContain('invalid value for edge-bind-address');
    expect((await standIn('run', named('region: us\n', 20408), credentials({ Endpoint: 'fed' }))).out).toContain('region provided with a token that has an endpoint');
  });

  it('runs a tunnel given by name from its credentials file alone, without an origin certificate (as findID does)', async () => {
    const byName = `tunnel: some-name\ncredentials-file: CREDS\nmetrics: 127.0.0.1:20409\n${INGRESS}`;
    const run = await standIn('run', byName);
    // timeout(1) stops it after 3 s: it was running, not refused.
    expect(run).toEqual({ status: 124, out: expect.stringContaining(`Starting tunnel tunnelID=${ID}`) });
  });
});
