import { describe, expect, it } from 'vitest';
import type { Host } from '../../../src/model/fleet.js';
import {
  hostState,
  LOCKDOWN_KEEP_DIR,
  LOCKDOWN_SCRIPT,
  LOCKDOWN_SERVICE,
  LOCKDOWN_TIMER,
  readyAddress,
  renderLockdownDropIn,
  shareHostState,
  SSHD_CHECK_SCRIPT,
} from '../../../src/targets/common/host-state.js';
import { readGeneratorFile } from '../../../src/targets/templates.js';
import { FAKE_PROBE_TOKEN_ID, FAKE_PROBE_TOKEN_SECRET, sampleFleet } from '../../support/sample-fleet.js';

const DROP_IN = '/etc/ssh/sshd_config.d/60-cloudflared-lockdown.conf';
const PROBE_ENV = '/etc/cloudflared/lockdown-probe.env';

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('missing');
  return value;
}

function host(name: string, change: (h: Host) => void = () => undefined): Host {
  const found = sampleFleet().hosts.find((h) => h.name === name);
  if (!found) throw new Error(`no host ${name} in the sample fleet`);
  change(found);
  return found;
}

describe('hostState: lockdown', () => {
  it('installs the shared lockdown script, its guard and the probe\'s token, and runs it with every value as an argument', () => {
    const state = hostState(host('lab-pi-3'));
    expect(state.files.find((f) => f.purpose === 'lockdown-script')).toEqual({
      path: LOCKDOWN_SCRIPT,
      content: readGeneratorFile('common/cloudflared-ssh-lockdown.sh'),
      owner: 'root',
      group: 'root',
      mode: '0755',
      isSecret: false,
      purpose: 'lockdown-script',
    });
    const args = [
      '127.0.0.1:20241',
      '22',
      'ssh',
      '60',
      DROP_IN,
      SSHD_CHECK_SCRIPT,
      '/usr/bin/cloudflared',
      'quiet-meadow.example.com',
      PROBE_ENV,
      LOCKDOWN_KEEP_DIR,
      // What proves the tunnel and what a restore puts back: config.yml and the credentials the host registered.
      '/etc/cloudflared/acme-pos-lab-pi-3.json',
      '/etc/cloudflared/config.yml',
    ];
    expect(state.lockdown).toEqual({
      script: LOCKDOWN_SCRIPT,
      args,
      dropIn: { path: DROP_IN, content: renderLockdownDropIn(22) },
      service: LOCKDOWN_SERVICE,
      timer: LOCKDOWN_TIMER,
    });
    // The probe's Access service token: root-only, read by the lockdown (root), never by cloudflared; restarts nothing.
    expect(state.files.find((f) => f.purpose === 'lockdown-probe')).toEqual({
      path: PROBE_ENV,
      content: `TUNNEL_SERVICE_TOKEN_ID=${FAKE_PROBE_TOKEN_ID}\nTUNNEL_SERVICE_TOKEN_SECRET=${FAKE_PROBE_TOKEN_SECRET}\n`,
      owner: 'root',
      group: 'root',
      mode: '0600',
      isSecret: true,
      purpose: 'lockdown-probe',
    });
    // The guard runs the same argv, each word quoted for systemd; its timer retries after boot and every 5 minutes.
    const unit = must(state.files.find((f) => f.path === `/etc/systemd/system/${LOCKDOWN_SERVICE}`));
    expect(unit.content).toContain(`\nExecStart=${[LOCKDOWN_SCRIPT, ...args].map((a) => `"${a}"`).join(' \\\n    ')}\n`);
    expect(unit.content).toContain('\nType=oneshot\n');
    const timer = must(state.files.find((f) => f.path === `/etc/systemd/system/${LOCKDOWN_TIMER}`)).content;
    expect(timer).toContain('\nOnActiveSec=2min\nOnUnitInactiveSec=5min\n');
    expect(timer).toContain('\nWantedBy=timers.target\n');
    expect(state.unlock).toBeUndefined();
    // The drop-in is the script's to write once SSH through the tunnel is proven: it is not a file every run writes.
    expect(state.files.map((f) => f.path)).not.toContain(DROP_IN);
    // Kept while lockdown is on; a secret file of the config folder that goes with it otherwise.
    expect(state.stale.keep).toContain(PROBE_ENV);
    expect(state.stale.patterns).toContain('lockdown-probe.env');
  });

  it('quotes the guard\'s command line for systemd: a % or $ in a value reaches the script as it is', () => {
    const state = hostState(host('lab-pi-3', (h) => (h.cloudflared.binaryPath = '/opt/cf%i/$HOME/"x"\\bin')));
    const unit = must(state.files.find((f) => f.path === `/etc/systemd/system/${LOCKDOWN_SERVICE}`)).content;
    expect(unit).toContain(' "/opt/cf%%i/$$HOME/\\"x\\"\\\\bin" ');
  });

  it('refuses to build a lockdown whose probe token Terraform has not output yet', () => {
    expect(() => hostState(host('lab-pi-3', (h) => (h.lockdownProbe = { serviceToken: 'lockdown-probe', hostname: 'quiet-meadow.example.com' })))).toThrow(
      /lockdown probe's service token awaits Terraform's outputs/,
    );
  });

  it('gives the sshd facts for lockdown alone, without short-lived certificates', () => {
    const pi = hostState(host('lab-pi-3'));
    expect(pi.ssh).toEqual({ service: 'ssh', needsInclude: false, includeLine: 'Include /etc/ssh/sshd_config.d/*.conf', check: SSHD_CHECK_SCRIPT });
    expect(pi.files.filter((f) => f.notifies === 'sshd')).toEqual([]);

    const rhel8 = hostState(
      host('pos-legacy', (h) => {
        delete h.ssh.shortLivedCerts;
        h.lockdown = true;
        h.lockdownProbe = { serviceToken: 'lockdown-probe', hostname: 'legacy-ssh.example.com', tokenId: 'id.access', tokenSecret: 'fake' };
      }),
    );
    expect(rhel8.ssh).toEqual({ service: 'sshd', needsInclude: true, includeLine: 'Include /etc/ssh/sshd_config.d/*.conf', check: SSHD_CHECK_SCRIPT });
    expect(rhel8.lockdown?.args.slice(0, 8)).toEqual(['127.0.0.1:20242', '2222', 'sshd', '60', DROP_IN, SSHD_CHECK_SCRIPT, '/opt/cloudflared/bin/cloudflared', 'legacy-ssh.example.com']);
    expect(rhel8.lockdown?.dropIn.content).toContain('\nListenAddress 127.0.0.1:2222\n');

    expect(hostState(host('kiosk-17')).ssh).toBeUndefined();
  });

  it('asks a metrics server that listens on every address on loopback', () => {
    expect(readyAddress('0.0.0.0:20241')).toBe('127.0.0.1:20241');
    for (const address of ['127.0.0.1:20241', 'localhost:20245', '[::1]:20241', '10.0.0.5:9000']) expect(readyAddress(address)).toBe(address);
    expect(hostState(host('lab-pi-3', (h) => (h.metrics = '0.0.0.0:20243'))).lockdown?.args[0]).toBe('127.0.0.1:20243');
  });

  it('lifts an earlier lockdown on every host with lockdown off', () => {
    for (const name of ['kiosk-17', 'pos-legacy', 'store-0001']) {
      const state = hostState(host(name));
      expect(state.lockdown, name).toBeUndefined();
      expect(state.unlock, name).toEqual({
        dropIn: DROP_IN,
        script: LOCKDOWN_SCRIPT,
        sshdService: name === 'store-0001' ? 'ssh' : 'sshd',
        timer: LOCKDOWN_TIMER,
        units: [`/etc/systemd/system/${LOCKDOWN_SERVICE}`, `/etc/systemd/system/${LOCKDOWN_TIMER}`],
        keepDir: LOCKDOWN_KEEP_DIR,
      });
      expect(state.files.map((f) => f.path), name).not.toContain(LOCKDOWN_SCRIPT);
      // The probe's token of an earlier lockdown is one of the config folder's stale secrets.
      expect(state.stale.patterns, name).toContain('lockdown-probe.env');
      expect(state.stale.keep, name).not.toContain(PROBE_ENV);
    }
  });

  it('keeps sshd on IPv4 loopback at the port: the drop-in has one ListenAddress', () => {
    expect(renderLockdownDropIn(2222)).toBe(
      [
        '# Generated by fleetgen — do not edit; edit fleet.yaml and rebuild.',
        '# Lockdown: sshd listens on loopback only; inbound SSH comes through the Cloudflare Tunnel.',
        'ListenAddress 127.0.0.1:2222',
        '',
      ].join('\n'),
    );
  });
});

describe('shareHostState', () => {
  it('works out a host\'s state once for every target that asks while it runs, and never for another host', () => {
    const fleet = sampleFleet();
    const [first, second] = fleet.hosts.filter((h) => h.state !== 'decommissioned' && h.tunnel.mode !== 'awaiting-terraform');
    if (!first || !second) throw new Error('the sample fleet needs two active hosts');
    const seen = shareHostState(first, () => [hostState(first), hostState(first), hostState(second)]);
    expect(seen[1]).toBe(seen[0]);
    expect(seen[2]).not.toBe(seen[0]);
    expect(seen[0]).toEqual(hostState(first));
  });

  it('keeps nothing once it returns: a change to the model after it is seen', () => {
    // A host with lockdown (and so its probe): turning it off needs nothing else in the model.
    const h = sampleFleet().hosts.find((candidate) => candidate.lockdown && candidate.lockdownProbe);
    if (!h) throw new Error('the sample fleet needs a host with lockdown');
    const before = shareHostState(h, () => hostState(h));
    h.lockdown = false;
    const after = hostState(h);
    expect(after).not.toBe(before);
    expect(after.lockdown === undefined).toBe(before.lockdown !== undefined);
  });
});
