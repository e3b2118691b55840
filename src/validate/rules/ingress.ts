/**
 * Rules over each ingress list as written (defaults, a group, a host). Lists replace rather than merge, so a list
 * is checked once where it is written, however many hosts inherit it.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { quote } from '../../diagnostics/diagnostic.js';
import type { ManifestPath, SourceMap } from '../../load/source-map.js';
import type { IngressRule } from '../../manifest/types.generated.js';
import { checkGoRegexp } from '../go-regexp.js';
import { CATCH_ALL_HOSTNAME, checkHostname } from '../hostname.js';
import { isCatchAllRule } from '../ingress.js';
import { parseService, type ServiceKind } from '../service.js';
import { frameIngressLists, lineOf, ownIngressList, type FleetRule, type HostRule, type WrittenIngress } from './context.js';

/** The lists written in defaults and groups. */
export const checkFrameIngressLists: FleetRule = ({ manifest, source, zone }) => frameIngressLists(manifest).flatMap((list) => checkList(list, zone, source));

/** The list written in a host's own entry. */
export const checkOwnIngressList: HostRule = ({ source, zone }, host) => {
  const list = ownIngressList(host);
  return list ? checkList(list, zone, source) : [];
};

function checkList(list: WrittenIngress, zone: string | undefined, source: SourceMap): Diagnostic[] {
  return [...list.rules.flatMap((rule, j) => checkRule(list, rule, j, zone, source)), ...checkRepeatedRules(list, source), ...checkSshAndHttpApart(list, source)];
}

function checkRule(list: WrittenIngress, rule: IngressRule, index: number, zone: string | undefined, source: SourceMap): Diagnostic[] {
  const at: ManifestPath = [...list.path, index];
  const out: Diagnostic[] = [];
  if (rule.hostname !== undefined && rule.hostname !== CATCH_ALL_HOSTNAME) {
    const hostname = checkHostname(rule.hostname, zone);
    if (!hostname.ok) out.push(source.error(hostname.code, [...at, 'hostname'], hostname.message, hostname.hint));
  }
  const service = parseService(rule.service);
  if (!service.ok) out.push(source.error(service.code, [...at, 'service'], service.message, service.hint));
  if (rule.path !== undefined) {
    const regexp = checkGoRegexp(rule.path);
    if (!regexp.ok) {
      out.push(source.error('ingress.path-regexp', [...at, 'path'], `path ${quote(rule.path)} is not a Go (RE2) regular expression: ${regexp.message}`, regexp.hint));
    }
  }
  if (isCatchAllRule(rule)) {
    const isLast = index === list.rules.length - 1;
    const why = rule.hostname === CATCH_ALL_HOSTNAME ? 'hostname "*"' : `no hostname or path, service ${quote(rule.service)}`;
    if (!isLast) {
      out.push(
        source.error(
          'ingress.catch-all-not-last',
          rule.hostname === CATCH_ALL_HOSTNAME ? [...at, 'hostname'] : at,
          `only the last rule may match everything; this rule (${why}) would hide the rules after it`,
          'move it to the end of the list, or give it a hostname',
        ),
      );
    }
    if (rule.path !== undefined) {
      out.push(
        source.error(
          'ingress.catch-all-path',
          [...at, 'path'],
          'the catch-all rule (hostname "*") cannot have a path: it must match every request',
          'drop path, or give the rule a real hostname',
        ),
      );
    }
  }
  return out;
}

/** The same hostname and path twice: cloudflared uses the first and never reaches the second. */
function checkRepeatedRules(list: WrittenIngress, source: SourceMap): Diagnostic[] {
  const seen = new Map<string, number>();
  const out: Diagnostic[] = [];
  list.rules.forEach((rule, j) => {
    if (rule.hostname === undefined || rule.hostname === CATCH_ALL_HOSTNAME) return;
    const key = `${rule.hostname}\u0000${rule.path ?? ''}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, j);
      return;
    }
    const what = rule.path === undefined ? quote(rule.hostname) : `${quote(rule.hostname)} with path ${quote(rule.path)}`;
    out.push(
      source.error(
        'ingress.duplicate-rule',
        [...list.path, j, 'hostname'],
        `${what} is already routed by the rule at line ${lineOf(source, [...list.path, first])}; cloudflared never reaches this one`,
        'remove one of the two rules, or give them different paths',
      ),
    );
  });
  return out;
}

type Protocol = 'SSH' | 'HTTP';
const PROTOCOL: Partial<Record<ServiceKind, Protocol>> = { ssh: 'SSH', http: 'HTTP' };

/** One exact hostname serving SSH and HTTP would route browsers into SSH. Wildcards do not count. */
function checkSshAndHttpApart(list: WrittenIngress, source: SourceMap): Diagnostic[] {
  const served = new Map<string, { protocol: Protocol; index: number }>();
  const out: Diagnostic[] = [];
  list.rules.forEach((rule, j) => {
    if (rule.hostname === undefined || rule.hostname === CATCH_ALL_HOSTNAME) return;
    const service = parseService(rule.service);
    const protocol = service.ok ? PROTOCOL[service.kind] : undefined;
    if (!protocol) return;
    const before = served.get(rule.hostname);
    if (!before) {
      served.set(rule.hostname, { protocol, index: j });
    } else if (before.protocol !== protocol) {
      out.push(
        source.error(
          'ingress.ssh-and-http',
          [...list.path, j, 'service'],
          `hostname ${quote(rule.hostname)} already serves ${before.protocol} (rule at line ${lineOf(source, [...list.path, before.index])}); it cannot also serve ${protocol}`,
          'use separate hostnames for SSH and HTTP: a browser would otherwise be routed into SSH',
        ),
      );
    }
  });
  return out;
}
