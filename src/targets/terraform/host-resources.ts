/**
 * One host's Cloudflare objects, one file per host (host-<name>.tf.json), every value a literal from the model so
 * that a plan reads per host and changing one host changes only its file:
 * - Terraform-managed tunnel: random_id (the 32-byte tunnel secret, kept in state) and the tunnel (config_src
 *   local for named, cloudflare for token); token tunnels also read their token through the data source;
 * - token tunnels with ingress in the manifest: the tunnel's remote configuration;
 * - a proxied CNAME to <tunnel id>.cfargotunnel.com per public hostname (generated ones included);
 * - an Access application over the host's SSH hostnames, with its policies from the shared module, and the
 *   short-lived-certificate CA when the host uses short-lived certificates;
 * - an import block when the manifest has Terraform adopt an existing tunnel (tunnel.id with managedBy terraform);
 * - a local, outputs_<host>, with what the host artifacts need back (collected by outputs.tf.json).
 */
import { InternalError } from '../../diagnostics/diagnostic.js';
import { HOST_OUTPUT_FIELDS } from '../../load/terraform-outputs.js';
import { runningMode, type Host } from '../../model/fleet.js';
import type { FleetSettings } from '../target.js';
import { dnsRecordName, hasAccessApplication, hostResourceName, RESOURCE, routedHostnames } from './addresses.js';
import { Expression, Template, type TfValue } from './hcl.js';
import { remoteConfig } from './remote-ingress.js';
import { ACCOUNT_ID, ZONE_ID, policyId } from './module-inputs.js';

type Block = Record<string, Record<string, TfValue | undefined>>;

export interface HostResources {
  /** The file's document: resource/data/locals blocks. */
  document: Record<string, TfValue>;
  /** Name of the local holding this host's outputs, when it has any. */
  outputsLocal?: string;
  usesZone: boolean;
  usesSharedState: boolean;
  /** Whether the file has an import block (whose ID is an expression: Terraform 1.6 or later). */
  hasImports: boolean;
}

const CFARGOTUNNEL = '.cfargotunnel.com';

export function hostResources(fleet: FleetSettings, host: Host): HostResources | undefined {
  const name = hostResourceName(host.name);
  const mode = runningMode(host.tunnel);
  const resources: Record<string, Block> = {};
  const data: Record<string, Block> = {};
  const outputs: Record<string, TfValue> = {};
  const imports: { to: string; id: Template }[] = [];
  const add = (into: Record<string, Block>, type: string, body: Record<string, TfValue | undefined>): void => {
    (into[type] ??= {})[name] = body;
  };

  const tunnel = host.tunnel;
  const isTerraformTunnel = tunnel.mode !== 'self-register' && tunnel.managedBy === 'terraform';
  let tunnelId: Expression | string | undefined;
  if (isTerraformTunnel) {
    const tunnelRef = Expression.ref(RESOURCE.tunnel, name);
    const secret = Expression.ref(RESOURCE.randomId, name, 'b64_std');
    add(resources, RESOURCE.randomId, { byte_length: 32 });
    add(resources, RESOURCE.tunnel, {
      account_id: ACCOUNT_ID,
      name: `${fleet.name}-${host.name}`,
      config_src: mode === 'token' ? 'cloudflare' : 'local',
      tunnel_secret: secret,
    });
    tunnelId = tunnelRef.attr('id');
    if (tunnel.adoptedId !== undefined) {
      // tunnel.id with managedBy terraform: the first apply adopts that tunnel (same UUID, so its DNS records keep
      // pointing at it) instead of creating one; later applies leave the block be. Import ID: <account>/<tunnel>.
      imports.push({ to: `${RESOURCE.tunnel}.${name}`, id: new Template([ACCOUNT_ID, `/${tunnel.adoptedId}`]) });
    }
    outputs[HOST_OUTPUT_FIELDS.tunnelId] = tunnelId;
    outputs[HOST_OUTPUT_FIELDS.accountTag] = ACCOUNT_ID;
    if (mode === 'token') {
      add(data, RESOURCE.tunnelToken, { account_id: ACCOUNT_ID, tunnel_id: tunnelId });
      outputs[HOST_OUTPUT_FIELDS.token] = Expression.ref('data', RESOURCE.tunnelToken, name, 'token');
    } else {
      // The credentials JSON cloudflared reads (FACTS.md): the account, the secret Terraform generated, the UUID.
      outputs[HOST_OUTPUT_FIELDS.credentials] = Expression.call(
        'jsonencode',
        Expression.object({ AccountTag: ACCOUNT_ID, TunnelSecret: secret, TunnelID: tunnelId }),
      );
    }
  } else if (tunnel.mode === 'named' || tunnel.mode === 'token') {
    tunnelId = tunnel.id;
  }

  if (mode === 'token' && host.ingress.length > 0) {
    if (tunnelId === undefined) throw new InternalError(`host ${host.name}: a token tunnel without an id`);
    add(resources, RESOURCE.tunnelConfig, { account_id: ACCOUNT_ID, tunnel_id: tunnelId, source: 'cloudflare', config: remoteConfig(host) });
  }

  const hostnames = routedHostnames(host);
  if (hostnames.length > 0) {
    if (tunnelId === undefined) throw new InternalError(`host ${host.name}: hostnames to route but no tunnel`);
    const content = typeof tunnelId === 'string' ? `${tunnelId}${CFARGOTUNNEL}` : new Template([tunnelId, CFARGOTUNNEL]);
    for (const hostname of hostnames) {
      (resources[RESOURCE.dnsRecord] ??= {})[dnsRecordName(host, hostname, fleet.zone)] = {
        zone_id: ZONE_ID,
        name: hostname,
        type: 'CNAME',
        content,
        proxied: true,
        ttl: 1,
      };
    }
  }

  const hasApplication = hasAccessApplication(host);
  if (hasApplication) {
    add(resources, RESOURCE.accessApplication, {
      account_id: ACCOUNT_ID,
      name: `${fleet.name} ${host.name} SSH`,
      type: 'self_hosted',
      destinations: host.ssh.hostnames.map((uri) => ({ type: 'public', uri })),
      policies: host.access.policies.map((policy, i) => ({ id: policyId(policy), precedence: i + 1 })),
      session_duration: host.access.sessionDuration,
      app_launcher_visible: false,
    });
    const application = Expression.ref(RESOURCE.accessApplication, name);
    outputs[HOST_OUTPUT_FIELDS.accessAud] = application.attr('aud');
    if (host.ssh.shortLivedCerts) {
      add(resources, RESOURCE.shortLivedCertificate, { account_id: ACCOUNT_ID, app_id: application.attr('id') });
      outputs[HOST_OUTPUT_FIELDS.sshCaPublicKey] = Expression.ref(RESOURCE.shortLivedCertificate, name, 'public_key');
    }
  }

  if (Object.keys(resources).length === 0 && Object.keys(data).length === 0) return undefined;
  const outputsLocal = Object.keys(outputs).length > 0 ? `outputs_${name}` : undefined;
  return {
    document: {
      ...(Object.keys(resources).length > 0 ? { resource: resources } : {}),
      ...(Object.keys(data).length > 0 ? { data } : {}),
      ...(imports.length > 0 ? { import: imports } : {}),
      ...(outputsLocal ? { locals: { [outputsLocal]: outputs } } : {}),
    },
    ...(outputsLocal ? { outputsLocal } : {}),
    usesZone: hostnames.length > 0,
    usesSharedState: hasApplication,
    hasImports: imports.length > 0,
  };
}
