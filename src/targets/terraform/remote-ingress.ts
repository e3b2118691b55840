/**
 * A token tunnel's ingress as Cloudflare keeps it (cloudflare_zero_trust_tunnel_cloudflared_config): the same
 * normalized rules config.yml gets, catch-all included, with originRequest written field by field in the
 * provider's snake_case names and durations in seconds (validate/remote-config.ts says how; validation already
 * refused what cannot travel).
 */
import { InternalError } from '../../diagnostics/diagnostic.js';
import type { Host, IngressRule, OriginRequest } from '../../model/fleet.js';
import { REMOTE_ORIGIN_REQUEST, wholeSeconds, type OriginRequestKey } from '../../validate/remote-config.js';
import type { TfValue } from './hcl.js';

export function remoteOriginRequest(request: OriginRequest | undefined): Record<string, TfValue> | undefined {
  if (!request) return undefined;
  const out: Record<string, TfValue> = {};
  for (const key of Object.keys(request) as OriginRequestKey[]) {
    const carried = REMOTE_ORIGIN_REQUEST[key];
    const value = request[key];
    if (value === undefined) continue;
    if ('unsupported' in carried) throw new InternalError(`originRequest.${key} reached a remote configuration; validation should have refused it`);
    if (carried.kind === 'duration') {
      const seconds = typeof value === 'string' ? wholeSeconds(value) : undefined;
      if (seconds === undefined) throw new InternalError(`originRequest.${key} is not whole seconds after validation`);
      out[carried.attribute] = seconds;
    } else if (carried.kind === 'access') {
      const access = request.access;
      if (!access?.teamName || !access.audTag) throw new InternalError('originRequest.access without teamName or audTag after validation');
      out.access = { aud_tag: access.audTag, team_name: access.teamName, ...(access.required !== undefined ? { required: access.required } : {}) };
    } else {
      out[carried.attribute] = value as TfValue;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function remoteRule(rule: IngressRule): Record<string, TfValue | undefined> {
  return {
    hostname: rule.hostname,
    path: rule.path,
    service: rule.service,
    origin_request: remoteOriginRequest(rule.originRequest),
  };
}

/** The `config` attribute of the host's tunnel configuration. */
export function remoteConfig(host: Host): Record<string, TfValue | undefined> {
  return {
    ingress: host.ingress.map(remoteRule),
    origin_request: remoteOriginRequest(host.originRequest),
  };
}
