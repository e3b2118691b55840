/**
 * Decommissioning (state: decommissioned): what each target does with such a host, and the one list (hostRemoval)
 * that says what goes, checked against everything an active host of any kind gets.
 */
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, visit } from 'yaml';
import { hostReports, renderHostsTable } from '../../../src/cli/hosts-report.js';
import type { Fleet, Host } from '../../../src/model/fleet.js';
import { ansible } from '../../../src/targets/ansible/index.js';
import { chef, NODE_SECRETS_DIR } from '../../../src/targets/chef/index.js';
import { cloudInit } from '../../../src/targets/cloud-init/index.js';
import { DEFAULT_STOP_DELAY_SECONDS, hostRemoval } from '../../../src/targets/common/host-removal.js';
import { hostState } from '../../../src/targets/common/host-state.js';
import { packageSource } from '../../../src/targets/common/package-source.js';
import { terraform } from '../../../src/targets/terraform/index.js';
import { writeFileSetToTemp } from '../../support/fileset-on-disk.js';
import { parseAnsibleYaml } from '../ansible/support.js';
import { hostileFleet } from '../../support/hostile-fleet.js';
import { platformFleet } from '../../support/platform-fleet.js';
import { runCommand } from '../../support/run-command.js';
import { FAKE_CERT_PEM, FAKE_TOKEN, FAKE_TUNNEL_SECRET, sampleFleet } from '../../support/sample-fleet.js';

const FAKE_CHEF = new URL('../chef/fake-chef.rb', import.meta.url).pathname;
const SECRET_VALUES = [FAKE_TUNNEL_SECRET, FAKE_TOKEN, FAKE_CERT_PEM.split('\n')[1] ?? '', 'api-token-secret-value'];
/** store-0001 (release binary, short-lived certificates with principals), lab-pi-3 (apt package, self-register,
 * lockdown) and pos-legacy (preinstalled, RHEL 8) go; kiosk-17 stays. */
const LEAVING = ['lab-pi-3', 'pos-legacy', 'store-0001'];

function decommissioned(fleet: Fleet = sampleFleet(), names: readonly string[] = LEAVING): Fleet {
  for (const host of fleet.hosts) if (names.includes(host.name)) host.state = 'decommissioned';
  return fleet;
}

const hostNamed = (fleet: Fleet, name: string): Host => {
  const host = fleet.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`no host ${name}`);
  return host;
};

/** Every path an active host of this kind gets from any target: state files and directories, repository files. */
function pathsOfActive(host: Host): string[] {
  const active = { ...structuredClone(host), state: 'active' as const };
  const state = hostState(active);
  const source = packageSource(active);
  return [
    ...state.files.map((f) => f.path),
    ...state.directories.map((d) => d.path),
    state.takeover.script.path,
    state.egressCheck.script.path,
    ...(state.selfRegister?.originCert ? [state.selfRegister.originCert.path] : []),
    ...(state.lockdown ? [state.lockdown.dropIn.path] : []),
    ...(source ? [source.sourceFile.path, ...source.staleSourceFiles, ...(source.holdFile ? [source.holdFile.path] : []), ...(source.key ? [source.key.path] : [])] : []),
    ...(source?.key && 'check' in source.key && source.key.check ? [source.key.check.script.path] : []),
    ...(active.cloudflared.method === 'binary' ? [active.cloudflared.binaryPath] : []),
  ];
}

describe('decommissioning a host', () => {
  it('removes every path an active host of any kind gets, on every platform, in any mode', () => {
    const hosts = [...sampleFleet().hosts, ...platformFleet().hosts, ...hostileFleet().hosts];
    for (const host of hosts) {
      const removal = hostRemoval({ ...host, state: 'decommissioned' });
      const removed = [...removal.sshd.files, ...removal.sshd.directories, ...removal.files, removal.service.unit, removal.sysctl.file, ...(removal.binary ? [removal.binary] : [])];
      // Kept on purpose: the folders a distribution ships (/etc/ssh/sshd_config.d) and the binary's folder.
      const kept = new Set(['/etc/ssh/sshd_config.d', posix.dirname(host.cloudflared.binaryPath)]);
      for (const path of pathsOfActive(host)) {
        if (kept.has(path)) continue;
        const isCovered = removed.includes(path) || removal.directories.some((dir) => path === dir || path.startsWith(`${dir}/`));
        expect(isCovered, `${host.name}: ${path} stays behind`).toBe(true);
      }
    }
  });

  it('restores sshd first, then removes the rest, and stops the tunnel last, after the run, from a command line systemd does not expand', () => {
    const removal = hostRemoval(hostNamed(decommissioned(), 'lab-pi-3'));
    expect(removal.sshd.files.slice(0, 2)).toEqual(['/etc/ssh/sshd_config.d/60-cloudflared-lockdown.conf', '/etc/ssh/sshd_config.d/50-cloudflare-access.conf']);
    expect(removal.stop.schedule.slice(0, 3)).toEqual(['systemd-run', '--unit=cloudflared-decommission', '--collect']);
    // systemd expands $VAR and %-specifiers in a transient unit's command line: the script holds neither.
    const script = removal.stop.finish.at(-1) ?? '';
    expect(script).not.toMatch(/[$%]/);
    expect(script.indexOf('systemctl stop cloudflared.service')).toBeLessThan(script.indexOf('userdel cloudflared'));
    expect(removal.package).toEqual({ name: 'cloudflared', manager: 'apt' });
    expect(hostRemoval(hostNamed(decommissioned(), 'store-0001')).binary).toBe('/usr/local/bin/cloudflared');
    // A preinstalled binary belongs to the image.
    const legacy = hostRemoval(hostNamed(decommissioned(), 'pos-legacy'));
    expect({ package: legacy.package, binary: legacy.binary, sshd: legacy.sshd.service }).toEqual({ package: undefined, binary: undefined, sshd: 'sshd' });
  });

  it('Chef: the node gets a decommission item and no secrets item, node secret or secret value', () => {
    const files = chef(decommissioned(), { chefSecret: 'correct horse battery staple' }).files;
    const paths = files.list().map((f) => f.path);
    for (const name of LEAVING) {
      expect(paths).not.toContain(`data_bags/acme_pos_secrets/${name}.json`);
      expect(paths).not.toContain(`${NODE_SECRETS_DIR}/${name}`);
      const item = JSON.parse(String(files.get(`data_bags/acme_pos/${name}.json`)?.content)) as Record<string, unknown>;
      expect(Object.keys(item).sort()).toEqual(['decommission', 'id']);
      for (const secret of SECRET_VALUES) expect(JSON.stringify(item)).not.toContain(secret);
    }
    expect(paths).toContain('data_bags/acme_pos_secrets/kiosk-17.json');
    expect(String(files.get('cookbooks/acme_pos/attributes/default.rb')?.content)).toContain(`['decommission_stop_delay'] = ${DEFAULT_STOP_DELAY_SECONDS}`);
  });

  it('Chef: compiles to the decommission recipe alone, sshd restored before anything else and the stop scheduled last', async () => {
    const dir = writeFileSetToTemp(chef(decommissioned(), {}).files, 'fleetgen-chef-decommission-');
    const result = await runCommand('ruby', ['-w', FAKE_CHEF, dir, 'acme_pos', 'lab-pi-3'], { installHint: 'apt-get install ruby' });
    expect(result.stderr).toBe('');
    const compiled = JSON.parse(result.stdout) as { loaded_recipes: string[]; resources: { type: string; name: string; properties: Record<string, unknown> }[] };
    expect(compiled.loaded_recipes).toEqual(['acme_pos::default', 'acme_pos::decommission']);
    const names = compiled.resources.map((r) => `${r.type}[${r.name}]`);
    // Chef identifies resources by type and name: a duplicate would silently merge two declarations.
    expect(new Set(names).size).toBe(names.length);
    const at = (name: string): number => {
      const index = names.indexOf(name);
      expect(index, name).toBeGreaterThanOrEqual(0);
      return index;
    };
    const removal = hostRemoval(hostNamed(decommissioned(), 'lab-pi-3'));
    const reload = at('execute[cloudflared: reload sshd, decommissioned]');
    // The lockdown's guard is stopped and disabled before the lockdown is lifted: it would lock SSH down again.
    const guard = at('execute[cloudflared: stop and disable the lockdown guard]');
    expect(compiled.resources[guard]?.properties.command).toEqual(['systemctl', 'disable', '--now', 'cloudflared-ssh-lockdown.timer', 'cloudflared-ssh-lockdown.service']);
    expect(guard).toBeLessThan(at('file[/etc/ssh/sshd_config.d/60-cloudflared-lockdown.conf]'));
    expect(at('file[/etc/ssh/sshd_config.d/60-cloudflared-lockdown.conf]')).toBeLessThan(at('execute[cloudflared: sshd -t before sshd listens as before fleetgen]'));
    expect(at('execute[cloudflared: sshd -t before sshd listens as before fleetgen]')).toBeLessThan(reload);
    for (const later of ['service[cloudflared]', 'file[/etc/systemd/system/cloudflared.service]', 'package[cloudflared]', 'directory[/etc/cloudflared]', ...removal.files.map((f) => `file[${f}]`)]) {
      expect(at(later), later).toBeGreaterThan(reload);
    }
    const schedule = at('execute[cloudflared: stop the tunnel and remove its user after the run]');
    expect(schedule).toBe(names.length - 2);
    expect(compiled.resources[schedule]?.properties.command).toEqual([...removal.stop.schedule, `--on-active=${DEFAULT_STOP_DELAY_SECONDS}s`, ...removal.stop.finish]);
    expect(compiled.resources.find((r) => r.type === 'directory' && r.name === '/etc/cloudflared')?.properties).toMatchObject({ recursive: true, action: 'delete' });
    expect(compiled.resources.find((r) => r.type === 'package')?.properties).toMatchObject({ action: 'purge' });
  });

  it.each(LEAVING)('Chef: compiles for %s (apt, release binary, preinstalled on RHEL 8) with every resource once and the stop last', async (name) => {
    const dir = writeFileSetToTemp(chef(decommissioned(), {}).files, 'fleetgen-chef-decommission-');
    const result = await runCommand('ruby', ['-w', FAKE_CHEF, dir, 'acme_pos', name], { installHint: 'apt-get install ruby' });
    expect(result.stderr).toBe('');
    const resources = (JSON.parse(result.stdout) as { resources: { type: string; name: string }[] }).resources.map((r) => `${r.type}[${r.name}]`);
    expect(new Set(resources).size).toBe(resources.length);
    expect(resources.slice(-2)).toEqual(['execute[cloudflared: stop the tunnel and remove its user after the run]', 'log[cloudflared: the tunnel stops after the run]']);
    const removal = hostRemoval(hostNamed(decommissioned(), name));
    expect(resources.includes('package[cloudflared]')).toBe(removal.package !== undefined);
    if (removal.binary) expect(resources).toContain(`file[${removal.binary}]`);
  });

  it('Ansible: host_vars say what goes, with no secrets.yml and no secret value', () => {
    const files = ansible(decommissioned(), {}).files;
    const paths = files.list().map((f) => f.path);
    for (const name of LEAVING) {
      expect(paths).not.toContain(`inventory/host_vars/${name}/secrets.yml`);
      const content = String(files.get(`inventory/host_vars/${name}/cloudflared.yml`)?.content);
      for (const secret of SECRET_VALUES) expect(content).not.toContain(secret);
      const vars = parse(content.replace(/!unsafe /g, '')) as { cloudflared_state: string; cloudflared_decommission: { stop: { finish: string[] }; binary: string } };
      expect(Object.keys(vars).sort()).toEqual(['cloudflared_decommission', 'cloudflared_state']);
      expect(vars.cloudflared_state).toBe('decommissioned');
      const removal = hostRemoval(hostNamed(decommissioned(), name));
      expect(vars.cloudflared_decommission.stop.finish).toEqual(removal.stop.finish);
      expect(vars.cloudflared_decommission.binary).toBe(removal.binary ?? '');
    }
    expect(paths).toContain('inventory/host_vars/kiosk-17/secrets.yml');
    // Hostile manifest values (paths, user names) reach Ansible as !unsafe strings, never templated.
    const hostile = ansible(decommissioned(hostileFleet()), {}).files;
    for (const name of LEAVING) {
      const untagged: string[] = [];
      visit(parseAnsibleYaml(String(hostile.get(`inventory/host_vars/${name}/cloudflared.yml`)?.content)), {
        Scalar(key, node) {
          if (key !== 'key' && typeof node.value === 'string' && node.tag !== '!unsafe') untagged.push(node.value);
        },
      });
      expect(untagged, name).toEqual([]);
    }
    const defaults = parse(String(files.get('roles/acme_pos/defaults/main.yml')?.content)) as Record<string, unknown>;
    expect(defaults.cloudflared_decommission_stop_delay).toBe(DEFAULT_STOP_DELAY_SECONDS);
  });

  it('Ansible: restores sshd before the unit, package and files go, and schedules the stop last', () => {
    const tasks = parse(String(ansible(decommissioned(), {}).files.get('roles/acme_pos/tasks/decommission.yml')?.content)) as Record<string, unknown>[];
    const names = tasks.map((t) => String(t.name));
    const at = (prefix: string): number => names.findIndex((n) => n.startsWith(prefix));
    const sshd = at('Let sshd listen as it did before fleetgen');
    const block = tasks[sshd]?.block as Record<string, unknown>[];
    expect(block.map((t) => t.name)).toEqual(['Check the sshd configuration', 'Check whether sshd is socket-activated', 'Reload sshd', 'Regenerate and reopen the sshd socket']);
    expect(at('Remove fleetgen\'s sshd drop-ins')).toBeLessThan(sshd);
    // The lockdown's guard is stopped and disabled before the lockdown is lifted: it would lock SSH down again.
    expect(at('Stop and disable the lockdown guard')).toBeGreaterThanOrEqual(0);
    expect(at('Stop and disable the lockdown guard')).toBeLessThan(at('Remove fleetgen\'s sshd drop-ins'));
    expect(tasks[at('Stop and disable the lockdown guard')]?.['ansible.builtin.command']).toEqual({
      argv: "{{ ['systemctl', 'disable', '--now'] + cloudflared_decommission.sshd.guard }}",
    });
    for (const later of ['Disable cloudflared', 'Remove cloudflared\'s unit', 'Remove the cloudflared package (apt)', 'Remove the cloudflared release binary', 'Remove /etc/cloudflared', 'Remove the repository']) {
      expect(at(later), later).toBeGreaterThan(sshd);
    }
    expect(at('Stop the tunnel and remove its user after the play')).toBe(names.length - 2);
    const main = parse(String(ansible(decommissioned(), {}).files.get('roles/acme_pos/tasks/main.yml')?.content)) as Record<string, unknown>[];
    expect(main.slice(1).map((t) => [t['ansible.builtin.include_tasks'], t.when])).toEqual([
      ['decommission.yml', "cloudflared_state == 'decommissioned'"],
      ['setup.yml', "cloudflared_state == 'active'"],
    ]);
  });

  it('gives Chef and Ansible the reviewed removal data of a decommissioned host', () => {
    const fleet = decommissioned();
    expect({
      chef: JSON.parse(String(chef(fleet, {}).files.get('data_bags/acme_pos/store-0001.json')?.content)) as unknown,
      ansible: String(ansible(fleet, {}).files.get('inventory/host_vars/store-0001/cloudflared.yml')?.content),
    }).toMatchSnapshot();
  });

  it('cloud-init: writes no user-data for a decommissioned host, and says so', () => {
    const output = cloudInit(decommissioned(), {});
    expect(output.files.list().map((f) => f.path)).toEqual(['kiosk-17.yaml']);
    expect(output.warnings.filter((w) => w.code === 'cloud-init.decommissioned-no-user-data').map((w) => [w.host, w.message])).toEqual(
      LEAVING.map((host) => [host, expect.stringContaining('no user-data (state: decommissioned)')]),
    );
  });

  it('Terraform: keeps a decommissioned host\'s tunnel, DNS records and Access application until the host leaves the manifest', () => {
    const active = terraform(sampleFleet(), {}).files.toRecord();
    expect(terraform(decommissioned(), {}).files.toRecord()).toEqual(active);
  });

  it('fleetgen hosts: shows which hosts are being decommissioned, and what comes next', () => {
    const reports = hostReports(decommissioned());
    expect(reports.map((r) => [r.name, r.state])).toEqual([
      ['kiosk-17', 'active'],
      ['lab-pi-3', 'decommissioned'],
      ['pos-legacy', 'decommissioned'],
      ['store-0001', 'decommissioned'],
    ]);
    expect(renderHostsTable(reports)).toContain('DECOMMISSIONING (state: decommissioned): lab-pi-3, pos-legacy, store-0001');
    expect(renderHostsTable(hostReports(sampleFleet()))).not.toContain('DECOMMISSIONING');
  });
});
