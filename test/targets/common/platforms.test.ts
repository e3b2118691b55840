/**
 * Every supported OS (model/platforms.ts), through every target: the facts that differ by release — the apt
 * source format, the package manager, whether sshd reads sshd_config.d, the sshd unit — reach Chef, Ansible and
 * cloud-init alike. The apt sources are read back by the machine's real apt.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Host, OsId } from '../../../src/model/fleet.js';
import { OS_FACTS } from '../../../src/model/platforms.js';
import { ansible } from '../../../src/targets/ansible/index.js';
import { chef } from '../../../src/targets/chef/index.js';
import { renderUserData } from '../../../src/targets/cloud-init/user-data.js';
import { hostState, SSHD_CHECK_SCRIPT } from '../../../src/targets/common/host-state.js';
import { APT_SOURCE_PATHS, packageSource, YUM_REPO_PATH } from '../../../src/targets/common/package-source.js';
import { platformFleet, platformHostName, SUPPORTED_OS } from '../../support/platform-fleet.js';
import { chefHostData } from '../../support/host-data.js';
import { runCommand } from '../../support/run-command.js';
import { hostVars } from '../ansible/support.js';

const fleet = platformFleet();
const hostOn = (os: OsId): Host => {
  const host = fleet.hosts.find((h) => h.name === platformHostName(os));
  if (!host) throw new Error(`no host for ${os}`);
  return host;
};
const ansibleFiles = ansible(fleet, {}).files;
const chefFiles = chef(fleet, {}).files;

const work = mkdtempSync(join(tmpdir(), 'fleetgen-platforms-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What the real apt reads from one sources.list.d file: its index targets, and anything it says about the file. */
async function aptReads(file: { path: string; content: string }): Promise<{ targets: string[]; stderr: string }> {
  const dir = mkdtempSync(join(work, 'apt-'));
  for (const sub of ['parts', 'lists/partial', 'cache']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'parts', basename(file.path)), file.content);
  const options = [
    '-o', 'Dir::Etc::SourceList=/dev/null', '-o', `Dir::Etc::SourceParts=${join(dir, 'parts')}`,
    '-o', `Dir::State::Lists=${join(dir, 'lists')}`, '-o', `Dir::Cache=${join(dir, 'cache')}`, '-o', 'APT::Architecture=amd64', '-o', 'APT::Architectures=amd64',
  ];
  const result = await runCommand('apt-get', [...options, 'indextargets', '--no-release-info', '--format', '$(TARGET_OF) $(REPO_URI) $(RELEASE) $(COMPONENT) $(IDENTIFIER) $(ARCHITECTURE)'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
    installHint: 'apt-get is part of every Debian machine',
  });
  expect(result.status, result.stderr).toBe(0);
  return { targets: result.stdout.split('\n').filter(Boolean).sort(), stderr: result.stderr };
}

describe('the supported platforms', () => {
  it('are the schema\'s OS list, each with its facts', () => {
    expect(SUPPORTED_OS).toEqual(['debian-11', 'debian-12', 'debian-13', 'ubuntu-20.04', 'ubuntu-22.04', 'ubuntu-24.04', 'rhel-8', 'rhel-9', 'rhel-10']);
    expect(fleet.hosts).toHaveLength(SUPPORTED_OS.length);
  });

  it('write deb822 apt sources only where apt deprecates the one-line format (Debian 13, apt 3.0), and need the sshd Include only on RHEL 8', () => {
    const table = Object.fromEntries(SUPPORTED_OS.map((os) => [os, [OS_FACTS[os].family, OS_FACTS[os].aptSourceFormat ?? '-', OS_FACTS[os].sshdReadsDropIns ? 'drop-ins' : 'Include']]));
    expect(table).toEqual({
      'debian-11': ['debian', 'one-line', 'drop-ins'],
      'debian-12': ['debian', 'one-line', 'drop-ins'],
      'debian-13': ['debian', 'deb822', 'drop-ins'],
      'ubuntu-20.04': ['debian', 'one-line', 'drop-ins'],
      'ubuntu-22.04': ['debian', 'one-line', 'drop-ins'],
      'ubuntu-24.04': ['debian', 'one-line', 'drop-ins'],
      'rhel-8': ['rhel', '-', 'Include'],
      'rhel-9': ['rhel', '-', 'drop-ins'],
      'rhel-10': ['rhel', '-', 'drop-ins'],
    });
  });
});

describe.each(SUPPORTED_OS)('a host on %s', (os) => {
  const host = hostOn(os);
  const facts = OS_FACTS[os];
  const source = packageSource(host);
  if (!source) throw new Error(`${host.name} is a package host`);

  it('gets the repository file of its release: the apt source in its format, or the yum .repo', () => {
    if (facts.family === 'rhel') {
      expect({ family: source.family, path: source.sourceFile.path, stale: source.staleSourceFiles }).toEqual({ family: 'rhel', path: YUM_REPO_PATH, stale: [] });
      expect(source.sourceFile.content).toMatch(/^\[cloudflared-stable\]$/m);
      return;
    }
    const format = facts.aptSourceFormat ?? 'missing';
    const other = format === 'deb822' ? 'one-line' : 'deb822';
    expect({ family: source.family, path: source.sourceFile.path, stale: source.staleSourceFiles }).toEqual({
      family: 'debian',
      path: APT_SOURCE_PATHS[format as keyof typeof APT_SOURCE_PATHS],
      stale: [APT_SOURCE_PATHS[other]],
    });
    const keyring = source.key?.path ?? '';
    expect(source.sourceFile.content).toContain(format === 'deb822' ? `\nSigned-By: ${keyring}\n` : `deb [signed-by=${keyring}] `);
  });

  it.runIf(OS_FACTS[os].family === 'debian')('writes an apt source that the real apt reads as exactly the repository, with no complaint', async () => {
    const read = await aptReads(source.sourceFile);
    const url = (host.cloudflared.repository?.url ?? '').replace(/\/?$/, '/');
    expect(read).toEqual({ stderr: '', targets: [`deb ${url} any main Packages all`, `deb ${url} any main Packages amd64`].sort() });
    // The same repository in the other format reads the same: switching formats changes no index target.
    const otherFormat = { ...host, platform: { ...host.platform, os: SUPPORTED_OS.find((o) => OS_FACTS[o].family === 'debian' && OS_FACTS[o].aptSourceFormat !== facts.aptSourceFormat) ?? os } };
    const other = packageSource(otherFormat);
    expect(other?.sourceFile.path).not.toBe(source.sourceFile.path);
    expect(await aptReads(other?.sourceFile ?? source.sourceFile)).toEqual(read);
  });

  it('configures sshd the way its release reads drop-ins, and reloads the right unit', () => {
    const state = hostState(host);
    expect(state.ssh).toEqual({ service: facts.family === 'rhel' ? 'sshd' : 'ssh', needsInclude: !facts.sshdReadsDropIns, includeLine: 'Include /etc/ssh/sshd_config.d/*.conf', check: SSHD_CHECK_SCRIPT });
  });

  it('gives Ansible its package manager, repository file, stale apt source and sshd Include', () => {
    const vars = hostVars(ansibleFiles, host.name);
    expect({
      manager: vars.cloudflared_package_manager,
      file: (vars.cloudflared_repository_files as { path: string }[])[0]?.path,
      stale: vars.cloudflared_repository_stale_files,
      include: vars.cloudflared_sshd_include_line,
    }).toEqual({
      manager: facts.family === 'rhel' ? 'dnf' : 'apt',
      file: source.sourceFile.path,
      stale: facts.family === 'rhel' ? undefined : source.staleSourceFiles,
      include: facts.sshdReadsDropIns ? '' : 'Include /etc/ssh/sshd_config.d/*.conf',
    });
  });

  it('gives Chef the same repository, its refresh command and the sshd Include', () => {
    const item = chefHostData(chefFiles, 'acme_pos', host.name) as unknown as {
      install: { family: string; repository: { source: { path: string; content: string }; stale_sources: string[]; refresh: string[] } };
      ssh: { include?: { line: string } };
    };
    expect(item.install.family).toBe(facts.family);
    expect(item.install.repository.source).toMatchObject(source.sourceFile);
    expect(item.install.repository.stale_sources).toEqual(source.staleSourceFiles);
    expect(item.install.repository.refresh[0]).toBe(facts.family === 'rhel' ? 'dnf' : 'apt-get');
    expect(item.ssh.include?.line).toBe(facts.sshdReadsDropIns ? undefined : 'Include /etc/ssh/sshd_config.d/*.conf');
  });

  it('gives cloud-init the same repository file and the package manager of its family', () => {
    const data = renderUserData(host).data as { write_files: { path: string; content: string }[]; runcmd: string[][] };
    // Staged, then put in place by runcmd once the key is there.
    const staged = `/var/tmp/fleetgen-cloudflared/${source.sourceFile.path.split('/').pop() ?? ''}`;
    expect(data.write_files.find((f) => f.path === staged)?.content).toBe(source.sourceFile.content);
    expect(data.runcmd).toContainEqual(['install', '-o', 'root', '-g', 'root', '-m', '0644', staged, source.sourceFile.path]);
    expect(data.write_files.map((f) => f.path)).not.toContain(source.staleSourceFiles[0] ?? '(none)');
    const installs = data.runcmd.filter((argv) => argv.includes('install') && argv.includes(source.packageSpec));
    expect(installs.map((argv) => argv[0] === 'env' ? argv[2] : argv[0])).toEqual([facts.family === 'rhel' ? 'dnf' : 'apt-get']);
    expect(data.runcmd.some((argv) => argv.join(' ').includes('Include /etc/ssh/sshd_config.d/*.conf'))).toBe(!facts.sshdReadsDropIns);
  });
});
