/**
 * The semantic rules: everything the JSON Schema cannot say about a manifest (uniqueness across hosts, what each
 * tunnel mode needs, the content of referenced secrets, cloudflared's ingress rules). Runs on a manifest that
 * passed the schema, or on what is left of one once the schema's rejections are cut out (validate.ts). Each rule
 * lives in rules/; this file only lists them.
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { SecretReader } from '../load/secrets.js';
import type { SourceMap } from '../load/source-map.js';
import { effectiveHosts } from '../model/merge.js';
import { checkTerraformChunks } from './rules/terraform-layout.js';
import { checkAccessPolicyNames, checkServiceTokenNames, checkTerraformCaHasApplication } from './rules/access.js';
import { warnServiceTokenUnset } from './rules/client.js';
import { checkBinaryInstalls, checkInstallSettings } from './rules/cloudflared.js';
import type { FleetContext, FleetRule } from './rules/context.js';
import { warnWhatDecommissionLeaves } from './rules/decommission.js';
import { checkHostnamesClaimedOnce } from './rules/hostname-claims.js';
import { checkGroupsExist, checkHostNamesUnique } from './rules/hosts.js';
import { checkIngressLists } from './rules/ingress.js';
import { checkLockdownCanProve, checkLockdownKeepsSsh } from './rules/lockdown.js';
import { checkAccessSettings } from './rules/origin-request.js';
import { checkRemoteConfig } from './rules/remote-config.js';
import { warnSharedOriginCert } from './rules/shared-origin-cert.js';
import { warnHostsWithoutSsh, warnSshPortMismatch, warnSshUserWithoutPrincipals } from './rules/ssh.js';
import { checkTunnelIdsUnique, checkTunnelNamesUnique } from './rules/tunnel-identity.js';
import { checkTunnelModes } from './rules/tunnel.js';
import type { RootKey } from './salvage.js';
import { checkIpRules, checkMetricsAddress, checkPostQuantum, checkRegionWithEndpoint, checkTunnelOptionValues } from './rules/tunnel-options.js';
import type { Manifest } from './schema.js';

const RULES: readonly FleetRule[] = [
  checkHostNamesUnique,
  checkGroupsExist,
  checkIngressLists,
  checkHostnamesClaimedOnce,
  checkTunnelModes,
  checkTunnelIdsUnique,
  checkTunnelNamesUnique,
  warnSharedOriginCert,
  checkBinaryInstalls,
  checkInstallSettings,
  checkAccessSettings,
  checkPostQuantum,
  checkTunnelOptionValues,
  checkRegionWithEndpoint,
  checkMetricsAddress,
  checkIpRules,
  warnSshPortMismatch,
  warnHostsWithoutSsh,
  warnSshUserWithoutPrincipals,
  checkLockdownKeepsSsh,
  checkLockdownCanProve,
  warnServiceTokenUnset,
  checkAccessPolicyNames,
  checkServiceTokenNames,
  checkTerraformCaHasApplication,
  checkRemoteConfig,
  checkTerraformChunks,
  warnWhatDecommissionLeaves,
];

/**
 * Every semantic rule over a schema-valid manifest: errors and warnings, each located. `unknown` names root values
 * that stand in for rejected ones (see salvage.ts): the checks that depend on them are skipped.
 */
export function checkFleet(manifest: Manifest, source: SourceMap, secrets: SecretReader, options: { unknown?: ReadonlySet<RootKey> } = {}): Diagnostic[] {
  const unknown = options.unknown ?? new Set<RootKey>();
  const fleet: FleetContext = {
    manifest,
    source,
    secrets,
    hosts: effectiveHosts(manifest),
    ...(unknown.has('zone') ? {} : { zone: manifest.zone }),
    ...(unknown.has('fleet') ? {} : { fleetName: manifest.fleet }),
  };
  return withoutRepeats(RULES.flatMap((rule) => rule(fleet)));
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
