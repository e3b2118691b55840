import { describe, expect, it } from 'vitest';
import {
  checkTerraformJson,
  checkTerraformModule,
  loadProviderSchema,
  unescapedTemplateSequences,
  versionConstraintAdmits,
} from '../support/terraform-provider-schema.js';

const F = 'main.tf.json';
const ACCOUNT = '${var.account_id}';
const ZONE = '${var.zone_id}';

/** The provider requirement every module needs, so the documents below differ only in what a row is about. */
const terraform = { required_providers: { cloudflare: { source: 'cloudflare/cloudflare', version: '~> 5.22' } } };
const variable = { account_id: { type: 'string' }, zone_id: { type: 'string' } };
const withModule = (rest: Record<string, unknown>): Record<string, unknown> => ({ terraform, variable, ...rest });
const resource = (type: string, name: string, body: Record<string, unknown>): Record<string, unknown> => withModule({ resource: { [type]: { [name]: body } } });

const tunnel = { account_id: ACCOUNT, name: 'store-0001', config_src: 'cloudflare' };

/**
 * A complete fleet-shaped module written by hand from the provider's v5 documentation and examples: a remotely
 * managed tunnel with its ingress, a locally managed one with a secret from random_id, the proxied CNAME to
 * <tunnel id>.cfargotunnel.com, a reusable policy, an SSH application using it, a service token, the
 * short-lived-certificate CA, the token read back through the data source, and the zone looked up by name.
 */
const goodModule = {
  terraform,
  variable: {
    account_id: { type: 'string', description: 'Cloudflare account ID' },
    zone_name: { type: 'string', default: 'example.com' },
    allowed_emails: { type: 'list(string)', default: ['alice@example.com'] },
  },
  locals: { tunnel_suffix: 'cfargotunnel.com', literal: 'costs $${5} or 100%%{x}' },
  data: {
    cloudflare_zone: { fleet: { filter: { name: '${var.zone_name}', account: { id: '${var.account_id}' } } } },
    cloudflare_zero_trust_tunnel_cloudflared_token: {
      store_0001: { account_id: '${var.account_id}', tunnel_id: '${cloudflare_zero_trust_tunnel_cloudflared.store_0001.id}' },
    },
  },
  resource: {
    random_id: { edge_01_secret: { byte_length: 32, keepers: { host: 'edge-01' } } },
    cloudflare_zero_trust_tunnel_cloudflared: {
      store_0001: { account_id: '${var.account_id}', name: 'store-0001', config_src: 'cloudflare' },
      'edge-01': { account_id: '${var.account_id}', name: 'edge-01', config_src: 'local', tunnel_secret: '${random_id.edge_01_secret.b64_std}' },
    },
    cloudflare_zero_trust_tunnel_cloudflared_config: {
      store_0001: {
        account_id: '${var.account_id}',
        tunnel_id: '${cloudflare_zero_trust_tunnel_cloudflared.store_0001.id}',
        config: {
          ingress: [
            { hostname: 'amber-harbor.example.com', service: 'ssh://localhost:22' },
            { hostname: 'store-0001-web.example.com', service: 'http://localhost:8080', origin_request: { connect_timeout: 10 } },
            { service: 'http_status:404' },
          ],
        },
      },
    },
    cloudflare_dns_record: {
      amber_harbor: {
        zone_id: '${data.cloudflare_zone.fleet.zone_id}',
        name: 'amber-harbor.example.com',
        type: 'CNAME',
        content: '${cloudflare_zero_trust_tunnel_cloudflared.store_0001.id}.${local.tunnel_suffix}',
        proxied: true,
        ttl: 1,
        comment: 'store-0001 SSH; managed by fleetgen',
      },
    },
    cloudflare_zero_trust_access_policy: {
      ops: {
        account_id: '${var.account_id}',
        name: 'fleet ops',
        decision: 'allow',
        include: [{ email: { email: 'alice@example.com' } }, { email_domain: { domain: 'example.com' } }],
        require: [{ service_token: { token_id: '${cloudflare_zero_trust_access_service_token.ci.id}' } }],
      },
      automation: {
        account_id: '${var.account_id}',
        name: 'fleet automation',
        decision: 'non_identity',
        include: [{ any_valid_service_token: {} }],
      },
    },
    cloudflare_zero_trust_access_application: {
      amber_harbor: {
        account_id: '${var.account_id}',
        name: 'SSH amber-harbor.example.com',
        domain: 'amber-harbor.example.com',
        type: 'ssh',
        session_duration: '24h',
        auto_redirect_to_identity: false,
        policies: [
          { id: '${cloudflare_zero_trust_access_policy.ops.id}', precedence: 1 },
          { id: '${cloudflare_zero_trust_access_policy.automation.id}', precedence: 2 },
        ],
      },
    },
    cloudflare_zero_trust_access_service_token: { ci: { account_id: '${var.account_id}', name: 'fleet-ci', duration: '8760h' } },
    cloudflare_zero_trust_access_short_lived_certificate: {
      amber_harbor: { account_id: '${var.account_id}', app_id: '${cloudflare_zero_trust_access_application.amber_harbor.id}' },
    },
  },
  output: {
    ca_public_key: { value: '${cloudflare_zero_trust_access_short_lived_certificate.amber_harbor.public_key}' },
    tunnel_token: { value: '${data.cloudflare_zero_trust_tunnel_cloudflared_token.store_0001.token}', sensitive: true },
    service_token_client_id: { value: '${cloudflare_zero_trust_access_service_token.ci.client_id}' },
  },
};

describe('the provider schema file', () => {
  const schema = loadProviderSchema();

  it('is the v5.22.0 cloudflare/cloudflare schema with resources, data sources and v4 renames', () => {
    expect(schema.provider).toBe('cloudflare/cloudflare');
    expect(schema.version).toBe('5.22.0');
    expect(Object.keys(schema.resource_schemas).length).toBeGreaterThan(200);
    expect(Object.keys(schema.data_source_schemas).length).toBeGreaterThan(300);
    expect(schema.renamed_resources.cloudflare_record).toEqual(['cloudflare_dns_record']);
    expect(schema.notes).toMatch(/computed is true for Read-Only/);
  });

  it('has every resource and data source fleetgen emits, with the attributes the checker is tested on', () => {
    for (const type of [
      'cloudflare_zero_trust_tunnel_cloudflared',
      'cloudflare_zero_trust_tunnel_cloudflared_config',
      'cloudflare_dns_record',
      'cloudflare_zero_trust_access_application',
      'cloudflare_zero_trust_access_policy',
      'cloudflare_zero_trust_access_service_token',
      'cloudflare_zero_trust_access_short_lived_certificate',
    ]) {
      expect(schema.resource_schemas[type]?.attributes, type).toBeTypeOf('object');
    }
    for (const type of ['cloudflare_zero_trust_tunnel_cloudflared_token', 'cloudflare_zone', 'cloudflare_zones']) {
      expect(schema.data_source_schemas[type]?.attributes, type).toBeTypeOf('object');
    }
    const dns = schema.resource_schemas.cloudflare_dns_record?.attributes;
    expect(dns?.ttl).toMatchObject({ type: 'number', required: true });
    expect(dns?.type?.enum).toContain('CNAME');
    expect(dns?.id).toMatchObject({ computed: true, optional: false });
    const token = schema.data_source_schemas.cloudflare_zero_trust_tunnel_cloudflared_token?.attributes.token;
    expect(token).toMatchObject({ type: 'string', computed: true, sensitive: true });
  });

  it('uses only type strings the checker reads, with nested attributes exactly on object kinds', () => {
    const known = /^(string|number|bool|dynamic|object|(list|set|map)\((string|number|bool|object|(list|map)\((string|number)\))\))$/;
    const seen = new Set<string>();
    type Attributes = Record<string, { type: string; attributes?: Attributes; required: boolean; optional: boolean; computed: boolean }>;
    const walk = (attributes: Attributes, where: string): void => {
      for (const [name, a] of Object.entries(attributes)) {
        seen.add(a.type);
        expect(a.type, `${where}.${name}`).toMatch(known);
        expect(a.attributes !== undefined, `${where}.${name} nested attributes`).toBe(a.type.includes('object'));
        expect([a.required, a.optional, a.computed].some(Boolean), `${where}.${name} flags`).toBe(true);
        if (a.attributes) walk(a.attributes, `${where}.${name}`);
      }
    };
    for (const [type, s] of Object.entries({ ...schema.resource_schemas, ...schema.data_source_schemas })) walk(s.attributes as Attributes, type);
    expect([...seen].sort()).toEqual(
      expect.arrayContaining(['string', 'number', 'bool', 'object', 'list(string)', 'list(object)', 'set(object)', 'map(string)', 'map(list(string))']),
    );
  });
});

describe('checkTerraformJson accepts valid documents', () => {
  it('accepts a hand-written fleet module: tunnels, ingress, DNS, Access application, policies, service token, CA, token, random_id', () => {
    expect(checkTerraformJson(goodModule, { file: F })).toEqual([]);
  });

  it('accepts the same module split over files, with references across them', () => {
    const { resource, data, output, ...rest } = goodModule;
    expect(checkTerraformModule({ 'main.tf.json': { resource, data }, 'outputs.tf.json': { output }, 'variables.tf.json': rest })).toEqual([]);
  });

  it('accepts count/for_each meta-arguments, indexed references, lifecycle, depends_on and comments', () => {
    const doc = withModule({
      '//': 'generated by fleetgen',
      resource: {
        cloudflare_zero_trust_tunnel_cloudflared: {
          hosts: { '//': 'one per host', for_each: '${toset(["a", "b"])}', account_id: ACCOUNT, name: '${each.key}', lifecycle: { prevent_destroy: true, ignore_changes: ['name'] } },
        },
        cloudflare_dns_record: {
          a: {
            zone_id: ZONE,
            name: 'a.example.com',
            type: 'CNAME',
            ttl: 1,
            content: '${cloudflare_zero_trust_tunnel_cloudflared.hosts["a"].id}.cfargotunnel.com',
            depends_on: ['cloudflare_zero_trust_tunnel_cloudflared.hosts'],
          },
        },
      },
      output: { ids: { value: '${{ for k, t in cloudflare_zero_trust_tunnel_cloudflared.hosts : k => t.id }}' } },
    });
    expect(checkTerraformJson(doc, { file: F })).toEqual([]);
  });

  it('accepts terraform_remote_state, random_password and local_sensitive_file with sensitive outputs', () => {
    const doc = withModule({
      terraform: {
        required_providers: {
          ...terraform.required_providers,
          random: { source: 'hashicorp/random', version: '~> 3.6' },
          local: { source: 'hashicorp/local', version: '~> 2.5' },
        },
      },
      data: { terraform_remote_state: { shared: { backend: 'local', config: { path: '../shared/terraform.tfstate' } } } },
      resource: {
        random_password: { p: { length: 32, special: false } },
        local_sensitive_file: { p: { filename: '${path.module}/secrets/p.txt', content: '${random_password.p.result}', file_permission: '0600' } },
      },
      output: {
        policy: { value: '${data.terraform_remote_state.shared.outputs.policy_ids.ops}' },
        password: { value: '${random_password.p.result}', sensitive: true },
      },
    });
    expect(checkTerraformJson(doc, { file: F })).toEqual([]);
  });
});

/** Each row: a small bad document and exactly the problems it must produce. */
const badDocuments: { name: string; doc: unknown; problems: string[] }[] = [
  {
    name: 'an unknown top-level block',
    doc: withModule({ resources: {} }),
    problems: [`${F}: resources: unknown top-level block "resources" (did you mean resource?); Terraform JSON allows terraform, provider, variable, locals, resource, data, output, module, moved, import, check`],
  },
  {
    name: 'an unknown resource type, with a did-you-mean',
    doc: resource('cloudflare_dns_recrod', 'x', {}),
    problems: [`${F}: resource.cloudflare_dns_recrod: unknown resource type "cloudflare_dns_recrod" in provider cloudflare/cloudflare 5.22.0 (did you mean cloudflare_dns_record?)`],
  },
  {
    name: 'a provider v4 resource name',
    doc: resource('cloudflare_record', 'x', { zone_id: ZONE, name: 'a', type: 'CNAME', ttl: 1 }),
    problems: [`${F}: resource.cloudflare_record: resource type "cloudflare_record" does not exist in provider 5.22.0: renamed in v5 to cloudflare_dns_record`],
  },
  {
    name: 'a random_* resource the checker has no schema for',
    doc: resource('random_string', 'x', { length: 3 }),
    problems: [
      `${F}: resource.random_string: resource type "random_string" is not one this checker knows (it knows local_file, local_sensitive_file, random_id, random_password besides Cloudflare's); add its schema to test/support/terraform-provider-schema.ts`,
    ],
  },
  {
    name: 'an unknown attribute',
    doc: resource('cloudflare_zero_trust_tunnel_cloudflared', 't', { ...tunnel, secret: '${var.account_id}' }),
    problems: [`${F}: resource.cloudflare_zero_trust_tunnel_cloudflared.t.secret: unknown attribute "secret"`],
  },
  {
    name: 'a missing required attribute at the top level',
    doc: resource('cloudflare_dns_record', 'x', { zone_id: ZONE, name: 'a.example.com', type: 'CNAME', content: 'x.cfargotunnel.com' }),
    problems: [`${F}: resource.cloudflare_dns_record.x: missing required attribute "ttl"`],
  },
  {
    name: 'a missing required attribute nested in list(object)',
    doc: resource('cloudflare_zero_trust_tunnel_cloudflared_config', 'c', {
      account_id: ACCOUNT,
      tunnel_id: 'abc',
      config: { ingress: [{ hostname: 'a.example.com', service: 'ssh://localhost:22' }, { hostname: 'b.example.com' }] },
    }),
    problems: [`${F}: resource.cloudflare_zero_trust_tunnel_cloudflared_config.c.config.ingress[1]: missing required attribute "service"`],
  },
  {
    name: 'a missing required attribute two objects deep in set(object)',
    doc: resource('cloudflare_zero_trust_access_policy', 'p', { account_id: ACCOUNT, name: 'p', decision: 'allow', include: [{ email: {} }] }),
    problems: [`${F}: resource.cloudflare_zero_trust_access_policy.p.include[0].email: missing required attribute "email"`],
  },
  {
    name: 'a read-only attribute set',
    doc: resource('cloudflare_zero_trust_tunnel_cloudflared', 't', { ...tunnel, status: 'healthy' }),
    problems: [`${F}: resource.cloudflare_zero_trust_tunnel_cloudflared.t.status: "status" is read-only (computed by the provider); remove it`],
  },
  {
    name: 'a read-only attribute set inside a nested object',
    doc: resource('cloudflare_zero_trust_access_application', 'a', { account_id: ACCOUNT, type: 'saas', name: 'a', saas_app: { auth_type: 'oidc', client_id: 'x' } }),
    problems: [`${F}: resource.cloudflare_zero_trust_access_application.a.saas_app.client_id: "client_id" is read-only (computed by the provider); remove it`],
  },
  {
    name: 'a number written as a string',
    doc: resource('cloudflare_dns_record', 'x', { zone_id: ZONE, name: 'a', type: 'CNAME', ttl: '1' }),
    problems: [`${F}: resource.cloudflare_dns_record.x.ttl: expected number, got string "1"`],
  },
  {
    name: 'a wrong literal type nested in list(object)',
    doc: resource('cloudflare_zero_trust_tunnel_cloudflared_config', 'c', {
      account_id: ACCOUNT,
      tunnel_id: 'abc',
      config: { ingress: [{ service: 'http_status:404', origin_request: { no_tls_verify: 'true', connect_timeout: '10s' } }] },
    }),
    problems: [
      `${F}: resource.cloudflare_zero_trust_tunnel_cloudflared_config.c.config.ingress[0].origin_request.no_tls_verify: expected bool, got string "true"`,
      `${F}: resource.cloudflare_zero_trust_tunnel_cloudflared_config.c.config.ingress[0].origin_request.connect_timeout: expected number, got string "10s"`,
    ],
  },
  {
    name: 'an object where a list of objects belongs',
    doc: resource('cloudflare_zero_trust_access_policy', 'p', { account_id: ACCOUNT, name: 'p', decision: 'allow', include: { everyone: {} } }),
    problems: [`${F}: resource.cloudflare_zero_trust_access_policy.p.include: expected set(object), got an object`],
  },
  {
    name: 'a value outside the enum',
    doc: resource('cloudflare_zero_trust_tunnel_cloudflared', 't', { ...tunnel, config_src: 'remote' }),
    problems: [`${F}: resource.cloudflare_zero_trust_tunnel_cloudflared.t.config_src: string "remote" is not one of the allowed values: "local", "cloudflare"`],
  },
  {
    name: 'a list element outside the enum, nested',
    doc: resource('cloudflare_zero_trust_access_application', 'a', { account_id: ACCOUNT, type: 'ssh', domain: 'a.example.com', mfa_config: { allowed_authenticators: ['totp', 'sms'] } }),
    problems: [`${F}: resource.cloudflare_zero_trust_access_application.a.mfa_config.allowed_authenticators[1]: string "sms" is not one of the allowed values: "totp", "biometrics", "security_key"`],
  },
  {
    name: 'a reference to an attribute the resource does not have',
    doc: withModule({
      resource: {
        cloudflare_zero_trust_tunnel_cloudflared: { x: tunnel },
        cloudflare_zero_trust_tunnel_cloudflared_config: { x: { account_id: ACCOUNT, tunnel_id: '${cloudflare_zero_trust_tunnel_cloudflared.x.tunnel_id}' } },
      },
    }),
    problems: [`${F}: resource.cloudflare_zero_trust_tunnel_cloudflared_config.x.tunnel_id: cloudflare_zero_trust_tunnel_cloudflared.x.tunnel_id: cloudflare_zero_trust_tunnel_cloudflared has no attribute "tunnel_id"`],
  },
  {
    name: 'a reference to a resource block that does not exist',
    doc: resource('cloudflare_zero_trust_tunnel_cloudflared_config', 'x', { account_id: ACCOUNT, tunnel_id: '${cloudflare_zero_trust_tunnel_cloudflared.y.id}' }),
    problems: [`${F}: resource.cloudflare_zero_trust_tunnel_cloudflared_config.x.tunnel_id: cloudflare_zero_trust_tunnel_cloudflared.y.id: no resource cloudflare_zero_trust_tunnel_cloudflared.y in this module`],
  },
  {
    name: 'a reference to a data source attribute that does not exist, and to an undeclared variable',
    doc: withModule({
      data: { cloudflare_zone: { z: { filter: { name: 'example.com' } } } },
      resource: { cloudflare_dns_record: { r: { zone_id: '${data.cloudflare_zone.z.zone_idd}', name: '${var.hostname}', type: 'CNAME', ttl: 1 } } },
    }),
    problems: [
      `${F}: resource.cloudflare_dns_record.r.zone_id: data.cloudflare_zone.z.zone_idd: cloudflare_zone has no attribute "zone_idd" (did you mean zone_id?)`,
      `${F}: resource.cloudflare_dns_record.r.name: var.hostname: no variable "hostname" is declared in this module`,
    ],
  },
  {
    name: 'a reference through a v4 resource name',
    doc: resource('cloudflare_zero_trust_tunnel_cloudflared_config', 'x', { account_id: ACCOUNT, tunnel_id: '${cloudflare_tunnel.x.id}' }),
    problems: [`${F}: resource.cloudflare_zero_trust_tunnel_cloudflared_config.x.tunnel_id: cloudflare_tunnel.x.id: resource type "cloudflare_tunnel" does not exist in provider 5.22.0: renamed in v5 to cloudflare_zero_trust_tunnel_cloudflared`],
  },
  {
    name: 'an unescaped template sequence from hostile text',
    doc: resource('cloudflare_dns_record', 'x', { zone_id: ZONE, name: 'a', type: 'TXT', ttl: 1, comment: 'pay ${jndi:ldap://x} %{ if' }),
    problems: [
      `${F}: resource.cloudflare_dns_record.x.comment: unterminated template sequence "%{ if"; a literal "\${" or "%{" is written "$\${" or "%%{"`,
      `${F}: resource.cloudflare_dns_record.x.comment: "jndi", "ldap", "x" in "\${jndi:ldap://x} %{ if": not a reference Terraform knows; if the text is literal, escape it as "$\${" / "%%{"`,
    ],
  },
  {
    name: 'a secret written as a literal into a sensitive attribute',
    doc: resource('cloudflare_zero_trust_tunnel_cloudflared', 't', { ...tunnel, config_src: 'local', tunnel_secret: 'c2VjcmV0' }),
    problems: [`${F}: resource.cloudflare_zero_trust_tunnel_cloudflared.t.tunnel_secret: sensitive attribute set to a literal; a secret must not be committed — take it from a sensitive variable or a random_* resource`],
  },
  {
    name: 'a sensitive value in an output not marked sensitive',
    doc: withModule({
      data: { cloudflare_zero_trust_tunnel_cloudflared_token: { t: { account_id: ACCOUNT, tunnel_id: 'abc' } } },
      output: { token: { value: '${data.cloudflare_zero_trust_tunnel_cloudflared_token.t.token}' } },
    }),
    problems: [`${F}: output.token.value: refers to the sensitive value data.cloudflare_zero_trust_tunnel_cloudflared_token.t.token; Terraform refuses this output unless it sets "sensitive": true`],
  },
  {
    name: 'bad variable and output keys',
    doc: withModule({ variable: { ...variable, n: { type: 'number', default: '3', secret: true } }, output: { o: { valu: 'x' } } }),
    problems: [
      `${F}: variable.n.secret: unknown argument "secret"; a variable has type, default, description, sensitive, nullable, validation, ephemeral`,
      `${F}: variable.n.default: expected number, got string "3"`,
      `${F}: output.o.valu: unknown argument "valu" (did you mean value?); allowed: value, description, sensitive, depends_on, precondition, ephemeral`,
      `${F}: output.o: missing required argument "value"`,
    ],
  },
  {
    name: 'a resource name Terraform rejects',
    doc: resource('cloudflare_zero_trust_tunnel_cloudflared', '0001-store', tunnel),
    problems: [`${F}: resource.cloudflare_zero_trust_tunnel_cloudflared.0001-store: "0001-store" is not a valid resource name: a name starts with a letter or underscore and holds only letters, digits, underscores and dashes`],
  },
  {
    name: 'an index on a resource without count or for_each',
    doc: withModule({
      resource: {
        cloudflare_zero_trust_tunnel_cloudflared: { x: tunnel },
        cloudflare_zero_trust_tunnel_cloudflared_config: { x: { account_id: ACCOUNT, tunnel_id: '${cloudflare_zero_trust_tunnel_cloudflared.x[0].id}' } },
      },
    }),
    problems: [`${F}: resource.cloudflare_zero_trust_tunnel_cloudflared_config.x.tunnel_id: cloudflare_zero_trust_tunnel_cloudflared.x[0].id: cloudflare_zero_trust_tunnel_cloudflared.x has no count or for_each, so it takes no index`],
  },
  {
    name: 'a missing cloudflare provider requirement',
    doc: { resource: { cloudflare_zero_trust_tunnel_cloudflared: { t: { ...tunnel, account_id: 'abc' } } } },
    problems: [`${F}: terraform.required_providers.cloudflare: missing; without it Terraform looks for hashicorp/cloudflare, which does not exist — declare source "cloudflare/cloudflare" with a 5.x version`],
  },
  {
    name: 'a provider version range that leaves 5.x',
    doc: { ...resource('cloudflare_zero_trust_tunnel_cloudflared', 't', tunnel), terraform: { required_providers: { cloudflare: { source: 'cloudflare/cloudflare', version: '>= 5.0' } } } },
    problems: [`${F}: terraform.required_providers.cloudflare.version: ">= 5.0" admits 6.x; pin a 5.x range (e.g. "~> 5.22")`],
  },
  {
    name: 'a provider requirement from the wrong source',
    doc: { ...resource('cloudflare_zero_trust_tunnel_cloudflared', 't', tunnel), terraform: { required_providers: { cloudflare: { source: 'hashicorp/cloudflare', version: '~> 5.22' } } } },
    problems: [`${F}: terraform.required_providers.cloudflare.source: "hashicorp/cloudflare", expected "cloudflare/cloudflare"`],
  },
];

describe('checkTerraformJson reports each kind of problem exactly', () => {
  it.each(badDocuments)('$name', ({ doc, problems }) => {
    expect(checkTerraformJson(doc, { file: F })).toEqual(problems);
  });

  it('reports references across files of one module that do not resolve, and duplicates', () => {
    expect(
      checkTerraformModule({
        'main.tf.json': { terraform, resource: { cloudflare_zero_trust_tunnel_cloudflared: { t: { account_id: '${var.acount_id}', name: '${local.tunnel_name}' } } } },
        'variables.tf.json': { variable: { account_id: { type: 'string' } }, locals: { tunnel_name: 'a' } },
        'more.tf.json': { locals: { tunnel_name: 'b' } },
      }),
    ).toEqual([
      'more.tf.json: local.tunnel_name: declared again (first in variables.tf.json)',
      'main.tf.json: resource.cloudflare_zero_trust_tunnel_cloudflared.t.account_id: var.acount_id: no variable "acount_id" is declared in this module (did you mean account_id?)',
    ]);
  });

  it('never quotes the value of a sensitive attribute in a message', () => {
    const problems = checkTerraformJson(resource('cloudflare_zero_trust_tunnel_cloudflared', 't', { ...tunnel, tunnel_secret: ['s3cr3t-value'] }), { file: F });
    expect(problems).toEqual([`${F}: resource.cloudflare_zero_trust_tunnel_cloudflared.t.tunnel_secret: expected string, got a list`]);
    expect(problems.join('\n')).not.toContain('s3cr3t');
  });
});

describe('unescapedTemplateSequences', () => {
  it('finds ${ and %{ that Terraform would evaluate', () => {
    expect(unescapedTemplateSequences('a ${var.x} b %{ if true }y%{ endif }')).toEqual(['${var.x}', '%{ if true }', '%{ endif }']);
    expect(unescapedTemplateSequences('${ {a = "}"} }')).toEqual(['${ {a = "}"} }']);
  });

  it('ignores the escaped forms $${ and %%{, including after a literal $', () => {
    expect(unescapedTemplateSequences('$${var.x} %%{ if } $$${y}')).toEqual([]);
    expect(unescapedTemplateSequences('costs $5, 100% {sure}')).toEqual([]);
  });

  it('reports an unterminated sequence', () => {
    expect(unescapedTemplateSequences('x ${oops')).toEqual(['${oops']);
  });
});

describe('versionConstraintAdmits', () => {
  it.each([
    ['~> 5.22', '5.22.0', true],
    ['~> 5.22', '5.99.1', true],
    ['~> 5.22', '6.0.0', false],
    ['~> 5.22.0', '5.23.0', false],
    ['>= 5.0, < 6.0', '5.22.0', true],
    ['>= 5.0, < 6.0', '6.0.0', false],
    ['5.21.0', '5.22.0', false],
  ] as const)('%s admits %s: %s', (constraint, version, admits) => {
    expect(versionConstraintAdmits(constraint, version)).toBe(admits);
  });
});
