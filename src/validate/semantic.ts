/**
 * The semantic rules: everything the JSON Schema cannot say about a manifest (uniqueness across hosts, what each
 * tunnel mode needs, the content of referenced secrets, cloudflared's ingress rules). Runs on a manifest that
 * passed the schema, or on what is left of one once the schema's rejections are cut out (validate.ts). Each rule
 * lives in rules/; this file lists them and runs them: the fleet rules once, the host rules host by host (skipping
 * the hosts known to pass them: host-checks.ts).
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { SecretReader } from '../load/secrets.js';
import type { SourceMap } from '../load/source-map.js';
import { effectiveHosts } from '../model/merge.js';
import { checkTerraformChunks } from './rules/terraform-layout.js';
import { checkFrameAccessPolicyNames, checkOwnAccessPolicyNames, checkServiceTokenNames, checkTerraformCaHasApplication } from './rules/access.js';
import { warnServiceTokenUnset } from './rules/client.js';
import { checkBinaryInstalls, checkInstallSettings } from './rules/cloudflared.js';
import type { FleetContext, FleetRule, HostContext, HostRule } from './rules/context.js';
import { warnWhatDecommissionLeaves } from './rules/decommission.js';
import { checkHostnamesClaimedOnce } from './rules/hostname-claims.js';
import { checkGroupExists, checkHostNamesUnique } from './rules/hosts.js';
import { checkFrameIngressLists, checkOwnIngressList } from './rules/ingress.js';
import { checkLockdownCanProve, checkLockdownKeepsSsh } from './rules/lockdown.js';
import { checkFrameAccessSettings, checkHostAccessSettings } from './rules/origin-request.js';
import { checkRemoteConfig } from './rules/remote-config.js';
import { warnSharedOriginCert } from './rules/shared-origin-cert.js';
import { warnHostsWithoutSsh, warnSshPortMismatch, warnSshUserWithoutPrincipals } from './rules/ssh.js';
import { checkTunnelIdsUnique, checkTunnelNamesUnique } from './rules/tunnel-identity.js';
import { checkTunnelModes } from './rules/tunnel.js';
import type { RootKey } from './salvage.js';
import { checkFrameIpRules, checkMetricsAddress, checkOwnIpRules, checkPostQuantum, checkRegionWithEndpoint, checkTunnelOptionValues } from './rules/tunnel-options.js';
import type { Manifest } from './schema.js';
import { NotingReader, type HostChecks } from './host-checks.js';

/** Rules over the whole fleet: across hosts (what must be unique, what is reported once for many hosts) and the frame. */
const FLEET_RULES: readonly FleetRule[] = [
  checkHostNamesUnique,
  checkFrameIngressLists,
  checkHostnamesClaimedOnce,
  checkTunnelIdsUnique,
  checkTunnelNamesUnique,
  warnSharedOriginCert,
  checkBinaryInstalls,
  checkFrameAccessSettings,
  checkPostQuantum,
  checkMetricsAddress,
  checkFrameIpRules,
  warnHostsWithoutSsh,
  warnSshUserWithoutPrincipals,
  checkLockdownKeepsSsh,
  checkLockdownCanProve,
  warnServiceTokenUnset,
  checkFrameAccessPolicyNames,
  checkServiceTokenNames,
  checkTerraformChunks,
  warnWhatDecommissionLeaves,
];

/** Rules over one host at a time (see HostRule): a host whose inputs did not change is not checked again (host-checks.ts). */
const HOST_RULES: readonly HostRule[] = [
  checkGroupExists,
  checkOwnIngressList,
  checkTunnelModes,
  checkInstallSettings,
  checkHostAccessSettings,
  checkTunnelOptionValues,
  checkRegionWithEndpoint,
  checkOwnIpRules,
  warnSshPortMismatch,
  checkOwnAccessPolicyNames,
  checkTerraformCaHasApplication,
  checkRemoteConfig,
];

/**
 * Every semantic rule over a schema-valid manifest: errors and warnings, each located. `unknown` names root values
 * that stand in for rejected ones (see salvage.ts): the checks that depend on them are skipped. `checks`: the hosts
 * known to pass the host rules (only for a manifest the schema accepted whole): they are not checked again.
 */
export function checkFleet(
  manifest: Manifest,
  source: SourceMap,
  secrets: SecretReader,
  options: { unknown?: ReadonlySet<RootKey>; checks?: HostChecks } = {},
): Diagnostic[] {
  const unknown = options.unknown ?? new Set<RootKey>();
  const { checks } = options;
  const known = {
    ...(unknown.has('zone') ? {} : { zone: manifest.zone }),
    ...(unknown.has('fleet') ? {} : { fleetName: manifest.fleet }),
  };
  const hosts = effectiveHosts(manifest);
  const fleet: FleetContext = { manifest, source, secrets, hosts, ...known };
  checks?.readsThrough(secrets);
  const found: Diagnostic[] = [];
  // Appended one by one: a finding per host of a large fleet is too many to spread into push()'s arguments.
  for (const rule of FLEET_RULES) for (const diagnostic of rule(fleet)) found.push(diagnostic);
  const { hosts: _hosts, ...frame } = manifest;
  for (const host of hosts) {
    if (checks?.isKnownClean(host.hostIndex, secrets) === true) continue;
    // With checks, a reader that notes what the host's rules read, for remember().
    const reader = checks !== undefined ? new NotingReader(secrets) : undefined;
    const context: HostContext = { frame, source, secrets: reader ?? secrets, ...known };
    const before = found.length;
    for (const rule of HOST_RULES) for (const diagnostic of rule(context, host)) found.push(diagnostic);
    if (reader !== undefined && found.length === before) checks?.remember(host.hostIndex, reader);
  }
  return withoutRepeats(found);
}

/**
 * Rules that check each host's merged settings meet a value inherited from defaults or a group once per host;
 * the same finding at the same place is shown once.
 */
function withoutRepeats(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = [d.severity, d.code, d.line, d.column, d.path, d.message].join('\u0000');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
