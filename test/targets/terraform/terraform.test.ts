/**
 * The Terraform target on hand-built fleets: the reviewed output, then the properties a Terraform user relies on —
 * every file valid against the cloudflare provider 5.22 schema, byte-stable, one host's change confined to its
 * file, no secret anywhere, and no manifest text ever evaluated as a Terraform expression.
 */
import { describe, expect, it } from 'vitest';
import { InternalError } from '../../../src/diagnostics/diagnostic.js';
import type { Fleet } from '../../../src/model/fleet.js';
import { Expression, escapeTemplate, renderTerraformJson } from '../../../src/targets/terraform/hcl.js';
import { terraform } from '../../../src/targets/terraform/index.js';
import { HOSTILE, HOSTILE_PATH, hostileFleet, hostileFleetWithRemoteIngress } from '../../support/hostile-fleet.js';
import { FAKE_CERT_PEM, FAKE_TOKEN, FAKE_TUNNEL_SECRET, sampleFleet, sampleFleetWithRemoteIngress } from '../../support/sample-fleet.js';
import { unescapedTemplateSequences } from '../../support/terraform-provider-schema.js';
import { modulesOf, schemaProblems, stringsIn, terraformFiles } from './support.js';

const record = (fleet: Fleet): Record<string, string> => terraformFiles(fleet).toRecord();

function host(fleet: Fleet, name: string) {
  const found = fleet.hosts.find((h) => h.name === name);
  if (!found) throw new Error(`no host ${name}`);
  return found;
}

function rule(fleet: Fleet, name: string, index: number) {
  const found = host(fleet, name).ingress[index];
  if (!found) throw new Error(`no rule ${index} on ${name}`);
  return found;
}

/** Files whose content differs between two builds (added and removed ones included). */
function changedFiles(before: Record<string, string>, after: Record<string, string>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((path) => before[path] !== after[path]).sort();
}

/** What Terraform reads a JSON string as: `$${` and `%%{` are the literal `${` and `%{`. */
const literalValue = (text: string): string => text.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');

describe('terraform target', () => {
  it('produces the reviewed modules of the sample fleet', () => {
    expect(record(sampleFleetWithRemoteIngress())).toMatchSnapshot();
  });

  it.each([
    ['sample', sampleFleet],
    ['sample with remote ingress', sampleFleetWithRemoteIngress],
    ['hostile', hostileFleetWithRemoteIngress],
  ])('writes only what the cloudflare provider 5.22 schema accepts, at every depth (%s fleet)', (_name, fleet) => {
    const files = terraformFiles(fleet());
    expect(modulesOf(files).size).toBeGreaterThan(3);
    expect(schemaProblems(files)).toEqual([]);
  });

  it('lays out a shared module and one module per group, hosts without a group in ungrouped/', () => {
    const modules = modulesOf(terraformFiles(sampleFleetWithRemoteIngress()));
    expect([...modules.keys()].sort()).toEqual(['group-kiosks', 'group-lab', 'group-stores', 'shared', 'ungrouped']);
    expect(Object.keys(modules.get('group-stores') ?? {}).sort()).toEqual(['host-store-0001.tf.json', 'main.tf.json', 'outputs.tf.json', 'variables.tf.json', 'versions.tf.json']);
    expect(Object.keys(modules.get('shared') ?? {}).sort()).toEqual(['access.tf.json', 'outputs.tf.json', 'variables.tf.json', 'versions.tf.json']);
  });

  it('puts every host in hosts/ with split: fleet', () => {
    const fleet = sampleFleetWithRemoteIngress();
    fleet.cloudflare.split = 'fleet';
    for (const h of fleet.hosts) h.terraformModule = 'hosts';
    const modules = modulesOf(terraformFiles(fleet));
    expect([...modules.keys()].sort()).toEqual(['hosts', 'shared']);
    expect(schemaProblems(terraformFiles(fleet))).toEqual([]);
  });

  it.each([
    ['s3', { bucket: 'acme-state', region: 'eu-west-1', encrypt: true }, 'key', (m: string) => `fleetgen/acme-pos/${m}/terraform.tfstate`],
    ['gcs', { bucket: 'acme-state' }, 'prefix', (m: string) => `fleetgen/acme-pos/${m}`],
  ] as const)('gives every module its own state in a %s backend, and host modules read the shared one there', (type, config, keyName, place) => {
    const fleet = sampleFleetWithRemoteIngress();
    fleet.cloudflare.backend = { type, config: { ...config }, keyPrefix: 'fleetgen/acme-pos' };
    const files = terraformFiles(fleet);
    expect(schemaProblems(files)).toEqual([]);
    const modules = modulesOf(files);
    for (const [module, docs] of modules) {
      const versions = docs['versions.tf.json'] as { terraform: { backend: Record<string, Record<string, unknown>> } };
      expect(versions.terraform.backend, module).toEqual({ [type]: { ...config, [keyName]: place(module) } });
    }
    const main = modules.get('group-stores')?.['main.tf.json'] as { data: { terraform_remote_state: { shared: unknown } } };
    expect(main.data.terraform_remote_state.shared).toEqual({ backend: type, config: { ...config, [keyName]: place('shared') } });
  });

  it('builds identical bytes twice', () => {
    expect(record(hostileFleetWithRemoteIngress())).toEqual(record(hostileFleetWithRemoteIngress()));
  });

  it.each<[string, (fleet: Fleet) => void, string[]]>([
    ['an ingress rule', (f) => (rule(f, 'store-0001', 1).hostname = 'store-0001-shop.example.com'), ['terraform/group-stores/host-store-0001.tf.json']],
    ['its policies', (f) => (host(f, 'store-0001').access.policies = ['ops']), ['terraform/group-stores/host-store-0001.tf.json']],
    ['a remote ingress setting', (f) => (rule(f, 'kiosk-18', 0).originRequest = { noTLSVerify: false }), ['terraform/group-kiosks/host-kiosk-18.tf.json']],
    ['its session duration', (f) => (host(f, 'lab-pi-3').access.sessionDuration = '1h'), ['terraform/group-lab/host-lab-pi-3.tf.json']],
  ])("changes only that host's file when %s of one host changes", (_what, change, expected) => {
    const fleet = sampleFleetWithRemoteIngress();
    const before = record(fleet);
    change(fleet);
    expect(changedFiles(before, record(fleet))).toEqual(expected);
  });

  it("adds a host as its own file plus one line of its module's outputs", () => {
    const fleet = sampleFleetWithRemoteIngress();
    const before = record(fleet);
    const copy = structuredClone(host(fleet, 'store-0001'));
    copy.name = 'store-0002';
    copy.ingress = copy.ingress.map((r) => (r.hostname ? { ...r, hostname: r.hostname.replace('store-0001', 'store-0002').replace('amber-harbor', 'brisk-lantern') } : r));
    copy.ssh.hostnames = ['brisk-lantern.example.com'];
    fleet.hosts.push(copy);
    const after = record(fleet);
    expect(changedFiles(before, after)).toEqual(['terraform/group-stores/host-store-0002.tf.json', 'terraform/group-stores/outputs.tf.json']);
  });

  it('adopts an existing tunnel named by tunnel.id (managedBy terraform) with an import block, in a module that requires Terraform 1.6', () => {
    const fleet = sampleFleetWithRemoteIngress();
    const before = record(fleet);
    const store = host(fleet, 'store-0001');
    if (store.tunnel.mode !== 'named' || store.tunnel.managedBy !== 'terraform') throw new Error('store-0001 should be a Terraform-managed named tunnel');
    store.tunnel.adoptedId = '6ff42ae2-765d-4adf-8112-31c55c1551ef';
    const files = terraformFiles(fleet);
    expect(schemaProblems(files)).toEqual([]);
    expect(changedFiles(before, files.toRecord())).toEqual(['terraform/group-stores/host-store-0001.tf.json', 'terraform/group-stores/versions.tf.json']);
    const docs = modulesOf(files).get('group-stores') ?? {};
    expect((docs['host-store-0001.tf.json'] as { import: unknown }).import).toEqual([
      { to: 'cloudflare_zero_trust_tunnel_cloudflared.store-0001', id: '${var.account_id}/6ff42ae2-765d-4adf-8112-31c55c1551ef' },
    ]);
    // The import ID is an expression, which import blocks accept from Terraform 1.6 on; other modules stay at 1.5.
    expect((docs['versions.tf.json'] as { terraform: { required_version: string } }).terraform.required_version).toBe('>= 1.6.0');
    const kiosks = modulesOf(files).get('group-kiosks') ?? {};
    expect((kiosks['versions.tf.json'] as { terraform: { required_version: string } }).terraform.required_version).toBe('>= 1.5.0');
    // Only Terraform-managed tunnels are adopted: the same id on an existing tunnel writes no import.
    expect(Object.values(kiosks).filter((doc) => 'import' in (doc as object))).toEqual([]);
  });

  it('holds no secret of the fleet in any file', () => {
    const fleet = sampleFleetWithRemoteIngress();
    const secrets = [FAKE_TUNNEL_SECRET, FAKE_TOKEN, FAKE_CERT_PEM.split('\n')[1] ?? '', ...fleet.hosts.flatMap((h) => (h.tunnel.mode === 'token' ? [h.tunnel.token.value] : h.tunnel.mode === 'named' ? [h.tunnel.credentials.value] : []))];
    expect(secrets.filter((s) => s.length < 16)).toEqual([]);
    const files = terraformFiles(fleet).list();
    for (const file of files) {
      expect(file.isSecret, file.path).toBe(false);
      for (const secret of secrets) expect(file.content.toString().includes(secret), `${file.path} holds a secret`).toBe(false);
    }
  });

  it('generates the tunnel secret inside Terraform and marks every output that carries one sensitive', () => {
    const modules = modulesOf(terraformFiles(sampleFleetWithRemoteIngress()));
    const store = modules.get('group-stores')?.['host-store-0001.tf.json'] as { resource: Record<string, Record<string, Record<string, unknown>>> };
    expect(store.resource.random_id?.['store-0001']).toEqual({ byte_length: 32 });
    expect(store.resource.cloudflare_zero_trust_tunnel_cloudflared?.['store-0001']?.tunnel_secret).toBe('${random_id.store-0001.b64_std}');
    for (const [name, docs] of modules) {
      const outputs = (docs['outputs.tf.json'] as { output?: Record<string, { sensitive?: boolean; value: unknown }> } | undefined)?.output ?? {};
      for (const [output, body] of Object.entries(outputs)) {
        const carriesSecret = /tunnel_|client_secret|local\.outputs_/.test(JSON.stringify(body.value));
        if (carriesSecret) expect(body.sensitive, `${name}: output ${output}`).toBe(true);
      }
    }
  });

  it('never turns manifest text into an expression: ${ and %{ from the manifest are escaped, and read back as written', () => {
    const files = terraformFiles(hostileFleetWithRemoteIngress());
    const strings = [...modulesOf(files).values()].flatMap((docs) => Object.values(docs).flatMap(stringsIn));
    // Every expression left is one fleetgen wrote: a reference to its own declarations or jsonencode of them.
    const expressions = strings.flatMap((s) => unescapedTemplateSequences(s));
    expect(expressions.length).toBeGreaterThan(10);
    for (const expression of expressions) expect(expression).toMatch(/^\$\{(var|local|data|random_id|cloudflare_[a-z_]+)\.[A-Za-z0-9_.["\]-]+\}$|^\$\{jsonencode\(\{ [A-Za-z]+ = /);
    expect(strings.some((s) => s.includes('passwd') && s.includes('$${file('))).toBe(true);
    // Terraform reads the escaped text back as exactly what the manifest says.
    expect(strings.map(literalValue)).toContain(HOSTILE_PATH);
    expect(strings.map(literalValue)).toContain(HOSTILE);
  });

  it('carries a token tunnel’s ingress as its remote configuration: snake_case, seconds, catch-all last', () => {
    const docs = modulesOf(terraformFiles(sampleFleetWithRemoteIngress())).get('group-kiosks') ?? {};
    const kiosk = docs['host-kiosk-18.tf.json'] as { resource: Record<string, Record<string, { config: { ingress: Record<string, unknown>[]; origin_request: unknown } }>> };
    const config = kiosk.resource.cloudflare_zero_trust_tunnel_cloudflared_config?.['kiosk-18']?.config;
    expect(config?.ingress).toEqual([
      {
        hostname: 'kiosk-18.example.com',
        path: '^/screen/',
        service: 'https://localhost:8443',
        origin_request: {
          access: { aud_tag: ['ab'.repeat(32)], required: true, team_name: 'acme' },
          connect_timeout: 90,
          no_tls_verify: true,
          origin_server_name: 'kiosk.internal',
        },
      },
      { service: 'http_status:404' },
    ]);
    expect(config?.origin_request).toEqual({ http2_origin: true, keep_alive_timeout: 90 });
  });

  it('warns about a host whose SSH hostnames get no Access application', () => {
    const { warnings } = terraform(sampleFleet(), {});
    expect(warnings.map((w) => [w.host, w.message.split(')')[0]])).toEqual([['pos-legacy', 'no access.policies: its SSH hostnames (legacy-ssh.example.com']]);
    expect(warnings[0]).toMatchObject({ code: 'terraform.no-access-policies', detail: { hostnames: ['legacy-ssh.example.com'] } });
  });

  it('writes no module for hosts that need nothing from Cloudflare, and nothing at all for such a fleet', () => {
    const fleet = hostileFleet();
    fleet.access = { policies: [], serviceTokens: [] };
    fleet.hosts = fleet.hosts.filter((h) => h.tunnel.mode === 'self-register').map((h) => ({ ...h, access: { policies: [] } }));
    expect(record(fleet)).toEqual({});
  });
});

describe('Terraform JSON expressions', () => {
  it('escapes template sequences in literal text and nothing else', () => {
    expect(escapeTemplate('a ${b} %{c} $d %e {f}')).toBe('a $${b} %%{c} $d %e {f}');
    expect(renderTerraformJson({ x: '${var.y}', y: Expression.ref('var', 'y') })).toBe('{\n  "x": "$${var.y}",\n  "y": "${var.y}"\n}\n');
  });

  it.each([
    ['a reference to a name Terraform cannot declare', () => Expression.ref('var', 'a b')],
    ['a reference part that is an expression', () => Expression.ref('var', '${x}')],
    ['an index key with quotes', () => Expression.ref('local', 'x').index('a"]')],
    ['a key that would be a template', () => renderTerraformJson({ '${x}': 1 })],
  ])('refuses, as an internal error, %s', (_what, build) => {
    expect(build).toThrow(InternalError);
  });
});
