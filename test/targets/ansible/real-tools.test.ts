/**
 * The generated output, run through the real tools from Debian's packages (ansible-core 2.14, ansible-lint 6.13).
 * A missing tool fails these tests; it never skips them.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostState } from '../../../src/targets/common/host-state.js';
import { hostileFleet } from '../../support/hostile-fleet.js';
import { sampleFleet } from '../../support/sample-fleet.js';
import { build, configOf, hostNamed, keyedFleet, must, output, ROLE, runTool, scratchHome, text, writeToTemp } from './support.js';

const HOSTS = ['kiosk-17', 'lab-pi-3', 'pos-legacy', 'store-0001'];
const VAULT_PASSWORD = 'pa$$ wörd {{ not a template }}';
const dirs: string[] = [];
const temp = (dir: string): string => (dirs.push(dir), dir);

let sample: string;
let vaulted: string;
beforeAll(() => {
  sample = temp(writeToTemp(build(sampleFleet())));
  vaulted = temp(writeToTemp(build(sampleFleet(), { vaultPassword: VAULT_PASSWORD })));
  writeFileSync(join(vaulted, '.vault-pass'), VAULT_PASSWORD, { mode: 0o600 });
});
afterAll(() => {
  for (const dir of [...dirs, scratchHome()]) rmSync(dir, { recursive: true, force: true });
});

interface InventoryList {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: unknown;
}

describe('ansible target on the real tools', () => {
  it('passes ansible-lint --profile production with zero findings', async () => {
    // --offline: no Galaxy lookups and no schema refresh (CI has no network); the role needs no collection.
    const result = await runTool('ansible-lint', ['--offline', '--nocolor', '--profile', 'production', `roles/${ROLE}`, 'site.yml'], sample);
    expect(result.status, output(result)).toBe(0);
    expect(output(result)).toMatch(/Passed with production profile: 0 failure\(s\), 0 warning\(s\)/);
  }, 60_000);

  it('passes ansible-playbook --syntax-check, with shipped keys and with vaulted secrets', async () => {
    const keyed = temp(writeToTemp(build(keyedFleet())));
    for (const [dir, extra] of [
      [sample, []],
      [keyed, []],
      [vaulted, ['--vault-password-file', '.vault-pass']],
    ] as const) {
      const result = await runTool('ansible-playbook', ['--syntax-check', '-i', 'inventory/hosts.yml', ...extra, 'site.yml'], dir);
      expect(result.status, output(result)).toBe(0);
      expect(result.stdout).toContain('playbook: site.yml');
    }
  }, 60_000);

  it('parses both inventories, and Ansible holds every host_vars string as unsafe', async () => {
    const list = async (inventory: string): Promise<InventoryList> => {
      const result = await runTool('ansible-inventory', ['-i', inventory, '--list'], sample);
      expect(result.status, output(result)).toBe(0);
      return JSON.parse(result.stdout) as InventoryList;
    };
    const direct = await list('inventory/hosts.yml');
    expect(Object.keys(direct._meta.hostvars).sort()).toEqual(HOSTS);
    expect(direct.stores).toEqual({ hosts: ['store-0001'] });
    expect(direct.ungrouped).toEqual({ hosts: ['pos-legacy'] });

    const access = await list('inventory/access.yml');
    expect(Object.keys(access._meta.hostvars).sort()).toEqual(['lab-pi-3', 'pos-legacy', 'store-0001']);
    const store = must(access._meta.hostvars['store-0001']);
    expect(store.ansible_ssh_common_args).toBe('-o ProxyCommand="cloudflared access ssh --hostname %h"');
    expect(store.ansible_host).toEqual({ __ansible_unsafe: 'amber-harbor.example.com' });
    expect(store.ansible_user).toEqual({ __ansible_unsafe: 'ops' });

    // ansible-inventory shows an unsafe string as {"__ansible_unsafe": …}: no plain string may remain.
    for (const [host, vars] of Object.entries(direct._meta.hostvars)) {
      expect(plainStrings(vars), host).toEqual([]);
      expect(vars.cloudflared_config_content).toEqual({ __ansible_unsafe: configOf(hostNamed(sampleFleet(), host)) });
    }
  }, 60_000);

  it('writes secrets.yml that ansible-vault decrypts to the exact plaintext', async () => {
    const plain = build(sampleFleet());
    for (const host of HOSTS) {
      const path = `inventory/host_vars/${host}/secrets.yml`;
      expect(readFileSync(join(vaulted, path), 'utf8')).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
      const result = await runTool('ansible-vault', ['view', '--vault-password-file', '.vault-pass', path], vaulted);
      expect(result.status, output(result)).toBe(0);
      expect(result.stdout).toBe(text(plain, path));
    }
    const wrong = join(vaulted, '.wrong-pass');
    writeFileSync(wrong, 'not the password', { mode: 0o600 });
    const refused = await runTool('ansible-vault', ['view', '--vault-password-file', wrong, 'inventory/host_vars/store-0001/secrets.yml'], vaulted);
    expect(refused.status).not.toBe(0);
  }, 60_000);

  it('hands hostile strings to modules byte for byte: Ansible evaluates none of them', async () => {
    const fleet = hostileFleet();
    // Also characters a YAML 1.1 parser reads as line breaks, and control characters.
    must(hostNamed(fleet, 'pos-legacy').ingress[1]).originRequest = { httpHostHeader: 'a\u2028b\u2029c\u0085d\re\tf\u0007g {{ 7 * 7 }}' };
    const out = temp(writeToTemp(build(fleet), 'fleetgen-ansible-hostile-'));
    const probeDir = temp(mkdtempSync(join(tmpdir(), 'fleetgen-ansible-probe-')));
    const playbook = join(probeDir, 'probe.yml');
    // Runs on the controller only (connection local), writing into the temp dir: the role itself is not run.
    writeFileSync(
      playbook,
      [
        '- name: Write every managed file the way the role does',
        '  hosts: all',
        '  gather_facts: false',
        '  tasks:',
        '    - name: Load the profile, as the role does first',
        '      ansible.builtin.include_vars:',
        `        file: ${JSON.stringify(`${join(out, 'roles', ROLE, 'vars', 'profiles')}/{{ cloudflared_profile }}.yml`)}`,
        '    - name: Create the host directory',
        '      ansible.builtin.file:',
        '        path: "{{ probe_dir }}/{{ inventory_hostname }}"',
        '        state: directory',
        '        mode: "0700"',
        "    - name: Write config.yml with the role's own template",
        '      ansible.builtin.template:',
        `        src: ${JSON.stringify(join(out, 'roles', ROLE, 'templates', 'config.yml.j2'))}`,
        '        dest: "{{ probe_dir }}/{{ inventory_hostname }}/{{ cloudflared_config.path | basename }}"',
        '        mode: "0600"',
        "    - name: Write each secret file with the role's own template",
        '      ansible.builtin.template:',
        `        src: ${JSON.stringify(join(out, 'roles', ROLE, 'templates', 'file.j2'))}`,
        '        dest: "{{ probe_dir }}/{{ inventory_hostname }}/{{ item.path | basename }}"',
        '        mode: "0600"',
        '      loop: "{{ cloudflared_secret_files + ([cloudflared_lockdown_probe] if cloudflared_lockdown_probe | default({}) else []) }}"',
        '      loop_control:',
        '        label: "{{ item.path }}"',
        "    - name: Write the lockdown guard's service with the role's own template",
        '      ansible.builtin.template:',
        `        src: ${JSON.stringify(join(out, 'roles', ROLE, 'templates', 'lockdown-service.j2'))}`,
        '        dest: "{{ probe_dir }}/{{ inventory_hostname }}/{{ cloudflared_ssh_lockdown_service.path | basename }}"',
        '        mode: "0600"',
        '      when: cloudflared_ssh_lockdown_service_content is defined',
        "    - name: Copy each stored file from the role's files/",
        '      ansible.builtin.copy:',
        `        src: ${JSON.stringify(`${join(out, 'roles', ROLE, 'files')}/{{ item.source }}`)}`,
        '        dest: "{{ probe_dir }}/{{ inventory_hostname }}/{{ item.path | basename }}"',
        '        mode: "0600"',
        '      loop: "{{ cloudflared_files + cloudflared_helper_files + cloudflared_ssh_files + cloudflared_sysctl_files + (cloudflared_ssh_lockdown_files | default([])) + ([cloudflared_ssh_ca | combine({\'source\': cloudflared_ssh_ca_source})] if cloudflared_ssh_ca_source is defined else []) }}"',
        '      loop_control:',
        '        label: "{{ item.path }}"',
        '',
      ].join('\n'),
    );
    const result = await runTool(
      'ansible-playbook',
      ['-i', 'inventory/hosts.yml', '-e', 'ansible_connection=local', '-e', 'ansible_python_interpreter=/usr/bin/python3', '-e', `probe_dir=${probeDir}`, playbook],
      out,
    );
    expect(result.status, output(result)).toBe(0);
    expect(result.stdout).not.toMatch(/uid=\d+/);
    for (const host of fleet.hosts) {
      for (const file of hostState(host).files) {
        const written = readFileSync(join(probeDir, host.name, basename(file.path)), 'utf8');
        expect(written, `${host.name}:${file.path}`).toBe(file.content);
      }
    }
    const legacyConfig = readFileSync(join(probeDir, 'pos-legacy', 'config.yml'), 'utf8');
    expect(legacyConfig).toContain("{{ lookup('pipe','id') }}");
    expect(legacyConfig).toContain('{{ 7 * 7 }}');
  }, 60_000);
});

describe('the role\'s stale-file cleanup, evaluated by the real Ansible', () => {
  it('removes what an earlier manifest left in the secrets\' folder, and nothing this run writes or the host made', async () => {
    // The e2e run caught it: the lockdown probe's token (written by its own task) was removed and written again on
    // every run. The cleanup's own loop expression, from the generated role, with `find` answering every file the
    // host state writes into that folder, every file it keeps, and two that an earlier manifest left.
    const files = build(sampleFleet());
    const tasks = parse(text(files, `roles/${ROLE}/tasks/files.yml`)) as Record<string, unknown>[];
    const cleanup = must(tasks.find((t) => t.name === 'Remove them'));
    const out = temp(writeToTemp(files, 'fleetgen-ansible-stale-'));
    const probeDir = temp(mkdtempSync(join(tmpdir(), 'fleetgen-ansible-stale-probe-')));
    const found: Record<string, { path: string }[]> = {};
    const leftOver = (dir: string) => [`${dir}/00000000-0000-4000-8000-000000000000.json`, `${dir}/tunnel-token.env`];
    for (const host of sampleFleet().hosts) {
      const state = hostState(host);
      const dir = state.stale.directory;
      const present = new Set([...state.files.map((f) => f.path).filter((path) => dirname(path) === dir), ...state.stale.keep]);
      found[host.name] = [...present, ...leftOver(dir).filter((path) => !present.has(path))].map((path) => ({ path }));
    }
    writeFileSync(join(probeDir, 'found.json'), JSON.stringify(found));
    // A role of its own with the generated role's defaults, so that host_vars win over them as in the real role.
    const probeRole = join(probeDir, 'roles', 'stale_probe');
    mkdirSync(join(probeRole, 'defaults'), { recursive: true });
    mkdirSync(join(probeRole, 'tasks'));
    writeFileSync(join(probeRole, 'defaults', 'main.yml'), text(files, `roles/${ROLE}/defaults/main.yml`));
    writeFileSync(
      join(probeRole, 'tasks', 'main.yml'),
      stringify([
        { name: 'Load the profile, as the role does first', 'ansible.builtin.include_vars': { file: `${join(out, 'roles', ROLE, 'vars', 'profiles')}/{{ cloudflared_profile }}.yml` } },
        { name: 'Answer as find would', 'ansible.builtin.set_fact': { cloudflared_stale_found: { files: '{{ found_by_host[inventory_hostname] }}' } } },
        { name: 'Write what the cleanup would remove', 'ansible.builtin.copy': { content: `${String(cleanup.loop).trim().replace(/^\{\{/, '{{ (').replace(/\}\}$/, ') | to_json }}')}`, dest: '{{ probe_dir }}/{{ inventory_hostname }}.removed', mode: '0600' } },
      ]),
    );
    const playbook = join(probeDir, 'probe.yml');
    writeFileSync(
      playbook,
      stringify([
        {
          name: 'Evaluate the role\'s stale-file cleanup',
          hosts: 'all',
          gather_facts: false,
          vars: { found_by_host: `{{ lookup('file', '${join(probeDir, 'found.json')}') | from_json }}` },
          roles: ['stale_probe'],
        },
      ]),
    );
    const result = await runTool(
      'ansible-playbook',
      ['-i', 'inventory/hosts.yml', '-e', 'ansible_connection=local', '-e', 'ansible_python_interpreter=/usr/bin/python3', '-e', `probe_dir=${probeDir}`, playbook],
      out,
    );
    expect(result.status, output(result)).toBe(0);
    for (const host of sampleFleet().hosts) {
      const removed = JSON.parse(readFileSync(join(probeDir, `${host.name}.removed`), 'utf8')) as string[];
      const dir = hostState(host).stale.directory;
      const written = new Set(hostState(host).files.map((f) => f.path));
      expect(removed, host.name).toEqual(leftOver(dir).filter((path) => !written.has(path) && !hostState(host).stale.keep.includes(path)).sort());
      expect(removed.length, host.name).toBeGreaterThan(0);
    }
  }, 60_000);
});

/** Paths of string leaves not wrapped as {"__ansible_unsafe": …}, except the ProxyCommand fleetgen writes itself. */
function plainStrings(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return path === '.ansible_ssh_common_args' ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => plainStrings(v, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    if ('__ansible_unsafe' in value) return [];
    return Object.entries(value).flatMap(([k, v]) => plainStrings(v, `${path}.${k}`));
  }
  return [];
}
