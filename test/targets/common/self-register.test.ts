/**
 * Self-registration and the secrets on the host: credentials root-owned and only group-readable by cloudflared, the
 * zone-wide cert.pem root-only, on the host only while the tunnel is registered or a hostname routed, and not named
 * in config.yml; a reinstalled host recovers its existing tunnel. The register script runs for real under sh, with a
 * fake cloudflared that records what it is asked.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Host } from '../../../src/model/fleet.js';
import { ansible } from '../../../src/targets/ansible/index.js';
import { chef } from '../../../src/targets/chef/index.js';
import { renderUserData } from '../../../src/targets/cloud-init/user-data.js';
import { renderConfigYaml } from '../../../src/targets/common/config-yaml.js';
import { hostState, SELF_REGISTER_SCRIPT, SERVICE_USER } from '../../../src/targets/common/host-state.js';
import { readGeneratorFile } from '../../../src/targets/templates.js';
import { keptBesidesWritten } from '../../../src/targets/common/file-store.js';
import { chefHostData } from '../../support/host-data.js';
import { runCommand } from '../../support/run-command.js';
import { FAKE_CERT_PEM, sampleFleet } from '../../support/sample-fleet.js';

function host(name: string, change: (h: Host) => void = () => undefined): Host {
  const found = sampleFleet().hosts.find((h) => h.name === name);
  if (!found) throw new Error(`no host ${name}`);
  change(found);
  return found;
}
const keeping = (h: Host): void => {
  if (h.tunnel.mode === 'self-register') h.tunnel.keepsOriginCert = true;
};

describe('secrets on the host', () => {
  it('writes credentials root-owned, readable by the cloudflared group only (0640): the daemon cannot rewrite them', () => {
    const credentials = hostState(host('store-0001')).files.find((f) => f.purpose === 'credentials');
    expect(credentials).toMatchObject({ owner: 'root', group: SERVICE_USER, mode: '0640', isSecret: true });
  });

  it('writes the token file root-only (0600): systemd reads EnvironmentFile as root, cloudflared never reads it', () => {
    expect(hostState(host('kiosk-17')).files.find((f) => f.purpose === 'token')).toMatchObject({ owner: 'root', group: 'root', mode: '0600' });
  });

  it('gives no secret file to the cloudflared user', () => {
    for (const h of sampleFleet().hosts) {
      for (const file of hostState(h).files.filter((f) => f.isSecret)) expect(file.owner, `${h.name}: ${file.path}`).toBe('root');
    }
  });

  it('Chef keeps no backup copy of a secret file under /var/chef/backup', () => {
    const config = readGeneratorFile('chef/recipes/config.rb');
    const secretFiles = /config\['secret_files'\]\.each do \|path, entry\|\n([\s\S]*?)\nend\n/.exec(config)?.[1] ?? '';
    expect(secretFiles).toContain('sensitive true');
    expect(secretFiles).toContain('backup false');
    const register = readGeneratorFile('chef/recipes/register.rb');
    expect(/file origin_cert\['path'\] do\n([\s\S]*?)\n {2}end\n/.exec(register)?.[1]).toContain('backup false');
  });
});

describe('self-register and cert.pem', () => {
  it('names no origincert in config.yml: tunnel run finds the tunnel by the TunnelID in its credentials file', () => {
    const config = parse(renderConfigYaml(host('lab-pi-3'))) as Record<string, unknown>;
    expect(config).toMatchObject({ tunnel: 'acme-pos-lab-pi-3', 'credentials-file': '/etc/cloudflared/acme-pos-lab-pi-3.json' });
    expect(config.origincert).toBeUndefined();
  });

  it('puts cert.pem on the host only for the registration, root-only, and has the script remove it when done', () => {
    const state = hostState(host('lab-pi-3'));
    expect(state.files.map((f) => f.path)).not.toContain('/etc/cloudflared/cert.pem');
    expect(state.selfRegister?.originCert).toMatchObject({ path: '/etc/cloudflared/cert.pem', owner: 'root', group: 'root', mode: '0600', content: FAKE_CERT_PEM });
    const operands = ['/usr/bin/cloudflared', '/etc/cloudflared/cert.pem', '/etc/cloudflared/acme-pos-lab-pi-3.json', 'acme-pos-lab-pi-3', 'quiet-meadow.example.com'];
    expect(state.selfRegister?.args).toEqual(operands);
    expect(state.selfRegister?.check).toEqual([SELF_REGISTER_SCRIPT, '--check', ...operands]);
    // Every target carries it: Chef in the secrets item (written by the register recipe when the check says so),
    // Ansible in secrets.yml (no_log), cloud-init in write_files (the script removes it at the end of first boot).
    const fleet = sampleFleet();
    const secrets = JSON.parse(String(chef(fleet, {}).files.get('data_bags/acme_pos_secrets/lab-pi-3.json')?.content)) as { files: Record<string, string> };
    expect(secrets.files['/etc/cloudflared/cert.pem']).toBe(FAKE_CERT_PEM);
    const settings = chefHostData(chef(fleet, {}).files, 'acme_pos', 'lab-pi-3') as { register: Record<string, unknown> };
    expect(settings.register).toMatchObject({ check: state.selfRegister?.check, origin_cert: { path: '/etc/cloudflared/cert.pem', owner: 'root', group: 'root', mode: '0600' } });
    const secretsYml = String(ansible(fleet, {}).files.get('inventory/host_vars/lab-pi-3/secrets.yml')?.content);
    expect(secretsYml).toContain('cloudflared_self_register_origin_cert:');
    const pi = fleet.hosts.find((h) => h.name === 'lab-pi-3');
    if (!pi) throw new Error('no lab-pi-3');
    expect(renderUserData(pi).data.write_files).toContainEqual(expect.objectContaining({ path: '/etc/cloudflared/cert.pem', owner: 'root:root', permissions: '0600' }));
  });

  it('keeps cert.pem as a root-only secret file with tunnel.keepOriginCert, and tells the script so', () => {
    const state = hostState(host('lab-pi-3', keeping));
    expect(state.files.find((f) => f.path === '/etc/cloudflared/cert.pem')).toMatchObject({ owner: 'root', group: 'root', mode: '0600', isSecret: true });
    expect(state.selfRegister?.originCert).toBeUndefined();
    expect(state.selfRegister?.args[0]).toBe('--keep-origin-cert');
  });

  it('Ansible and Chef write cert.pem and run the script only when the script\'s --check says "needed"', () => {
    const register = parse(String(ansible(sampleFleet(), {}).files.get('roles/acme_pos/tasks/register.yml')?.content)) as Record<string, unknown>[];
    expect(register.map((t) => t.name)).toEqual([
      "Check whether this host's tunnel needs registering",
      'Put the origin certificate in place for the registration',
      "Register this host's tunnel and route its hostnames",
    ]);
    expect(register[1]).toMatchObject({ no_log: true });
    for (const task of register.slice(1)) expect(task.when).toContain("'needed' in (cloudflared_self_register_check.stdout_lines | default([]))");
    const recipe = readGeneratorFile('chef/recipes/register.rb');
    expect(recipe.match(/only_if \{ is_needed\.call \}/g)).toHaveLength(2);
  });
});

describe('the register script, run by sh with a fake cloudflared', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetgen-register-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'cloudflared-self-register');
  const fake = join(dir, 'cloudflared');
  const cert = join(dir, 'cert.pem');
  const credentials = join(dir, 'lab.json');
  const calls = join(dir, 'calls');
  const exists = join(dir, 'tunnel-exists');
  writeFileSync(script, readGeneratorFile('common/cloudflared-self-register.sh'), { mode: 0o755 });
  // Records its arguments; `create` fails when the tunnel exists, `token` writes the existing tunnel's credentials.
  writeFileSync(
    fake,
    [
      '#!/bin/sh',
      `echo "$*" >>${calls}`,
      'case "$*" in',
      `  *" create "*) [ ! -e ${exists} ] || { echo 'tunnel with name already exists' >&2; exit 1; }; echo '{"TunnelID":"new"}' >"$6"; touch ${exists} ;;`,
      '  *" token "*) echo \'{"TunnelID":"existing"}\' >"$6" ;;',
      'esac',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  // chown to the cloudflared group needs that group: record the call instead (PATH comes first).
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'bin', 'chown'), `#!/bin/sh\necho "chown $*" >>${calls}\n`, { mode: 0o755 });
  const env = { PATH: `${join(dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}` };
  const run = async (...args: string[]): Promise<{ status: number | null; stdout: string }> => {
    const result = await runCommand(script, args, { env });
    return { status: result.status, stdout: result.stdout };
  };
  const operands = (...hostnames: string[]): string[] => [fake, cert, credentials, 'lab', ...hostnames];

  beforeEach(() => {
    for (const f of [credentials, `${credentials}.routed`, calls, exists]) rmSync(f, { force: true });
    writeFileSync(cert, FAKE_CERT_PEM, { mode: 0o600 });
  });

  it('says "needed" until the tunnel is registered and every hostname routed, and changes nothing when asked', async () => {
    expect(await run('--check', ...operands('a.example.com'))).toEqual({ status: 0, stdout: 'needed\n' });
    expect(existsSync(calls)).toBe(false);
    expect(await run(...operands('a.example.com'))).toEqual({ status: 0, stdout: 'changed\n' });
    expect(await run('--check', ...operands('a.example.com'))).toEqual({ status: 0, stdout: '' });
    expect(await run('--check', ...operands('a.example.com', 'b.example.com'))).toEqual({ status: 0, stdout: 'needed\n' });
  });

  it('creates the tunnel, hands the credentials to root:cloudflared 0640, routes, and removes cert.pem', async () => {
    expect((await run(...operands('a.example.com'))).status).toBe(0);
    expect(readFileSync(calls, 'utf8').split('\n').filter(Boolean)).toEqual([
      `tunnel --origincert ${cert} create --credentials-file ${credentials} lab`,
      `chown root:cloudflared ${credentials}`,
      `tunnel --origincert ${cert} route dns lab a.example.com`,
    ]);
    expect(statSync(credentials).mode & 0o777).toBe(0o640);
    expect(existsSync(cert)).toBe(false);
  });

  it('keeps cert.pem with --keep-origin-cert', async () => {
    expect((await run('--keep-origin-cert', ...operands('a.example.com'))).status).toBe(0);
    expect(existsSync(cert)).toBe(true);
  });

  it('recovers a reinstalled host: when create refuses the existing name, it fetches that tunnel\'s credentials', async () => {
    writeFileSync(exists, '');
    const result = await run(...operands());
    expect(result).toEqual({ status: 0, stdout: 'changed\n' });
    expect(readFileSync(credentials, 'utf8')).toContain('"existing"');
    expect(readFileSync(calls, 'utf8')).toContain(`tunnel --origincert ${cert} token --credentials-file ${credentials} lab`);
  });

  it('fails, keeping cert.pem for the next try, when neither create nor token works', async () => {
    writeFileSync(exists, '');
    chmodSync(fake, 0o755);
    const broken = join(dir, 'broken');
    writeFileSync(broken, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    const result = await runCommand(script, [broken, cert, credentials, 'lab'], { env });
    expect(result.status).not.toBe(0);
    expect(existsSync(cert)).toBe(true);
  });
});

describe('what a rotation or a mode change leaves behind', () => {
  it('names the secret files of any mode in the config folder, and keeps only what the host has now', () => {
    // The lockdown probe's token too: gone with the lockdown.
    const patterns = ['*.json', '*.json.routed', 'tunnel-token.env', 'cert.pem', 'lockdown-probe.env'];
    expect(hostState(host('store-0001')).stale).toEqual({
      directory: '/etc/cloudflared',
      patterns,
      keep: ['/etc/cloudflared/6ff42ae2-765d-4adf-8112-31c55c1551ef.json', '/etc/cloudflared/config.yml'],
    });
    expect(hostState(host('kiosk-17')).stale.keep).toEqual(['/etc/cloudflared/config.yml', '/etc/cloudflared/tunnel-token.env']);
    // Self-register: the credentials the host made, its routed list, and cert.pem (the register script's to remove).
    expect(hostState(host('lab-pi-3')).stale.keep).toEqual([
      '/etc/cloudflared/acme-pos-lab-pi-3.json',
      '/etc/cloudflared/acme-pos-lab-pi-3.json.routed',
      '/etc/cloudflared/cert.pem',
      '/etc/cloudflared/config.yml',
      '/etc/cloudflared/lockdown-probe.env',
    ]);
  });

  it('has Chef and Ansible remove the rest, Chef without a backup copy', () => {
    const config = readGeneratorFile('chef/recipes/config.rb');
    expect(config).toContain("::Dir.glob(stale['patterns'].map { |pattern| ::File.join(stale['directory'], pattern) }).sort.each do |path|");
    expect(config).toContain("keep = config['files'].keys + config['secret_files'].keys + stale.fetch('keep', [])");
    expect(/next if keep\.include\?\(path\)\n\n {2}file path do\n {4}action :delete\n {4}backup false\n/.test(config)).toBe(true);
    const files = parse(String(ansible(sampleFleet(), {}).files.get('roles/acme_pos/tasks/files.yml')?.content)) as Record<string, unknown>[];
    const remove = files.find((t) => t.name === 'Remove them');
    expect(remove).toMatchObject({
      'ansible.builtin.file': { path: '{{ item }}', state: 'absent' },
    });
    expect(String(remove?.loop).replace(/\s+/g, ' ')).toBe(
      "{{ cloudflared_stale_found.files | map(attribute='path') | difference(cloudflared_stale_keep + [cloudflared_config.path] + (cloudflared_secret_files | map(attribute='path') | list) + ([cloudflared_lockdown_probe] | select | map(attribute='path') | list)) | sort }}",
    );
    // Both keep what hostState keeps: the files they write, and what the host made itself.
    for (const name of ['store-0001', 'kiosk-17', 'lab-pi-3']) {
      const state = hostState(host(name));
      const written = state.files.filter((f) => f.path.startsWith(`${state.stale.directory}/`)).map((f) => f.path);
      expect([...written, ...keptBesidesWritten(state)].sort(), name).toEqual(state.stale.keep);
    }
  });
});

describe('a host where cloudflared ran before', () => {
  it('is taken over first by Chef and Ansible, with the apt source and repository to compare other sources with', () => {
    const pi = host('lab-pi-3');
    const takeover = hostState(pi).takeover;
    expect(takeover.argv).toEqual(['/usr/local/sbin/cloudflared-takeover', '/etc/apt/sources.list.d/cloudflared.list', 'https://mirror.internal/cloudflared/deb']);
    expect(takeover.check).toEqual(['/usr/local/sbin/cloudflared-takeover', '--check', ...takeover.argv.slice(1)]);
    expect(takeover.script).toMatchObject({ owner: 'root', group: 'root', mode: '0755', content: readGeneratorFile('common/cloudflared-takeover.sh') });
    // rpm and binary hosts: only the self-update timer and the stray config.
    expect(hostState(host('kiosk-17')).takeover.argv).toEqual(['/usr/local/sbin/cloudflared-takeover']);
    expect(hostState(host('store-0001')).takeover.argv).toEqual(['/usr/local/sbin/cloudflared-takeover']);
    // Ansible: before the repository key; Chef: before the install. cloud-init sets up a fresh instance: not there.
    expect(JSON.stringify(renderUserData(pi).data)).not.toContain('cloudflared-takeover');
    const install = parse(String(ansible(sampleFleet(), {}).files.get('roles/acme_pos/tasks/install.yml')?.content)) as { name: string }[];
    const names = install.map((t) => t.name);
    expect(names.indexOf('Take over what an earlier cloudflared left')).toBeLessThan(names.indexOf('Install the repository signing key'));
    const recipe = readGeneratorFile('chef/recipes/install.rb');
    expect(recipe.indexOf("execute 'cloudflared: take over what an earlier cloudflared left'")).toBeLessThan(recipe.indexOf("case install['method']"));
  });
});

describe('the egress check before the service first starts', () => {
  it('asks about the edge names of the host\'s region, on every target, before the start', () => {
    expect(hostState(host('store-0001')).egressCheck.argv).toEqual(['/usr/local/sbin/cloudflared-egress-check', 'cloudflared', 'region1.v2.argotunnel.com', 'region2.v2.argotunnel.com']);
    const us = hostState(host('store-0001', (h) => (h.options = { region: 'us' }))).egressCheck.argv.slice(2);
    expect(us).toEqual(['us-region1.v2.argotunnel.com', 'us-region2.v2.argotunnel.com']);
    const pi = host('lab-pi-3');
    const steps = (renderUserData(pi).data.runcmd as string[][]).map((a) => a.join(' '));
    expect(steps.indexOf(hostState(pi).egressCheck.argv.join(' '))).toBeLessThan(steps.indexOf('systemctl enable --now --no-block cloudflared'));
    const service = parse(String(ansible(sampleFleet(), {}).files.get('roles/acme_pos/tasks/service.yml')?.content)) as { name: string }[];
    expect(service.map((t) => t.name).indexOf("Check egress to Cloudflare's edge")).toBeLessThan(service.map((t) => t.name).indexOf('Enable and start cloudflared'));
    const recipe = readGeneratorFile('chef/recipes/service.rb');
    expect(recipe.indexOf("ruby_block 'cloudflared: check egress to Cloudflare'")).toBeLessThan(recipe.indexOf("execute 'cloudflared: start'"));
  });

  describe('run by sh', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetgen-egress-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'check');
    writeFileSync(script, readGeneratorFile('common/cloudflared-egress-check.sh'), { mode: 0o755 });
    // systemctl: the service is not running yet.
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'systemctl'), '#!/bin/sh\nexit 3\n', { mode: 0o755 });
    const env = { PATH: `${join(dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}` };

    it('warns plainly about a name that does not resolve and a blocked TCP 7844, and never fails', async () => {
      const result = await runCommand('sh', [script, 'cloudflared', 'edge.invalid', 'localhost'], { env });
      expect(result.status).toBe(0);
      const lines = result.stdout.trim().split('\n');
      expect(lines[0]).toBe("cloudflared egress check: warning: edge.invalid does not resolve (DNS blocked?): the tunnel cannot find Cloudflare's edge");
      expect(lines[1]).toContain('TCP 7844 to localhost is blocked');
      expect(lines[2]).toContain('allow outbound TCP and UDP 7844 to edge.invalid localhost');
    });

    it('says nothing when the edge answers on TCP 7844', async () => {
      const server = createServer((socket) => socket.end());
      await new Promise<void>((resolve) => server.listen(7844, '127.0.0.1', resolve));
      try {
        const result = await runCommand('sh', [script, 'cloudflared', '127.0.0.1'], { env });
        expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: '' });
      } finally {
        server.close();
      }
    });
  });
});
