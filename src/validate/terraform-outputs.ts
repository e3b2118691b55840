/**
 * Matches what Terraform created (terraformOutputs, see load/terraform-outputs.ts) to the hosts that need it: the
 * tunnel ID and credentials or token of each tunnel Terraform creates, and the SSH CA of each host whose
 * short-lived certificates use the CA Terraform creates. A host whose outputs are missing or malformed gets one
 * located error saying which module to apply and which file to write; the pipeline raises these only when a host
 * target (Chef, Ansible, cloud-init) is built — the Terraform target never needs them.
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { ManifestPath, SourceMap } from '../load/source-map.js';
import { HOST_OUTPUT_FIELDS, type HostOutputs, type TerraformOutputs } from '../load/terraform-outputs.js';
import { terraformModuleOf, type TerraformLayout } from '../manifest/terraform-layout.js';
import type { EffectiveSettings } from '../model/merge.js';
import { missingTunnelPath, tunnelMode, tunnelOwner } from './rules/context.js';
import { decodeTunnelToken, parseCredentials, UUID } from './tunnel-secrets.js';

/** The OpenSSH public key line the manifest schema accepts as ssh.shortLivedCerts.caPublicKey. */
const SSH_PUBLIC_KEY = /^(ecdsa-sha2-nistp(256|384|521)|ssh-ed25519|ssh-rsa) [A-Za-z0-9+/]+={0,2}( [^\n\r]*)?$/;

export interface HostTerraformValues {
  /** lockdown.probe.serviceToken: its client ID and secret. */
  lockdownProbe?: { id: string; secret: string };
  tunnel?: { id: string; accountTag: string; credentials?: { value: string; file: string }; token?: { value: string; file: string } };
  sshCaPublicKey?: string;
}

export interface ResolvedTerraformOutputs {
  byHost: Map<string, HostTerraformValues>;
  /** One error per host that needs outputs it cannot have yet, plus problems with the files themselves. */
  awaiting: Diagnostic[];
}

export interface OutputsContext {
  source: SourceMap;
  layout: TerraformLayout;
  /** The outputs folder as the user should type it (relative to the working folder). */
  shownDir: string;
  /** The output folder of the build (--out), for the commands in messages. */
  outDir: string;
}

/** Whether any host needs Terraform's outputs at all (else the folder is not even read). */
export function needsTerraformOutputs(hosts: readonly EffectiveSettings[]): boolean {
  return hosts.some((host) => tunnelOwner(host) === 'terraform' || usesTerraformCa(host) || lockdownProbeToken(host) !== undefined);
}

/** The service token a host's lockdown proves SSH with (lockdown.probe.serviceToken), which Terraform creates. */
export function lockdownProbeToken(host: EffectiveSettings): string | undefined {
  const lockdown = host.settings.lockdown;
  return typeof lockdown === 'object' ? lockdown.probe.serviceToken : undefined;
}

/** The shared module (out/terraform/shared) creates the service tokens; its saved outputs give their ID and secret. */
function resolveLockdownProbes(hosts: readonly EffectiveSettings[], outputs: TerraformOutputs, context: OutputsContext, byHost: Map<string, HostTerraformValues>): Diagnostic[] {
  const moduleDir = `${context.outDir.replace(/\/+$/, '')}/terraform/shared`;
  const how = `run \`terraform -chdir=${moduleDir} apply\`, then \`terraform -chdir=${moduleDir} output -json > ${context.shownDir}/shared.json\``;
  const problems: Diagnostic[] = [];
  for (const host of hosts) {
    const name = lockdownProbeToken(host);
    if (name === undefined) continue;
    const token = outputs.serviceTokens.get(name);
    if (token?.clientId === undefined || token.clientSecret === undefined) {
      problems.push(
        context.source.error(
          'terraform-outputs.missing-service-token',
          host.originOf(['lockdown', 'probe', 'serviceToken']),
          `the lockdown proves SSH with service token ${JSON.stringify(name)}, which Terraform's shared module creates, and ${context.shownDir} has no client_id and client_secret for it in a service_tokens output yet`,
          how,
        ),
      );
      continue;
    }
    byHost.set(host.host.name, { ...byHost.get(host.host.name), lockdownProbe: { id: token.clientId, secret: token.clientSecret } });
  }
  return problems;
}

export function usesTerraformCa(host: EffectiveSettings): boolean {
  const certs = host.settings.ssh?.shortLivedCerts;
  return certs !== undefined && certs.caPublicKey === undefined;
}

export function resolveTerraformOutputs(hosts: readonly EffectiveSettings[], outputs: TerraformOutputs, context: OutputsContext): ResolvedTerraformOutputs {
  const byHost = new Map<string, HostTerraformValues>();
  const awaiting: Diagnostic[] = [...outputs.diagnostics];
  for (const host of hosts) {
    const needsTunnel = tunnelOwner(host) === 'terraform';
    const needsCa = usesTerraformCa(host);
    if (!needsTunnel && !needsCa) continue;
    const name = host.host.name;
    const module = terraformModuleOf(host.host, context.layout);
    const moduleDir = `${context.outDir.replace(/\/+$/, '')}/terraform/${module}`;
    const how = `run \`terraform -chdir=${moduleDir} apply\`, then \`terraform -chdir=${moduleDir} output -json > ${context.shownDir}/${module}.json\``;
    const entry = outputs.hosts.get(name);
    const file = `${context.shownDir}/${module}.json`;
    // A decommissioned host's targets only remove what is there: they need no tunnel secret and no CA from Terraform.
    const isNeeded = host.settings.state !== 'decommissioned';
    if (!entry) {
      if (!isNeeded) continue;
      if (outputs.invalidModules.has(module)) continue; // its file's problem is reported already
      const what = needsTunnel ? 'Terraform creates this tunnel' : "this host's short-lived certificates use the SSH CA Terraform creates";
      const where = outputs.modules.has(module) ? `${file} has no outputs for host ${JSON.stringify(name)} yet` : `${file}, the outputs of its module ${module}, is not saved yet`;
      awaiting.push(context.source.error('terraform-outputs.missing-host', hostPath(host, needsTunnel), `${what}, and ${where}`, how));
      continue;
    }
    if (!entry.isWellFormed) continue; // reported where the file is wrong
    if (entry.module !== module) {
      if (!isNeeded) continue;
      // Its old module's outputs: that tunnel goes when the old module is applied, so they must not reach the host.
      awaiting.push(
        context.source.error(
          'terraform-outputs.wrong-module',
          hostPath(host, needsTunnel),
          `host ${JSON.stringify(name)} is in module ${module} now, but its outputs are in ${entry.file}, the outputs of module ${entry.module}`,
          `apply ${entry.module} (the module it left), then ${module}, and save the outputs of both (\`terraform -chdir=${moduleDir} output -json > ${file}\`); to keep its tunnel across the move, see "Adding and removing hosts" in ${context.outDir.replace(/\/+$/, '')}/terraform/README.md`,
        ),
      );
      continue;
    }
    const values: HostTerraformValues = {};
    const problems: Diagnostic[] = [];
    if (needsTunnel) {
      const tunnel = tunnelValues(host, entry, problems, how);
      if (tunnel) values.tunnel = tunnel;
    }
    if (needsCa) {
      const key = entry.values.sshCaPublicKey;
      if (key === undefined) problems.push(missingField(entry, 'sshCaPublicKey', how));
      else if (!SSH_PUBLIC_KEY.test(key.trim())) problems.push(badField(entry, 'sshCaPublicKey', 'is not one OpenSSH public key line', how));
      else values.sshCaPublicKey = key.trim();
    }
    if (isNeeded) awaiting.push(...problems);
    if (problems.length === 0) byHost.set(name, values);
  }
  for (const problem of resolveLockdownProbes(hosts, outputs, context, byHost)) awaiting.push(problem); // one per host may be too many for push(...)
  return { byHost, awaiting };
}

/** Where a message about the host's outputs points in the manifest: its tunnel, or its short-lived certificates. */
function hostPath(host: EffectiveSettings, needsTunnel: boolean): ManifestPath {
  return needsTunnel ? missingTunnelPath(host) : host.originOf(['ssh', 'shortLivedCerts']);
}

function tunnelValues(host: EffectiveSettings, entry: HostOutputs, problems: Diagnostic[], how: string): HostTerraformValues['tunnel'] {
  const id = entry.values.tunnelId;
  if (id === undefined) {
    problems.push(missingField(entry, 'tunnelId', how));
    return undefined;
  }
  if (!UUID.test(id)) {
    problems.push(badField(entry, 'tunnelId', 'is not a UUID', how));
    return undefined;
  }
  const tunnelId = id.toLowerCase();
  const adopted = host.settings.tunnel?.id;
  if (adopted !== undefined && adopted !== tunnelId) {
    // The import block adopts tunnel.id on the next apply: these outputs predate it (or the tunnel was replaced).
    problems.push(badField(entry, 'tunnelId', `is ${tunnelId}, not the tunnel ${adopted} that fleet.yaml has Terraform adopt (tunnel.id)`, how));
    return undefined;
  }
  if (tunnelMode(host) === 'named') {
    const credentials = entry.values.credentials;
    if (credentials === undefined) {
      problems.push(missingField(entry, 'credentials', how));
      return undefined;
    }
    const parsed = parseCredentials(credentials);
    if (!parsed.ok) {
      problems.push(badField(entry, 'credentials', parsed.message, how));
      return undefined;
    }
    if (parsed.tunnelId.toLowerCase() !== tunnelId) {
      problems.push(badField(entry, 'credentials', `hold the credentials of tunnel ${parsed.tunnelId}, not of tunnel ${tunnelId}`, how));
      return undefined;
    }
    return { id: tunnelId, accountTag: parsed.accountTag, credentials: { value: credentials, file: entry.fileFromManifest } };
  }
  const token = entry.values.token;
  if (token === undefined) {
    problems.push(missingField(entry, 'token', how));
    return undefined;
  }
  const decoded = decodeTunnelToken(token);
  if (!decoded.ok) {
    problems.push(badField(entry, 'token', decoded.message, how));
    return undefined;
  }
  if (decoded.tunnelId.toLowerCase() !== tunnelId) {
    problems.push(badField(entry, 'token', `is the token of tunnel ${decoded.tunnelId}, not of tunnel ${tunnelId}`, how));
    return undefined;
  }
  return { id: tunnelId, accountTag: decoded.accountTag, token: { value: token.trim(), file: entry.fileFromManifest } };
}

function missingField(entry: HostOutputs, field: keyof typeof HOST_OUTPUT_FIELDS, how: string): Diagnostic {
  return entry.source.error(
    'terraform-outputs.missing-field',
    entry.path,
    `has no ${HOST_OUTPUT_FIELDS[field]} (a non-empty string); the file is older than the Terraform fleetgen writes now`,
    how,
  );
}

function badField(entry: HostOutputs, field: keyof typeof HOST_OUTPUT_FIELDS, problem: string, how: string): Diagnostic {
  return entry.source.error('terraform-outputs.invalid-field', [...entry.path, HOST_OUTPUT_FIELDS[field]], `${HOST_OUTPUT_FIELDS[field]} ${problem}`, how);
}
