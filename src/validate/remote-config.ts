/**
 * A token-mode tunnel's ingress lives in Cloudflare: fleetgen's Terraform writes it as
 * cloudflare_zero_trust_tunnel_cloudflared_config, whose origin_request has snake_case names, durations in whole
 * seconds, and fewer settings than config.yml (provider v5.22: no bastionMode, proxyAddress, proxyPort, ipRules).
 * This table is the one place that says how each originRequest key travels there; validation rejects what cannot.
 */
import type { OriginRequest } from '../manifest/types.generated.js';

export type OriginRequestKey = keyof OriginRequest;

type Carried = { attribute: string; kind: 'value' | 'duration' | 'access' };

/** How each config.yml originRequest key is written in the remote configuration, or why it cannot be. */
export const REMOTE_ORIGIN_REQUEST: Readonly<Record<OriginRequestKey, Carried | { unsupported: true }>> = {
  connectTimeout: { attribute: 'connect_timeout', kind: 'duration' },
  tlsTimeout: { attribute: 'tls_timeout', kind: 'duration' },
  tcpKeepAlive: { attribute: 'tcp_keep_alive', kind: 'duration' },
  keepAliveTimeout: { attribute: 'keep_alive_timeout', kind: 'duration' },
  noHappyEyeballs: { attribute: 'no_happy_eyeballs', kind: 'value' },
  keepAliveConnections: { attribute: 'keep_alive_connections', kind: 'value' },
  httpHostHeader: { attribute: 'http_host_header', kind: 'value' },
  originServerName: { attribute: 'origin_server_name', kind: 'value' },
  // The provider's own (generated) spelling of matchSNItoHost.
  matchSNItoHost: { attribute: 'match_sn_ito_host', kind: 'value' },
  caPool: { attribute: 'ca_pool', kind: 'value' },
  noTLSVerify: { attribute: 'no_tls_verify', kind: 'value' },
  disableChunkedEncoding: { attribute: 'disable_chunked_encoding', kind: 'value' },
  http2Origin: { attribute: 'http2_origin', kind: 'value' },
  proxyType: { attribute: 'proxy_type', kind: 'value' },
  access: { attribute: 'access', kind: 'access' },
  bastionMode: { unsupported: true },
  proxyAddress: { unsupported: true },
  proxyPort: { unsupported: true },
  ipRules: { unsupported: true },
};

const UNIT_NANOSECONDS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go duration ("1m30s") in seconds; undefined when it is not a whole number of seconds. */
export function wholeSeconds(duration: string): number | undefined {
  let nanoseconds = 0;
  for (const [, amount, unit] of duration.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) {
    nanoseconds += Number(amount) * (UNIT_NANOSECONDS[unit ?? 's'] ?? 0);
  }
  const seconds = Math.round(nanoseconds / 1e6) / 1e3;
  return Number.isInteger(seconds) ? seconds : undefined;
}
