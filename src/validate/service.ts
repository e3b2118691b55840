/**
 * The `service` of an ingress rule, parsed the way cloudflared reads it (ingress/ingress.go), but stricter where
 * cloudflared is silently lenient: it accepts any URL scheme (`sshh://` passes its validator and fails only when a
 * client connects), so fleetgen accepts only the schemes cloudflared actually proxies.
 */
import { quote } from '../diagnostics/diagnostic.js';
import { closest } from './closest.js';

/** Same union as the model's ServiceKind; declared here because validation comes before the model. */
export type ServiceKind = 'http' | 'tcp' | 'ssh' | 'unix' | 'status' | 'builtin';

export type ParsedService =
  | {
      ok: true;
      kind: ServiceKind;
      /** Lowercase URL scheme, `unix`/`unix+tls` for sockets; absent for http_status and the built-in services. */
      scheme?: string;
      /** URL host without brackets (IPv6) and without port. */
      host?: string;
      /** The port connections go to: the explicit one, else the scheme's default (tcp:// has none). */
      port?: number;
      /** http_status:NNN */
      status?: number;
      /** unix: / unix+tls: */
      socketPath?: string;
    }
  | { ok: false; code: string; message: string; hint?: string };

type Failure = Extract<ParsedService, { ok: false }>;

/** What cloudflared does with each scheme, and the port it assumes when none is written. */
const URL_SCHEMES: Readonly<Record<string, { kind: ServiceKind; defaultPort?: number }>> = {
  http: { kind: 'http', defaultPort: 80 },
  https: { kind: 'http', defaultPort: 443 },
  ws: { kind: 'http', defaultPort: 80 },
  wss: { kind: 'http', defaultPort: 443 },
  ssh: { kind: 'ssh', defaultPort: 22 },
  rdp: { kind: 'tcp', defaultPort: 3389 },
  smb: { kind: 'tcp', defaultPort: 445 },
  // cloudflared fills in an arbitrary port (7864) for tcp:// without one, which is never what was meant.
  tcp: { kind: 'tcp' },
};
export const KNOWN_SCHEMES = Object.keys(URL_SCHEMES);

const BUILTIN_SERVICES = ['hello_world', 'bastion', 'socks-proxy'] as const;
const STATUS_PREFIX = 'http_status:';
const SOCKET_PREFIXES = ['unix+tls:', 'unix:'] as const;

/** Scheme to suggest for a bare `host:port`: the service usually behind that port. */
const SCHEME_BY_PORT: Readonly<Record<number, string>> = { 22: 'ssh', 3389: 'rdp', 445: 'smb' };

const FORMS = 'a URL such as ssh://localhost:22 or http://localhost:8080, unix:/path, http_status:404, hello_world, bastion or socks-proxy';

/**
 * What each service string parsed to: a fleet writes the same few services on every host (ssh://localhost:22), and
 * validation and normalization parse each several times. Frozen, as every caller shares them.
 */
const parsedServices = new Map<string, ParsedService>();

export function parseService(service: string): ParsedService {
  let parsed = parsedServices.get(service);
  if (parsed === undefined) {
    parsed = Object.freeze(parseServiceText(service));
    parsedServices.set(service, parsed);
  }
  return parsed;
}

function parseServiceText(service: string): ParsedService {
  if (/[\s\p{Cc}]/u.test(service)) {
    return fail('ingress.service-invalid', `${quote(service)} contains spaces or control characters`, `write the service without them: ${FORMS}`);
  }
  if ((BUILTIN_SERVICES as readonly string[]).includes(service)) return { ok: true, kind: 'builtin' };
  if (service.startsWith(STATUS_PREFIX)) return parseStatus(service);
  for (const prefix of SOCKET_PREFIXES) {
    if (service.startsWith(prefix)) return parseSocket(service, prefix);
  }
  const url = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(service);
  if (url) return parseUrl(service, url[1] ?? '', url[2] ?? '');
  return explainNotAUrl(service);
}

function fail(code: string, message: string, hint?: string): Failure {
  return { ok: false, code, message, ...(hint ? { hint } : {}) };
}

function parseStatus(service: string): ParsedService {
  const digits = service.slice(STATUS_PREFIX.length);
  const status = /^[0-9]{3}$/.test(digits) ? Number(digits) : NaN;
  if (!(status >= 100 && status <= 999)) {
    return fail('ingress.service-status', `${quote(service)} is not an HTTP status: cloudflared takes http_status: followed by a code from 100 to 999`, 'write e.g. "http_status:404"');
  }
  return { ok: true, kind: 'status', status };
}

function parseSocket(service: string, prefix: string): ParsedService {
  const socketPath = service.slice(prefix.length);
  if (!socketPath.startsWith('/')) {
    return fail('ingress.service-unix', `${quote(service)} does not name an absolute socket path`, `write ${quote(`${prefix}/run/app.sock`)} with the socket's absolute path`);
  }
  return { ok: true, kind: 'unix', scheme: prefix.slice(0, -1), socketPath };
}

function parseUrl(service: string, rawScheme: string, rest: string): ParsedService {
  const scheme = rawScheme.toLowerCase();
  const known = URL_SCHEMES[scheme];
  if (!known) {
    const guess = closest(scheme, KNOWN_SCHEMES);
    return fail(
      'ingress.service-scheme',
      `unknown scheme ${quote(rawScheme)} in ${quote(service)}`,
      guess ? `did you mean ${quote(`${guess}://${rest}`)}? (known schemes: ${KNOWN_SCHEMES.join(', ')})` : `use one of ${KNOWN_SCHEMES.join(', ')}`,
    );
  }
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const tail = end < 0 ? '' : rest.slice(end);
  const bare = `${rawScheme}://${authority}`;
  if (authority.includes('@')) {
    return fail('ingress.service-url', `${quote(service)} holds a user name (user@host)`, `drop it: write ${quote(`${rawScheme}://${authority.slice(authority.lastIndexOf('@') + 1)}`)}`);
  }
  if (tail.startsWith('/')) {
    // cloudflared rejects any path, even "/": it forwards the request's own path and cannot rewrite it.
    return fail('ingress.service-path', `${quote(service)} has a path; cloudflared forwards each request's own path and cannot add one`, `drop the path: write ${quote(bare)}`);
  }
  if (tail !== '') {
    const part = tail.startsWith('?') ? 'a query' : 'a fragment';
    return fail('ingress.service-url', `${quote(service)} has ${part}, which cloudflared does not use`, `drop it: write ${quote(bare)}`);
  }
  const hostPort = splitHostPort(authority);
  if (!hostPort.ok) return fail('ingress.service-host', `${quote(service)} ${hostPort.message}`, hostPort.hint);
  const { host, port } = hostPort;
  if (port !== undefined && (port < 1 || port > 65535)) {
    return fail('ingress.service-port', `${quote(service)} has port ${port}; a port is 1 to 65535`, 'fix the port');
  }
  const effectivePort = port ?? known.defaultPort;
  if (effectivePort === undefined) {
    return fail('ingress.service-port', `${quote(service)} has no port, and tcp:// has no default one`, `add the port, e.g. ${quote(`${bare}:5432`)}`);
  }
  return { ok: true, kind: known.kind, scheme, host, port: effectivePort };
}

function splitHostPort(authority: string): { ok: true; host: string; port?: number } | { ok: false; message: string; hint: string } {
  if (authority === '') return { ok: false, message: 'has no host', hint: 'name the origin host, e.g. localhost' };
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(authority);
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
    if (!/^[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?$/.test(host) || !host.includes(':')) {
      return { ok: false, message: `has an invalid IPv6 address [${host}]`, hint: 'write an IPv6 address in brackets, e.g. [::1]' };
    }
  } else {
    const colon = authority.lastIndexOf(':');
    host = colon < 0 ? authority : authority.slice(0, colon);
    portText = colon < 0 ? undefined : authority.slice(colon + 1);
    if (host.includes(':')) return { ok: false, message: 'has an IPv6 address without brackets', hint: 'write it in brackets, e.g. [::1]:22' };
    if (!/^[A-Za-z0-9._-]+$/.test(host)) return { ok: false, message: `has an invalid host ${quote(host)}`, hint: 'write a host name or IP address, e.g. localhost or 127.0.0.1' };
  }
  if (portText === undefined) return { ok: true, host };
  if (!/^[0-9]{1,5}$/.test(portText)) {
    return { ok: false, message: portText === '' ? 'has an empty port' : `has an invalid port ${quote(portText)}`, hint: 'write the port as a number from 1 to 65535, or leave out the ":"' };
  }
  return { ok: true, host, port: Number(portText) };
}

/** Something without "scheme://": a bare host[:port] (the classic mistake), a near-miss built-in, or nonsense. */
function explainNotAUrl(service: string): ParsedService {
  const hostPort = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?$/.exec(service);
  if (hostPort) {
    const builtin = hostPort[2] === undefined ? closest(service, BUILTIN_SERVICES) : undefined;
    if (builtin) return fail('ingress.service-unknown', `${quote(service)} is not a service cloudflared knows`, `did you mean ${quote(builtin)}?`);
    const port = hostPort[2] === undefined ? undefined : Number(hostPort[2]);
    const scheme = (port !== undefined ? SCHEME_BY_PORT[port] : undefined) ?? 'http';
    return fail('ingress.service-no-scheme', `${quote(service)} has no scheme`, `write ${quote(`${scheme}://${service}`)}`);
  }
  const missingSlashes = /^([A-Za-z][A-Za-z0-9+.-]*):(?!\/\/)(.+)$/.exec(service);
  const [, scheme = '', rest = ''] = missingSlashes ?? [];
  if (URL_SCHEMES[scheme.toLowerCase()]) {
    return fail('ingress.service-no-scheme', `${quote(service)} lacks "//" after the scheme`, `write ${quote(`${scheme}://${rest.replace(/^\/+/, '')}`)}`);
  }
  return fail('ingress.service-unknown', `${quote(service)} is not a service cloudflared understands`, `write ${FORMS}`);
}
