/**
 * A token-mode host's ingress becomes its tunnel's remote configuration (see validate/remote-config.ts): settings
 * the remote configuration cannot carry are errors rather than silently dropped, durations must be whole seconds,
 * and originRequest.access needs both teamName and audTag there (the provider requires both).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { quote } from '../../diagnostics/diagnostic.js';
import type { ManifestPath, SourceMap } from '../../load/source-map.js';
import type { OriginRequest } from '../../manifest/types.generated.js';
import { REMOTE_ORIGIN_REQUEST, wholeSeconds, type OriginRequestKey } from '../remote-config.js';
import { effectiveIngress, forHost, tunnelMode, type HostRule } from './context.js';
import type { EffectiveSettings } from '../../model/merge.js';

function checkOriginRequest(host: EffectiveSettings, request: OriginRequest | undefined, path: ManifestPath, source: SourceMap): Diagnostic[] {
  if (!request) return [];
  return (Object.keys(request) as OriginRequestKey[]).flatMap((key): Diagnostic[] => {
    const carried = REMOTE_ORIGIN_REQUEST[key];
    const at: ManifestPath = [...path, key];
    const who = forHost(host, at);
    if ('unsupported' in carried) {
      return [
        source.error(
          'remote-config.unsupported',
          at,
          `originRequest.${key} cannot be set in a remotely managed tunnel's configuration (token mode)${who}: Cloudflare's tunnel configuration has no such setting`,
          'remove it, or run the host as a named tunnel (tunnel.mode: named), whose config.yml can carry it',
          'key',
        ),
      ];
    }
    const value = request[key];
    if (carried.kind === 'duration' && typeof value === 'string' && wholeSeconds(value) === undefined) {
      return [
        source.error(
          'remote-config.duration',
          at,
          `${quote(value)} is not a whole number of seconds; a remotely managed tunnel's configuration (token mode) takes ${key} in seconds${who}`,
          'round it to whole seconds, e.g. "2s"',
        ),
      ];
    }
    if (carried.kind === 'access' && request.access && (request.access.teamName === undefined || request.access.audTag === undefined)) {
      const missing = request.access.teamName === undefined ? 'teamName' : 'audTag';
      return [
        source.error(
          'remote-config.access',
          at,
          `originRequest.access has no ${missing}; a remotely managed tunnel's configuration (token mode) needs both teamName and audTag${who}`,
          `add ${missing}`,
          'key',
        ),
      ];
    }
    return [];
  });
}

export const checkRemoteConfig: HostRule = ({ source }, host) => {
  const ingress = effectiveIngress(host);
  if (tunnelMode(host) !== 'token' || !ingress) return [];
  return [
    ...checkOriginRequest(host, host.settings.originRequest, host.originOf(['originRequest']), source),
    ...ingress.rules.flatMap((rule, j) => checkOriginRequest(host, rule.originRequest, [...ingress.path, j, 'originRequest'], source)),
  ];
};
