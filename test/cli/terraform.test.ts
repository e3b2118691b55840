/**
 * The Cloudflare side end to end through the CLI, on copies of the bundled example: `fleetgen build` writes
 * out/terraform/ (valid for the provider, secret-free), the loop closes through the saved `terraform output -json`
 * files (tunnel ID, credentials or token, SSH CA reach the host artifacts), and a host whose outputs are missing
 * stops the host targets with a located error — never the Terraform target, and never with a secret in a message.
 */
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/build.js';
import { compileFleet } from '../../src/pipeline.js';
import { chunkModule } from '../../src/manifest/terraform-layout.js';
import { FileSet } from '../../src/targets/fileset.js';
import { modulesOf, schemaProblems } from '../targets/terraform/support.js';
import { terraformOutputJson } from '../support/terraform-output.js';
import { copyExample, EXAMPLE_DIR, fleetgen, STACK_FRAME } from './fleetgen.js';

const OUTPUTS = join(EXAMPLE_DIR, 'secrets', 'terraform');

type SavedOutputs = { hosts: { sensitive: boolean; type: unknown; value: Record<string, Record<string, string>> } };
const saved = (file: string): SavedOutputs => JSON.parse(readFileSync(join(OUTPUTS, file), 'utf8')) as SavedOutputs;

/** Every file under a folder, as a FileSet keyed by its path relative to `root`. */
function readTree(root: string, dir = root, files = new FileSet()): FileSet {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) readTree(root, path, files);
    else files.add(path.slice(root.length + 1), readFileSync(path, 'utf8'));
  }
  return files;
}

describe('fleetgen build: the Cloudflare side', () => {
  it('writes out/terraform for the example: every module valid for the provider, no secret in it', async () => {
    const dir = copyExample({ withLock: true });
    const result = await fleetgen(['build', 'fleet.yaml', '--target', 'terraform'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^terraform: \d+ written, 0 unchanged, 0 removed$/m);
    const files = readTree(join(dir, 'out'));
    expect([...modulesOf(files).keys()].sort()).toEqual(['group-kiosks', 'group-lab', 'group-stores', 'shared']);
    expect(schemaProblems(files)).toEqual([]);
    const secrets = readdirSync(join(dir, 'secrets'), { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(join(dir, 'secrets', e.name), 'utf8').trim());
    const savedValues = readdirSync(OUTPUTS)
      .filter((f) => f !== 'shared.json')
      .flatMap((f) => Object.values(saved(f).hosts.value).flatMap((v) => [v.tunnel_credentials, v.tunnel_token]));
    // The shared module's: the service tokens' secrets (the lockdown probe's).
    const shared = JSON.parse(readFileSync(join(OUTPUTS, 'shared.json'), 'utf8')) as { service_tokens: { value: Record<string, { client_secret: string }> } };
    savedValues.push(...Object.values(shared.service_tokens.value).map((t) => t.client_secret));
    for (const file of files.list().filter((f) => f.path.startsWith('terraform/'))) {
      for (const secret of [...secrets, ...savedValues].filter((s): s is string => s !== undefined && s.length > 16)) {
        expect(file.content.toString().includes(secret), file.path).toBe(false);
      }
      expect(statSync(join(dir, 'out', file.path)).mode & 0o777, file.path).toBe(0o644);
    }
    expect(readFileSync(join(dir, 'out/terraform/.gitignore'), 'utf8')).toContain('*.tfstate');
  });

  it("saves outputs shaped exactly as the example's Terraform declares them, as `terraform output -json` prints them", () => {
    const { fleet } = compileFleet(join(EXAMPLE_DIR, 'fleet.yaml'));
    const modules = modulesOf(buildFleet(fleet, { targets: ['terraform'], options: {} }).files);
    const hostModules = [...modules.keys()].filter((m) => m !== 'shared').sort();
    // And the shared module's, with the service token the lockdown proves SSH with.
    expect(readdirSync(OUTPUTS).sort()).toEqual([...hostModules.map((m) => `${m}.json`), 'shared.json']);
    for (const module of hostModules) {
      const docs = modules.get(module) ?? {};
      const declared: Record<string, string[]> = {};
      for (const [file, doc] of Object.entries(docs)) {
        const locals = (doc as { locals?: Record<string, Record<string, unknown>> }).locals ?? {};
        for (const [name, value] of Object.entries(locals)) if (name.startsWith('outputs_')) declared[file.replace(/^host-|\.tf\.json$/g, '')] = Object.keys(value).sort();
      }
      const file = saved(`${module}.json`);
      expect(Object.fromEntries(Object.entries(file.hosts.value).map(([host, values]) => [host, Object.keys(values).sort()])), module).toEqual(declared);
      expect(readFileSync(join(OUTPUTS, `${module}.json`), 'utf8')).toBe(terraformOutputJson(file.hosts.value));
    }
  });

  it('gives the host artifacts the tunnel ID, credentials, token and SSH CA that Terraform created', () => {
    const { fleet, awaitingTerraform } = compileFleet(join(EXAMPLE_DIR, 'fleet.yaml'));
    expect(awaitingTerraform).toEqual([]);
    const stores = saved('group-stores.json').hosts.value;
    const kiosks = saved('group-kiosks.json').hosts.value;
    const lab = saved('group-lab.json').hosts.value;
    const files = buildFleet(fleet, { targets: ['cloud-init', 'ansible'], options: {} }).files;
    const userData = (host: string): string => files.get(`cloud-init/${host}.yaml`)?.content.toString() ?? '';

    const store = stores['store-0003'] ?? {};
    expect(userData('store-0003')).toContain(`tunnel: ${store.tunnel_id}`);
    expect(userData('store-0003')).toContain(`/etc/cloudflared/${store.tunnel_id}.json`);
    expect(userData('store-0003')).toContain(JSON.stringify(store.tunnel_credentials).slice(1, -1).replace(/\\"/g, '"').slice(0, 40));
    expect(userData('kiosk-18')).toContain(`TUNNEL_TOKEN=${kiosks['kiosk-18']?.tunnel_token}`);
    expect(userData('lab-build-1')).toContain(lab['lab-build-1']?.ssh_ca_public_key);
    // The secret went to the host's secret files only.
    const holders = files.list().filter((f) => f.content.toString().includes(kiosks['kiosk-18']?.tunnel_token ?? '-'));
    expect(holders.every((f) => f.isSecret)).toBe(true);
    expect(holders.length).toBeGreaterThan(0);
  });

  it('stops the host targets at a host whose outputs are missing, saying what to run; --target terraform still builds', async () => {
    const dir = copyExample({ withLock: true });
    rmSync(join(dir, 'secrets/terraform/group-stores.json'));
    const hosts = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(hosts.status, hosts.stderr).toBe(2);
    expect(hosts.stderr).not.toMatch(STACK_FRAME);
    expect(hosts.stderr).toMatch(
      /^fleet\.yaml:\d+:\d+: error: hosts\[\d\]: Terraform creates this tunnel, and secrets\/terraform\/group-stores\.json, the outputs of its module group-stores, is not saved yet — run `terraform -chdir=out\/terraform\/group-stores apply`, then `terraform -chdir=out\/terraform\/group-stores output -json > secrets\/terraform\/group-stores\.json`$/m,
    );
    expect(readdirSync(dir)).not.toContain('out');
    const terraformOnly = await fleetgen(['build', 'fleet.yaml', '--target', 'terraform,ssh'], { cwd: dir });
    expect(terraformOnly.status, terraformOnly.stderr).toBe(0);
  });

  it('builds the host targets of a decommissioned group whose outputs are gone: removing cloudflared needs no tunnel secret', async () => {
    const dir = copyExample({ withLock: true });
    rmSync(join(dir, 'secrets/terraform/group-stores.json'));
    const manifest = join(dir, 'fleet.yaml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/^ {2}stores:\n/m, '  stores:\n    state: decommissioned\n'));
    const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    const stores = compileFleet(manifest).fleet.hosts.filter((h) => h.group === 'stores');
    expect(stores.map((h) => h.state)).toEqual(stores.map(() => 'decommissioned'));
    for (const host of stores) {
      expect(readdirSync(join(dir, 'out/ansible/inventory/host_vars', host.name))).toEqual(['cloudflared.yml']);
      expect(readdirSync(join(dir, 'out/chef/data_bags/acme_pos_secrets'))).not.toContain(`${host.name}.json`);
    }
  });

  it('refuses saved outputs that do not belong to the tunnel, locating the problem in the file and never quoting a secret', async () => {
    const dir = copyExample({ withLock: true });
    const path = join(dir, 'secrets/terraform/group-kiosks.json');
    const file = JSON.parse(readFileSync(path, 'utf8')) as SavedOutputs;
    const kiosk = file.hosts.value['kiosk-18'] ?? {};
    const token = kiosk.tunnel_token ?? '';
    kiosk.tunnel_id = '11111111-2222-4333-8444-555555555555';
    writeFileSync(path, terraformOutputJson(file.hosts.value));
    const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(
      /^secrets\/terraform\/group-kiosks\.json:\d+:\d+: error: hosts\.value\.kiosk-18\.tunnel_token: tunnel_token is the token of tunnel [0-9a-f-]{36}, not of tunnel 11111111-2222-4333-8444-555555555555 — run `terraform -chdir=out\/terraform\/group-kiosks apply`/m,
    );
    const decoded = JSON.parse(Buffer.from(token, 'base64').toString()) as { s: string };
    expect(result.stderr).not.toContain(token.slice(0, 20));
    expect(result.stderr).not.toContain(decoded.s);
  });

  it('moves a host to another group keeping its tunnel: tunnel.id adopts it in the new module, and the saved outputs follow the move', async () => {
    const dir = copyExample({ withLock: true });
    const stores = join(dir, 'secrets/terraform/group-stores.json');
    const lab = join(dir, 'secrets/terraform/group-lab.json');
    const tunnelId = saved('group-stores.json').hosts.value['store-0003']?.tunnel_id ?? '';
    expect(tunnelId).toMatch(/^[0-9a-f-]{36}$/);
    const manifest = join(dir, 'fleet.yaml');
    const before = readFileSync(manifest, 'utf8');
    const moved = before.replace(
      /( {2}- name: store-0003[^\n]*\n) {4}group: stores\n/,
      `$1    group: lab\n    tunnel: { managedBy: terraform, id: ${tunnelId} }   # its tunnel, adopted by group-lab\n    ingress: [ { service: "ssh://localhost:22" } ]\n`,
    );
    expect(moved).not.toBe(before);
    writeFileSync(manifest, moved);

    const terraform = await fleetgen(['build', 'fleet.yaml', '--target', 'terraform'], { cwd: dir });
    expect(terraform.status, terraform.stderr).toBe(0);
    const host = JSON.parse(readFileSync(join(dir, 'out/terraform/group-lab/host-store-0003.tf.json'), 'utf8')) as { import: unknown };
    expect(host.import).toEqual([{ to: 'cloudflare_zero_trust_tunnel_cloudflared.store-0003', id: `\${var.account_id}/${tunnelId}` }]);
    expect(readdirSync(join(dir, 'out/terraform/group-stores'))).not.toContain('host-store-0003.tf.json');

    // Before both modules are applied, its outputs are still its old module's: neither validate nor a build uses them.
    const early = await fleetgen(['validate', 'fleet.yaml'], { cwd: dir });
    expect(early.status, early.stderr).toBe(2);
    expect(early.stderr).toMatch(/error: hosts\[2\]\.tunnel: host "store-0003" is in module group-lab now, but its outputs are in secrets\/terraform\/group-stores\.json/);

    // After `terraform state rm` + apply in group-stores and the apply in group-lab (which imports the tunnel and sets
    // a new secret), each module's outputs saved again: the same tunnel ID, from its new module.
    const storesFile = saved('group-stores.json');
    const entry = storesFile.hosts.value['store-0003'] ?? {};
    delete storesFile.hosts.value['store-0003'];
    writeFileSync(stores, terraformOutputJson(storesFile.hosts.value));
    const labFile = saved('group-lab.json');
    const newSecret = Buffer.alloc(32, 7).toString('base64');
    const credentials = JSON.stringify({ AccountTag: entry.account_tag, TunnelID: tunnelId, TunnelSecret: newSecret });
    writeFileSync(lab, terraformOutputJson({ ...labFile.hosts.value, 'store-0003': { ...entry, tunnel_credentials: credentials } }));
    const built = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(built.status, built.stderr).toBe(0);
    const userData = readFileSync(join(dir, 'out/cloud-init/store-0003.yaml'), 'utf8');
    expect(userData).toContain(`tunnel: ${tunnelId}`);
    expect(userData).toContain(newSecret);

    // Outputs of another tunnel than the one fleet.yaml adopts (say, one the apply created instead) are refused.
    const other = { ...entry, tunnel_id: '11111111-2222-4333-8444-555555555555', tunnel_credentials: JSON.stringify({ AccountTag: entry.account_tag, TunnelID: '11111111-2222-4333-8444-555555555555', TunnelSecret: newSecret }) };
    writeFileSync(lab, terraformOutputJson({ ...labFile.hosts.value, 'store-0003': other }));
    const refused = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(refused.status, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(`hosts.value.store-0003.tunnel_id: tunnel_id is 11111111-2222-4333-8444-555555555555, not the tunnel ${tunnelId} that fleet.yaml has Terraform adopt (tunnel.id)`);
    expect(refused.stderr).not.toContain(newSecret);
  });

  it('spreads the hosts over chunk modules by their names with split: chunks, each module valid for the provider', async () => {
    const dir = copyExample({ withLock: true });
    const manifest = join(dir, 'fleet.yaml');
    const before = readFileSync(manifest, 'utf8');
    const chunked = before.replace(/^cloudflare:\n/m, 'cloudflare:\n  terraform: { split: chunks, chunks: 4 }\n');
    expect(chunked).not.toBe(before);
    writeFileSync(manifest, chunked);
    const result = await fleetgen(['build', 'fleet.yaml', '--target', 'terraform'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    const files = readTree(join(dir, 'out'));
    const modules = modulesOf(files);
    expect(schemaProblems(files)).toEqual([]);
    const hostFiles = [...modules].flatMap(([module, docs]) => Object.keys(docs).filter((f) => f.startsWith('host-')).map((f) => [f.slice(5, -8), module]));
    expect(hostFiles.length).toBeGreaterThan(3);
    for (const [host, module] of hostFiles) expect(module, host).toBe(chunkModule(host ?? '', 4));
    expect([...modules.keys()].filter((m) => m !== 'shared').every((m) => /^chunk-[0-3]$/.test(m))).toBe(true);
  });

  it('reports a saved file that is not JSON at its position, without its text', async () => {
    const dir = copyExample({ withLock: true });
    writeFileSync(join(dir, 'secrets/terraform/group-lab.json'), '{\n  "hosts": { "value": SECRET-TEXT\n');
    const result = await fleetgen(['build', 'fleet.yaml'], { cwd: dir });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/^secrets\/terraform\/group-lab\.json:\d+:\d+: error: is not the JSON object that `terraform output -json` prints/m);
    expect(result.stderr).not.toContain('SECRET-TEXT');
  });
});
