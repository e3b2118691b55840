/**
 * Installing cloudflared over the life of a fleet, the same on every target: a version bump finds the new release
 * without an unrelated refresh, a rollback installs the pinned version (and apt holds it), the repository key stays
 * current and can be pinned by fingerprint, cloud-init's key is in place before its source, and a host of another
 * architecture than the manifest says installs nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet, Host } from '../../../src/model/fleet.js';
import { ansible } from '../../../src/targets/ansible/index.js';
import { chef } from '../../../src/targets/chef/index.js';
import { renderUserData } from '../../../src/targets/cloud-init/user-data.js';
import { hostState } from '../../../src/targets/common/host-state.js';
import { APT_PREFERENCES_PATH, APT_SOURCE_PATHS, KEY_CHECK_SCRIPT, packageSource } from '../../../src/targets/common/package-source.js';
import { ansibleHostVars, chefHostData } from '../../support/host-data.js';
import { readGeneratorFile } from '../../../src/targets/templates.js';
import { normalizeFingerprint, primaryKeyFingerprints } from '../../../src/validate/openpgp.js';
import { runCommand } from '../../support/run-command.js';
import { sampleFleet } from '../../support/sample-fleet.js';

const FPR_A = 'A'.repeat(40);
const FPR_B = 'B'.repeat(40);

function hostOf(fleet: Fleet, name: string): Host {
  const found = fleet.hosts.find((h) => h.name === name);
  if (!found) throw new Error(`no host ${name}`);
  return found;
}

/** The sample fleet with fingerprints pinned on both package hosts (lab-pi-3: apt, kiosk-17: rpm). */
function pinnedFleet(): Fleet {
  const fleet = sampleFleet();
  for (const name of ['lab-pi-3', 'kiosk-17']) {
    const repository = hostOf(fleet, name).cloudflared.repository;
    if (repository) repository.keyFingerprints = [FPR_A, FPR_B];
  }
  return fleet;
}

type Task = Record<string, unknown> & { name: string };
function tasks(fleet: Fleet, file: string): Task[] {
  const content = ansible(fleet, {}).files.get(`roles/acme_pos/tasks/${file}`)?.content;
  if (content === undefined) throw new Error(`no ${file}`);
  return parse(String(content)) as Task[];
}
const task = (list: Task[], name: string): Task => {
  const found = list.find((t) => t.name === name);
  if (!found) throw new Error(`no task "${name}" in ${list.map((t) => t.name).join(', ')}`);
  return found;
};
/** The host's variables as the role sees them, stored files with their bytes. */
const hostVars = (fleet: Fleet, host: string): Record<string, unknown> => ansibleHostVars(ansible(fleet, {}).files, 'acme_pos', host);
/** The install settings the recipes read, stored files with their bytes. */
const chefInstall = (fleet: Fleet, host: string): Record<string, unknown> => chefHostData(chef(fleet, {}).files, 'acme_pos', host).install as Record<string, unknown>;
const recipe = (name: string): string => readGeneratorFile(`chef/recipes/${name}.rb`);
const runcmd = (host: Host): string[][] => renderUserData(host).data.runcmd as string[][];

describe('a version bump or rollback', () => {
  it('refreshes dnf metadata with --refresh (plain makecache keeps it for 48 h) and asks each package manager what is installed', () => {
    const fleet = sampleFleet();
    expect(packageSource(hostOf(fleet, 'kiosk-17'))).toMatchObject({
      refresh: ['dnf', 'makecache', '--refresh', '--repo', 'cloudflared-stable'],
      installedQuery: ['rpm', '--query', '--queryformat=installed %{VERSION}', 'cloudflared'],
      version: '2025.8.1',
    });
    expect(packageSource(hostOf(fleet, 'lab-pi-3'))).toMatchObject({
      refresh: ['apt-get', 'update'],
      installedQuery: ['dpkg-query', '--show', '--showformat=${db:Status-Status} ${Version}', 'cloudflared'],
    });
  });

  it('Chef: refreshes only when the repository changed this run or the pinned version is not the installed one', () => {
    const install = recipe('install');
    const refresh = /execute 'cloudflared: refresh package index' do\n([\s\S]*?)\n {2}end\n/.exec(install)?.[1] ?? '';
    // Not a notification target any more: its own guard decides, so a bump finds the new release on the next run.
    expect(refresh).not.toContain('action :nothing');
    expect(refresh).toContain('only_if do');
    expect(refresh).toContain('repository_resources.any?(&:updated_by_last_action?)');
    expect(refresh).toContain('installed != "installed #{pinned}"');
    expect(install).not.toMatch(/notifies :run, 'execute\[cloudflared: refresh package index\]'/);
    expect(chefInstall(sampleFleet(), 'kiosk-17')).toMatchObject({
      installed_query: ['rpm', '--query', '--queryformat=installed %{VERSION}', 'cloudflared'],
      repository: { refresh: ['dnf', 'makecache', '--refresh', '--repo', 'cloudflared-stable'] },
    });
  });

  it('Ansible: refreshes only then too, and installs the pinned version up or down on apt and dnf', () => {
    const install = tasks(sampleFleet(), 'install.yml');
    const decide = task(install, 'Decide whether the package index needs a refresh');
    const expression = String((decide['ansible.builtin.set_fact'] as Record<string, unknown>).cloudflared_package_refresh);
    expect(expression).toContain('cloudflared_repository | default({}) is changed');
    expect(expression).toContain('cloudflared_installed_versions != [cloudflared_version]');
    expect(install.map((t) => t.name).indexOf('Read the installed packages')).toBeLessThan(install.indexOf(decide));
    const apt = task(tasks(sampleFleet(), 'install-apt.yml'), 'Install the cloudflared package')['ansible.builtin.apt'];
    expect(apt).toMatchObject({ allow_downgrade: true, update_cache: '{{ cloudflared_package_refresh | bool }}', state: 'present' });
    const dnf = tasks(sampleFleet(), 'install-dnf.yml');
    expect(task(dnf, 'Install the cloudflared package')['ansible.builtin.dnf']).toMatchObject({ allow_downgrade: true, state: 'present' });
    expect(task(dnf, "Refresh the cloudflared repository's metadata")).toMatchObject({
      'ansible.builtin.command': { argv: '{{ cloudflared_package_refresh_argv }}' },
      when: 'cloudflared_package_refresh | bool',
    });
    expect(hostVars(sampleFleet(), 'kiosk-17').cloudflared_package_refresh_argv).toEqual(['dnf', 'makecache', '--refresh', '--repo', 'cloudflared-stable']);
  });

  it('holds an apt host at the pinned release (Pin-Priority 1001: up or down), on every target', () => {
    const fleet = sampleFleet();
    const pi = hostOf(fleet, 'lab-pi-3');
    const hold = packageSource(pi)?.holdFile;
    expect(hold).toEqual({
      path: APT_PREFERENCES_PATH,
      content: expect.stringContaining('\nPackage: cloudflared\nPin: version 2025.8.1\nPin-Priority: 1001\n'),
    });
    expect(hostVars(fleet, 'lab-pi-3').cloudflared_repository_files).toContainEqual(expect.objectContaining({ ...hold, owner: 'root', group: 'root', mode: '0644' }));
    expect((chefInstall(fleet, 'lab-pi-3').repository as Record<string, unknown>).hold).toMatchObject(hold ?? {});
    expect(renderUserData(pi).data.write_files).toContainEqual(expect.objectContaining({ content: hold?.content }));
    expect(runcmd(pi)).toContainEqual(['install', '-o', 'root', '-g', 'root', '-m', '0644', '/var/tmp/fleetgen-cloudflared/cloudflared.pref', APT_PREFERENCES_PATH]);
    // Unpinned, nothing is held; rpm has no hold without a plugin (every target converges back instead).
    delete pi.cloudflared.version;
    expect(packageSource(pi)?.holdFile).toBeUndefined();
    expect(packageSource(hostOf(fleet, 'kiosk-17'))?.holdFile).toBeUndefined();
  });

  it('requires Chef 16.10, the first 16.x whose dnf_package stops reinstalling a version-pinned package every run', () => {
    const metadata = String(chef(sampleFleet(), {}).files.get('cookbooks/acme_pos/metadata.rb')?.content);
    expect(metadata).toMatch(/^chef_version '>= 16\.10'$/m);
  });
});

describe('the repository key', () => {
  it('Ansible downloads it on every run (force), so a rotated key replaces the old one', () => {
    const fetch = task(tasks(sampleFleet(), 'install-repository-key.yml'), 'Download the repository signing key')['ansible.builtin.get_url'];
    expect(fetch).toMatchObject({ force: true, dest: '{{ cloudflared_repository_key_path }}' });
  });

  it('pins apt to the fingerprints through signed-by, which apt enforces itself', () => {
    const source = packageSource(hostOf(pinnedFleet(), 'lab-pi-3'));
    expect(source?.sourceFile).toEqual({
      path: APT_SOURCE_PATHS['one-line'],
      content: expect.stringContaining(`deb [signed-by=/usr/share/keyrings/cloudflared.gpg,${FPR_A},${FPR_B}] https://mirror.internal/cloudflared/deb any main\n`),
    });
    expect(source?.key).toEqual({ path: '/usr/share/keyrings/cloudflared.gpg', url: 'https://mirror.internal/cloudflared/cloudflare-main.gpg' });
  });

  it('has rpm hosts fetch the key themselves and install it only once the check accepts it (dnf would import any key)', () => {
    const fleet = pinnedFleet();
    const kiosk = hostOf(fleet, 'kiosk-17');
    const source = packageSource(kiosk);
    const check = { script: { path: KEY_CHECK_SCRIPT, content: readGeneratorFile('common/cloudflared-repository-key-check.sh') }, fingerprints: [FPR_A, FPR_B] };
    expect(source?.key).toEqual({ path: '/etc/pki/rpm-gpg/RPM-GPG-KEY-cloudflared', url: 'https://pkg.cloudflare.com/cloudflare-ascii-pubkey.gpg', check });
    expect(source?.sourceFile.content).toContain('\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-cloudflared\n');
    // Chef: remote_file verifies the candidate with the check.
    expect(chefInstall(fleet, 'kiosk-17')).toMatchObject({ repository: { key: { check } } });
    expect(recipe('install')).toContain("verify { |candidate| FleetgenCloudflared.succeeds?(check['script']['path'], candidate, *check['fingerprints']) } if check");
    // Ansible: downloads beside it, then copies it in place with the check as validate.
    const keyTasks = tasks(fleet, 'install-repository-key.yml');
    expect(task(keyTasks, 'Install the downloaded key once every key in it is pinned')['ansible.builtin.copy']).toMatchObject({
      remote_src: true,
      validate: "{{ cloudflared_repository_key_check.path }} %s {{ cloudflared_repository_key_fingerprints | join(' ') }}",
    });
    expect(hostVars(fleet, 'kiosk-17')).toMatchObject({ cloudflared_repository_key_fingerprints: [FPR_A, FPR_B] });
    // cloud-init: download, check, install, in that order.
    const steps = runcmd(kiosk).map((a) => a.join(' '));
    const at = (prefix: string): number => steps.findIndex((s) => s.startsWith(prefix));
    expect(at('curl')).toBeLessThan(at(`${KEY_CHECK_SCRIPT} /var/tmp/fleetgen-cloudflared/repository-key ${FPR_A} ${FPR_B}`));
    expect(at(KEY_CHECK_SCRIPT)).toBeLessThan(at('install -o root -g root -m 0644 /var/tmp/fleetgen-cloudflared/repository-key /etc/pki/rpm-gpg/RPM-GPG-KEY-cloudflared'));
    // Without fingerprints dnf fetches the key from the .repo file's gpgkey URL itself.
    expect(packageSource(hostOf(sampleFleet(), 'kiosk-17'))?.sourceFile.content).toContain('\ngpgkey=https://pkg.cloudflare.com/cloudflare-ascii-pubkey.gpg\n');
  });

  it('cloud-init: the apt source goes in place only after its key, so no apt-get update in between meets a source without a key', () => {
    const pi = hostOf(sampleFleet(), 'lab-pi-3');
    const data = renderUserData(pi).data as { write_files: { path: string }[] };
    expect(data.write_files.map((f) => f.path)).not.toContain(APT_SOURCE_PATHS['one-line']);
    const steps = runcmd(pi).map((a) => a.join(' '));
    const key = steps.findIndex((s) => s.startsWith('curl') && s.endsWith('/cloudflare-main.gpg'));
    const source = steps.indexOf(`install -o root -g root -m 0644 /var/tmp/fleetgen-cloudflared/cloudflared.list ${APT_SOURCE_PATHS['one-line']}`);
    const update = steps.findIndex((s) => s.endsWith(' update'));
    expect(key).toBeGreaterThan(0);
    expect(key).toBeLessThan(source);
    expect(source).toBeLessThan(update);
  });
});

describe('the host architecture', () => {
  it('names what a host of the manifest arch reports: dpkg (the userland a binary must match) or uname -m', () => {
    const fleet = sampleFleet();
    expect(hostState(hostOf(fleet, 'lab-pi-3')).arch).toEqual({ query: ['dpkg', '--print-architecture'], accepted: ['armhf'], manifest: 'armhf' });
    expect(hostState(hostOf(fleet, 'store-0001')).arch).toEqual({ query: ['dpkg', '--print-architecture'], accepted: ['arm64'], manifest: 'arm64' });
    expect(hostState(hostOf(fleet, 'kiosk-17')).arch).toEqual({ query: ['uname', '-m'], accepted: ['x86_64'], manifest: 'amd64' });
  });

  it('is checked first, before anything is installed, on every target', () => {
    const fleet = sampleFleet();
    const store = hostOf(fleet, 'store-0001');
    // cloud-init: right after set -e, before the download.
    expect(runcmd(store)[1]?.slice(0, 2)).toEqual(['sh', '-c']);
    expect(runcmd(store)[1]?.slice(3)).toEqual(['sh', 'arm64', 'arm64', 'dpkg', '--print-architecture']);
    // Ansible: the first tasks of the install.
    expect(tasks(fleet, 'install.yml').slice(0, 2).map((t) => t.name)).toEqual(["Read the host's architecture", "Check that the host's architecture is the one fleet.yaml gives"]);
    expect(hostVars(fleet, 'store-0001')).toMatchObject({ cloudflared_arch: 'arm64', cloudflared_arch_query: ['dpkg', '--print-architecture'], cloudflared_arch_accepted: ['arm64'] });
    // Chef: the install recipe's first resource.
    const install = recipe('install');
    expect(install.indexOf("ruby_block 'cloudflared: check the architecture'")).toBeLessThan(install.indexOf('case install['));
  });

  describe('the cloud-init check, run by sh', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetgen-arch-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const check = async (accepted: string, reported: string): Promise<{ status: number | null; stderr: string }> => {
      const step = runcmd(hostOf(sampleFleet(), 'store-0001'))[1] ?? [];
      const fake = join(dir, 'report');
      writeFileSync(fake, `#!/bin/sh\necho ${reported}\n`, { mode: 0o755 });
      const result = await runCommand('sh', ['-c', step[2] ?? '', 'sh', 'arm64', accepted, fake]);
      return { status: result.status, stderr: result.stderr };
    };

    it('passes on a host of the manifest arch, and fails with a message that says what to fix otherwise', async () => {
      expect(await check('arm64', 'arm64')).toEqual({ status: 0, stderr: '' });
      const wrong = await check('arm64', 'armhf');
      expect(wrong.status).toBe(1);
      expect(wrong.stderr).toContain('host architecture is "armhf"');
      expect(wrong.stderr).toContain('fleet.yaml says arm64: nothing installed; correct platform.arch');
    });
  });
});

describe('fingerprints of repository keys', () => {
  const home = mkdtempSync(join(tmpdir(), 'fleetgen-gpg-'));
  const keys: Record<string, { fingerprint: string }> = {};
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  const gpg = async (args: string[]): Promise<string> => {
    const result = await runCommand('gpg', ['--homedir', home, '--batch', '--quiet', '--no-tty', ...args], { installHint: 'apt-get install gnupg' });
    if (result.status !== 0) throw new Error(`gpg ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };

  beforeAll(async () => {
    for (const [name, algo] of [['ed', 'ed25519'], ['rsa', 'rsa2048']] as const) {
      await gpg(['--passphrase', '', '--quick-gen-key', `${name} <${name}@example.com>`, algo, 'sign', 'never']);
      const fingerprint = /^fpr:{9}([0-9A-F]+):/m.exec(await gpg(['--with-colons', '--list-keys', `${name}@example.com`]))?.[1] ?? '';
      // A subkey too: it is not a primary key, and must not count.
      await gpg(['--passphrase', '', '--quick-add-key', fingerprint, name === 'ed' ? 'cv25519' : 'rsa2048', 'encr', 'never']);
      keys[name] = { fingerprint };
    }
  }, 120_000);

  const exported = async (armored: boolean, ...names: string[]): Promise<Buffer> => {
    const result = await runCommand('sh', ['-c', `gpg --homedir "$0" --batch ${armored ? '--armor ' : ''}--export "$@" | base64 -w0`, home, ...names.map((n) => keys[n]?.fingerprint ?? '')]);
    return Buffer.from(result.stdout, 'base64');
  };

  it('are the ones gpg prints, for armored and binary keys, subkeys left out', async () => {
    for (const armored of [false, true]) {
      expect(primaryKeyFingerprints(await exported(armored, 'ed'))).toEqual({ ok: true, fingerprints: [keys.ed?.fingerprint] });
      expect(primaryKeyFingerprints(await exported(armored, 'ed', 'rsa'))).toEqual({ ok: true, fingerprints: [keys.ed?.fingerprint, keys.rsa?.fingerprint] });
    }
    expect(normalizeFingerprint('fba8 c0ee 6361 7c5e ed69  5c43 254b 391d 8cac cbf8')).toBe('FBA8C0EE63617C5EED695C43254B391D8CACCBF8');
  });

  it('are checked on the host by the shared script: every key in the file pinned, else nothing is installed', async () => {
    const script = join(home, 'check.sh');
    writeFileSync(script, readGeneratorFile('common/cloudflared-repository-key-check.sh'), { mode: 0o755 });
    const file = join(home, 'candidate');
    const check = async (content: Buffer, ...pinned: string[]): Promise<number | null> => {
      writeFileSync(file, content);
      return (await runCommand('sh', [script, file, ...pinned])).status;
    };
    const ed = keys.ed?.fingerprint ?? '';
    const rsa = keys.rsa?.fingerprint ?? '';
    for (const armored of [false, true]) {
      expect(await check(await exported(armored, 'ed'), ed), `armored ${armored}`).toBe(0);
      expect(await check(await exported(armored, 'ed'), rsa, ed)).toBe(0);
      expect(await check(await exported(armored, 'ed'), rsa)).toBe(1);
      // An unpinned key alongside a pinned one: rpm would trust it too.
      expect(await check(await exported(armored, 'ed', 'rsa'), ed)).toBe(1);
      expect(await check(await exported(armored, 'ed', 'rsa'), ed, rsa)).toBe(0);
    }
    // CRLF line ends in an armored file.
    expect(await check(Buffer.from((await exported(true, 'rsa')).toString('latin1').replace(/\n/g, '\r\n'), 'latin1'), rsa)).toBe(0);
    expect(await check(Buffer.from('<html>not found</html>\n'), ed)).toBe(1);
  });
});
