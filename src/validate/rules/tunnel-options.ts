/**
 * What `cloudflared tunnel run` refuses at startup although `ingress validate` (and the schema) accept it, checked
 * against cloudflared's own startup path (cmd/cloudflared/tunnel/configuration.go prepareTunnelConfig,
 * ingress/ingress.go, ipaccess, metrics; releases 2025.5 to 2026.8):
 *
 * - post-quantum with protocol http2: "post-quantum is only supported with the quic transport" before 2026.5.0
 *   (TUN-10413 made HTTP/2 post-quantum too); before that release post-quantum also forces QUIC (warned);
 * - grace-period over 3m ("grace-period must be equal or less than 3m0s");
 * - edge-bind-address that is not an IP address ("invalid value for edge-bind-address");
 * - region with credentials or a token that carry an Endpoint ("region provided with a token that has an endpoint");
 * - a metrics address that cannot be listened on (bad IPv4, port 0 or over 65535);
 * - an ipRules prefix that is not a CIDR ("unable to parse cidr").
 *
 * And what works but should not go unnoticed: an IPv4 edge-bind-address with edge-ip-version "6" (cloudflared
 * overrides the IP version), and a metrics server on a non-loopback address (it serves /metrics, /debug/pprof and
 * /config to the network).
 */
import { isIP, isIPv4 } from 'node:net';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { quote } from '../../diagnostics/diagnostic.js';
import type { ManifestPath, SourceMap } from '../../load/source-map.js';
import type { EffectiveSettings } from '../../model/merge.js';
import { decodeTunnelToken, parseCredentials } from '../tunnel-secrets.js';
import { asReference, describeHosts, forHost, frameIngressLists, ownIngressList, tunnelMode, type FleetRule, type HostContext, type HostRule, type WrittenIngress } from './context.js';
import { HostsByPlace } from './hosts-by-place.js';

/** The first release in which post-quantum works over HTTP/2 and no longer forces QUIC (TUN-10413). */
export const POST_QUANTUM_HTTP2_SINCE = '2026.5.0';
/** connection.MaxGracePeriod. */
const MAX_GRACE_PERIOD_SECONDS = 180;
const LOOPBACK_METRICS = /^(localhost|127\.[0-9.]+|\[::1\]):[0-9]+$/;

const OPTIONS = ['tunnel', 'options'] as const;
const optionPath = (host: EffectiveSettings, key: string): ManifestPath => host.originOf([...OPTIONS, key]);

/** Numeric comparison of cloudflared release numbers ("2026.5.0"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether the host's pinned release makes post-quantum work over HTTP/2; false when nothing is pinned. */
function hasPostQuantumHttp2(host: EffectiveSettings): boolean {
  const version = host.settings.cloudflared?.version;
  return version !== undefined && compareVersions(version, POST_QUANTUM_HTTP2_SINCE) >= 0;
}

export const checkPostQuantum: FleetRule = ({ hosts, source }) => {
  const refused = new HostsByPlace();
  const quicOnly = new HostsByPlace();
  for (const host of hosts) {
    const options = host.settings.tunnel?.options ?? {};
    if (options['post-quantum'] !== true || hasPostQuantumHttp2(host)) continue;
    if (options.protocol === 'http2') refused.add(optionPath(host, 'post-quantum'), '', host.host.name);
    else quicOnly.add(optionPath(host, 'post-quantum'), '', host.host.name);
  }
  return [
    ...refused.entries().map(({ path, hosts: names }) =>
      source.error(
        'tunnel.post-quantum-http2',
        path,
        `post-quantum with protocol: http2 makes \`cloudflared tunnel run\` exit at once ("post-quantum is only supported with the quic transport") on releases before ${POST_QUANTUM_HTTP2_SINCE} (${describeHosts(names)})`,
        `remove protocol: http2 (post-quantum uses QUIC), remove post-quantum, or pin cloudflared.version ${POST_QUANTUM_HTTP2_SINCE} or later`,
        'key',
      ),
    ),
    ...quicOnly.entries().map(({ path, hosts: names }) =>
      source.warning(
        'tunnel.post-quantum-quic-only',
        path,
        `post-quantum forces QUIC on releases before ${POST_QUANTUM_HTTP2_SINCE}: where UDP 7844 is blocked there is no fallback to HTTP/2 and the tunnel stays down (${describeHosts(names)})`,
        `make sure the hosts reach Cloudflare over UDP 7844, or pin cloudflared.version ${POST_QUANTUM_HTTP2_SINCE} or later, where post-quantum works over HTTP/2 too`,
        'key',
      ),
    ),
  ];
};

/** Seconds in a Go duration the schema accepted ("1m30s", "1.5h", "500ms"). */
export function goDurationSeconds(text: string): number {
  const unit: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const [, amount, suffix] of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(amount) * (unit[suffix ?? 's'] ?? 0);
  return total;
}

export const checkTunnelOptionValues: HostRule = ({ source }, host) => {
  const options = host.settings.tunnel?.options ?? {};
  const out: Diagnostic[] = [];
  const grace = options['grace-period'];
  if (grace !== undefined && goDurationSeconds(grace) > MAX_GRACE_PERIOD_SECONDS) {
    out.push(
      source.error(
        'tunnel.grace-period',
        optionPath(host, 'grace-period'),
        `grace-period ${quote(grace)} is over 3m: \`cloudflared tunnel run\` refuses it ("grace-period must be equal or less than 3m0s")`,
        'write a duration of at most "3m"',
      ),
    );
  }
  const bind = options['edge-bind-address'];
  if (bind !== undefined) {
    if (isIP(bind) === 0) {
      out.push(
        source.error(
          'tunnel.edge-bind-address',
          optionPath(host, 'edge-bind-address'),
          `edge-bind-address ${quote(bind)} is not an IP address: \`cloudflared tunnel run\` refuses it`,
          'write an IPv4 or IPv6 address the host has, e.g. "192.0.2.10"',
        ),
      );
    } else if ((options['edge-ip-version'] === '6' && isIPv4(bind)) || (options['edge-ip-version'] === '4' && !isIPv4(bind))) {
      out.push(
        source.warning(
          'tunnel.edge-bind-address-ip-version',
          optionPath(host, 'edge-bind-address'),
          `edge-bind-address ${quote(bind)} is IPv${isIPv4(bind) ? 4 : 6} but edge-ip-version is "${options['edge-ip-version']}": cloudflared overrides edge-ip-version to match the address`,
          'make them agree: remove edge-ip-version, or bind to an address of that IP version',
        ),
      );
    }
  }
  return out;
};

/** region and an Endpoint in the credentials or token are two answers to one question: cloudflared refuses both. */
export const checkRegionWithEndpoint: HostRule = (fleet, host) => {
  if (host.settings.tunnel?.options?.region === undefined) return [];
  const endpoint = tunnelEndpoint(fleet, host);
  if (endpoint === undefined) return [];
  const path = optionPath(host, 'region');
  const carrier = tunnelMode(host) === 'token' ? 'token carries' : 'credentials carry';
  return [
    fleet.source.error(
      'tunnel.region-with-endpoint',
      path,
      `region is set, and the tunnel's ${carrier} an endpoint (${quote(endpoint)}): \`cloudflared tunnel run\` refuses both ("region provided with a token that has an endpoint")${forHost(host, path)}`,
      'remove region for this host: the endpoint already decides where it connects',
      'key',
    ),
  ];
};

/** The Endpoint of a named tunnel's credentials or a token's "e"; undefined when there is none or it is unreadable. */
function tunnelEndpoint(fleet: HostContext, host: EffectiveSettings): string | undefined {
  const tunnel = host.settings.tunnel ?? {};
  const mode = tunnelMode(host);
  const ref = mode === 'named' ? tunnel.credentials : mode === 'token' ? tunnel.token : undefined;
  if (!ref) return undefined;
  const read = fleet.secrets.read(asReference(ref));
  if (!read.ok) return undefined;
  const identity = mode === 'named' ? parseCredentials(read.value) : decodeTunnelToken(read.value);
  return identity.ok && identity.endpoint ? identity.endpoint : undefined;
}

export const checkMetricsAddress: FleetRule = ({ hosts, source }) => {
  const exposed = new HostsByPlace();
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const host of hosts) {
    const metrics = host.settings.metrics;
    if (metrics === undefined) continue;
    const path = host.originOf(['metrics']);
    const colon = metrics.lastIndexOf(':');
    const address = metrics.slice(0, colon);
    const port = Number(metrics.slice(colon + 1));
    const problem =
      port < 1 || port > 65535
        ? `has port ${port}; cloudflared needs a port from 1 to 65535 to serve /ready`
        : /^[0-9.]+$/.test(address) && !isIPv4(address)
          ? `has an invalid IPv4 address ${quote(address)}`
          : undefined;
    if (problem) {
      const key = JSON.stringify(path);
      if (!seen.has(key)) {
        seen.add(key);
        out.push(source.error('metrics.address', path, `metrics ${quote(metrics)} ${problem}: \`cloudflared tunnel run\` cannot listen there`, 'write host:port, e.g. "127.0.0.1:20241"'));
      }
    } else if (!LOOPBACK_METRICS.test(metrics)) {
      exposed.add(path, '', host.host.name);
    }
  }
  for (const { path, hosts: names } of exposed.entries()) {
    out.push(
      source.warning(
        'metrics.exposed',
        path,
        `the metrics server listens beyond loopback (${describeHosts(names)}): anyone who reaches it reads /metrics, /debug/pprof and /config (the tunnel's configuration)`,
        'keep it on 127.0.0.1 (the default) and scrape it locally, or firewall the port',
      ),
    );
  }
  return out;
};

/** ipRules of originRequest (socks-proxy): cloudflared parses every prefix as a CIDR when it loads the ingress. */
type IpRulePlaces = { path: ManifestPath; rules: readonly { prefix: string }[] }[];

/** ipRules written in defaults and groups, and in the rules of their ingress lists. */
export const checkFrameIpRules: FleetRule = ({ manifest, source }) => {
  const places: IpRulePlaces = [];
  addIpRules(places, ['defaults', 'originRequest', 'ipRules'], manifest.defaults?.originRequest?.ipRules);
  for (const [name, group] of Object.entries(manifest.groups ?? {})) addIpRules(places, ['groups', name, 'originRequest', 'ipRules'], group.originRequest?.ipRules);
  for (const list of frameIngressLists(manifest)) addIngressIpRules(places, list);
  return checkIpRulePlaces(places, source);
};

/** ipRules written in a host's own entry, and in the rules of its own ingress list. */
export const checkOwnIpRules: HostRule = ({ source }, host) => {
  const places: IpRulePlaces = [];
  addIpRules(places, [...host.hostPath, 'originRequest', 'ipRules'], host.host.originRequest?.ipRules);
  const list = ownIngressList(host);
  if (list) addIngressIpRules(places, list);
  return checkIpRulePlaces(places, source);
};

function addIpRules(places: IpRulePlaces, path: ManifestPath, rules: readonly { prefix: string }[] | undefined): void {
  if (rules) places.push({ path, rules });
}

function addIngressIpRules(places: IpRulePlaces, list: WrittenIngress): void {
  list.rules.forEach((rule, j) => addIpRules(places, [...list.path, j, 'originRequest', 'ipRules'], rule.originRequest?.ipRules));
}

function checkIpRulePlaces(places: IpRulePlaces, source: SourceMap): Diagnostic[] {
  return places.flatMap(({ path, rules }) =>
    rules.flatMap((rule, k) =>
      isCidr(rule.prefix)
        ? []
        : [
            source.error(
              'origin-request.ip-rule-prefix',
              [...path, k, 'prefix'],
              `${quote(rule.prefix)} is not a CIDR prefix: cloudflared refuses the ingress ("unable to parse cidr")`,
              'write an address and a prefix length, e.g. "10.0.0.0/8" or "2001:db8::/32"',
            ),
          ],
    ),
  );
}

/** Go's net.ParseCIDR: an IPv4 or IPv6 address, "/", a prefix length that fits it. */
export function isCidr(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return false;
  const address = text.slice(0, slash);
  const bits = text.slice(slash + 1);
  const family = isIP(address);
  if (family === 0 || !/^[0-9]{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}
