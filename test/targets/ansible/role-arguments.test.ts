/**
 * The role's argument spec (meta/argument_specs.yml), as Ansible uses it: `ansible-doc -t role` documents the role
 * from it, and ansible-playbook checks every host's inputs against it before the role's first task. A missing
 * tool fails these tests (apt-get install ansible-core).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleFleet, FAKE_TUNNEL_SECRET } from '../../support/sample-fleet.js';
import { build, hostVars, output, ROLE, runTool, text, writeToTemp } from './support.js';

interface OptionSpec {
  type: string;
  description: string | string[];
  required?: boolean;
  choices?: string[];
  options?: Record<string, OptionSpec>;
}
interface ArgumentSpecs {
  argument_specs: { main: { short_description: string; options: Record<string, OptionSpec> } };
}

const HOSTS = ['kiosk-17', 'lab-pi-3', 'pos-legacy', 'store-0001'];
const SPEC_PATH = `roles/${ROLE}/meta/argument_specs.yml`;
const files = build(sampleFleet());
const spec = (parse(text(files, SPEC_PATH)) as ArgumentSpecs).argument_specs.main;

let dir: string;
beforeAll(() => {
  dir = writeToTemp(files);
  // Runs the role on the controller with every task skipped but the argument check: tagged `always` by Ansible, it
  // is the only task that a run limited to an unknown tag still runs. --check on top: nothing is changed anyway.
  writeFileSync(join(dir, 'probe.yml'), `- name: Check the inputs of every host\n  hosts: all\n  gather_facts: false\n  roles:\n    - ${ROLE}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const checkInputs = (extraVars: object = {}) =>
  runTool(
    'ansible-playbook',
    ['-i', 'inventory/hosts.yml', 'probe.yml', '--tags', 'fleetgen-only-the-argument-check', '--check', '-e', 'ansible_connection=local', '-e', JSON.stringify(extraVars)],
    dir,
  );

describe('the Ansible role argument spec', () => {
  it('covers exactly what fleetgen writes to host_vars; every variable of a profile has a default', () => {
    const defaults = Object.keys(parse(text(files, `roles/${ROLE}/defaults/main.yml`)) as object).sort();
    const unsafeTag = { tag: '!unsafe', resolve: (source: string) => source };
    const namesIn = (path: string): string[] => Object.keys(parse(text(files, path), { customTags: [unsafeTag] }) as object);
    const written = new Set<string>();
    const profiles = new Set<string>();
    for (const host of HOSTS) {
      for (const path of [`inventory/host_vars/${host}/cloudflared.yml`, `inventory/host_vars/${host}/secrets.yml`]) for (const name of namesIn(path)) written.add(name);
      profiles.add(`roles/${ROLE}/vars/profiles/${String(hostVars(files, host).cloudflared_profile)}.yml`);
    }
    expect([...written].filter((name) => !(name in spec.options))).toEqual([]);
    // The spec's options are host_vars' variables; a profile's are the role's own data, loaded after the check.
    for (const path of profiles) expect(namesIn(path).filter((name) => name in spec.options || !defaults.includes(name)), path).toEqual([]);
    for (const name of Object.keys(spec.options)) expect(defaults, name).toContain(name);
    for (const [name, option] of Object.entries(spec.options)) expect(option.description, name).toBeTruthy();
  });

  it('documents the role in `ansible-doc -t role`, every option with its description', async () => {
    const result = await runTool('ansible-doc', ['-t', 'role', '-r', 'roles', ROLE], dir);
    expect(result.status, output(result)).toBe(0);
    expect(result.stdout).toContain(`ENTRY POINT: main - ${spec.short_description}`);
    for (const [name, option] of Object.entries(spec.options)) {
      const mark = option.required ? '=' : '-';
      expect(result.stdout, name).toContain(`${mark} ${name}\n`);
    }
  });

  it("accepts every host's inputs as fleetgen writes them", async () => {
    const result = await checkInputs();
    expect(result.status, output(result)).toBe(0);
    // The check ran once per host (and nothing else did).
    for (const host of HOSTS) expect(result.stdout).toMatch(new RegExp(`^${host}\\s+: ok=1 +changed=0 +unreachable=0 +failed=0`, 'm'));
  });

  it('rejects wrong inputs before any task runs, naming each, and never prints a secret', async () => {
    const result = await checkInputs({
      cloudflared_stale_keep: { perhaps: true },
      cloudflared_self_register_origin_cert: { path: '/etc/cloudflared/cert.pem', colour: 'blue' },
      cloudflared_secret_files: [{ path: '/etc/cloudflared/x.json', owner: 'root', group: 'root', content: FAKE_TUNNEL_SECRET }],
    });
    expect(result.status, output(result)).toBe(2);
    const reported = output(result);
    expect(reported).toMatch(/cloudflared_stale_keep.*list/);
    expect(reported).toContain('cloudflared_self_register_origin_cert.colour. Supported parameters include: content, group, mode, owner, path');
    expect(reported).toContain('missing required arguments: mode found in cloudflared_secret_files');
    expect(reported).not.toContain(FAKE_TUNNEL_SECRET);
    expect(reported).toMatch(/^store-0001\s+: ok=0 +changed=0 +unreachable=0 +failed=1/m);
  });

  it('is part of the role the README and the role README describe', () => {
    const readme = readFileSync(join(dir, 'roles', ROLE, 'README.md'), 'utf8');
    expect(readme).toContain('meta/argument_specs.yml');
  });
});
