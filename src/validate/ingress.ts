/**
 * What makes an ingress rule the catch-all. cloudflared requires the last rule to match every request; fleetgen
 * reads a rule as that catch-all when it says so with hostname "*", or when it has neither hostname nor path and
 * only answers with a status (a hostname-less rule with a real service gets a generated hostname instead).
 */
import { CATCH_ALL_HOSTNAME } from './hostname.js';

export function isCatchAllRule(rule: { hostname?: string; path?: string; service: string }): boolean {
  if (rule.hostname === CATCH_ALL_HOSTNAME) return true;
  return rule.hostname === undefined && rule.path === undefined && rule.service.startsWith('http_status:');
}
