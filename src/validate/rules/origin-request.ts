/**
 * originRequest.access: cloudflared verifies the Access token against the team's keys, so an audTag without a
 * teamName cannot work (FACTS.md). A rule's own `access` replaces the top-level one as a whole in cloudflared, so
 * each is checked on its own; the top-level one is checked merged, as a host gets it from its layers.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { ManifestPath, SourceMap } from '../../load/source-map.js';
import type { OriginRequest } from '../../manifest/types.generated.js';
import type { EffectiveSettings } from '../../model/merge.js';
import { frameIngressLists, ownIngressList, type FleetRule, type HostRule, type WrittenIngress } from './context.js';

type Access = NonNullable<OriginRequest['access']>;

function checkAccess(access: Access | undefined, audTagPath: ManifestPath, source: SourceMap): Diagnostic[] {
  if (!access?.audTag || access.audTag.length === 0 || access.teamName !== undefined) return [];
  return [
    source.error(
      'origin-request.access-team-name',
      audTagPath,
      'access.audTag is set but access.teamName is not; cloudflared needs the team name to verify Access tokens',
      'add teamName: your Zero Trust team name (the <team> of <team>.cloudflareaccess.com)',
      'key',
    ),
  ];
}

/** The rules' own `access` in the ingress lists written in defaults and groups. */
export const checkFrameAccessSettings: FleetRule = ({ manifest, source }) => frameIngressLists(manifest).flatMap((list) => checkListAccess(list, source));

/** A host's merged top-level `access`, and the rules' own in the ingress list written in its entry. */
export const checkHostAccessSettings: HostRule = ({ source }, host: EffectiveSettings) => {
  const list = ownIngressList(host);
  return [...checkAccess(host.settings.originRequest?.access, host.originOf(['originRequest', 'access', 'audTag']), source), ...(list ? checkListAccess(list, source) : [])];
};

function checkListAccess(list: WrittenIngress, source: SourceMap): Diagnostic[] {
  return list.rules.flatMap((rule, j) => checkAccess(rule.originRequest?.access, [...list.path, j, 'originRequest', 'access', 'audTag'], source));
}
