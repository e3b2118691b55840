/**
 * Cloudflare Access as the manifest describes it: every policy a host names exists under access.policies, every
 * service token a policy names exists under access.serviceTokens, and a host whose short-lived certificates use the
 * CA Terraform creates has what that CA belongs to: an Access application, which needs an SSH hostname and a policy.
 */
import { quote, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { ManifestPath, SourceMap } from '../../load/source-map.js';
import type { AccessRules } from '../../manifest/types.generated.js';
import { closest } from '../closest.js';
import { parseService } from '../service.js';
import { usesTerraformCa } from '../terraform-outputs.js';
import { effectiveIngress, forHost, type FleetRule, type HostRule, type ManifestFrame } from './context.js';

const RULE_SETS = ['include', 'require', 'exclude'] as const;

function unknownName(kind: string, name: string, known: readonly string[], where: string): { message: string; hint: string } {
  const guess = closest(name, known);
  return {
    message: `${kind} ${quote(name)} is not defined under ${where}`,
    hint: guess ? `did you mean ${quote(guess)}?` : known.length > 0 ? `define it there, or use one of ${known.map((k) => quote(k)).join(', ')}` : `define it under ${where}`,
  };
}

/** Every access.policies list as written in defaults and each group, checked once where it is written. */
export const checkFrameAccessPolicyNames: FleetRule = ({ manifest, source }) => {
  const lists: { path: ManifestPath; names: readonly string[] }[] = [];
  if (manifest.defaults?.access?.policies) lists.push({ path: ['defaults', 'access', 'policies'], names: manifest.defaults.access.policies });
  for (const [name, group] of Object.entries(manifest.groups ?? {})) {
    if (group.access?.policies) lists.push({ path: ['groups', name, 'access', 'policies'], names: group.access.policies });
  }
  return lists.flatMap(({ path, names }) => checkPolicyNames(manifest, path, names, source));
};

/** The access.policies list written in a host's own entry. */
export const checkOwnAccessPolicyNames: HostRule = ({ frame, source }, { host, hostPath }) =>
  host.access?.policies ? checkPolicyNames(frame, [...hostPath, 'access', 'policies'], host.access.policies, source) : [];

function checkPolicyNames(frame: ManifestFrame, path: ManifestPath, names: readonly string[], source: SourceMap): Diagnostic[] {
  const known = Object.keys(frame.access?.policies ?? {});
  return names.flatMap((name, j) => {
    if (known.includes(name)) return [];
    const { message, hint } = unknownName('access policy', name, known, 'access.policies');
    return [source.error('access.unknown-policy', [...path, j], message, hint)];
  });
}

export const checkServiceTokenNames: FleetRule = ({ manifest, source }) => {
  const known = Object.keys(manifest.access?.serviceTokens ?? {});
  return Object.entries(manifest.access?.policies ?? {}).flatMap(([policy, body]) =>
    RULE_SETS.flatMap((set) => {
      const rules: AccessRules | undefined = body[set];
      return (rules?.serviceTokens ?? []).flatMap((name, j) => {
        if (known.includes(name)) return [];
        const { message, hint } = unknownName('service token', name, known, 'access.serviceTokens');
        return [source.error('access.unknown-service-token', ['access', 'policies', policy, set, 'serviceTokens', j], message, hint)];
      });
    }),
  );
};

export const checkTerraformCaHasApplication: HostRule = ({ source }, host) => {
  if (!usesTerraformCa(host)) return [];
  const hasSshRule = (effectiveIngress(host)?.rules ?? []).some((rule) => {
    const service = parseService(rule.service);
    return service.ok && service.kind === 'ssh' && !rule.hostname?.startsWith('*');
  });
  const hasPolicy = (host.settings.access?.policies ?? []).length > 0;
  if (hasSshRule && hasPolicy) return [];
  const at = host.originOf(['ssh', 'shortLivedCerts']);
  const lacks = !hasSshRule ? 'no ssh:// ingress rule (so no SSH hostname)' : 'no access.policies';
  return [
    source.error(
      'access.ca-without-application',
      at,
      `short-lived certificates without caPublicKey use the SSH CA that Terraform creates for the host's Access application, but the host has ${lacks}${forHost(host, at)}`,
      !hasSshRule
        ? 'add an ingress rule such as { service: "ssh://localhost:22" }, or give caPublicKey'
        : 'name the policies that may log in under access.policies (in defaults, the group or the host), or give caPublicKey',
    ),
  ];
};
