/**
 * The public `hostname` of an ingress rule: a lowercase DNS name inside the fleet's zone, optionally with one
 * leading `*.` wildcard. cloudflared rejects a port and a misplaced `*`; fleetgen also rejects names outside the
 * zone because it routes DNS for them in that zone.
 */
import { quote } from '../diagnostics/diagnostic.js';

export type HostnameCheck = { ok: true; isWildcard: boolean } | { ok: false; code: string; message: string; hint: string };

/** hostname "*" marks the catch-all rule; it is not a public hostname. */
export const CATCH_ALL_HOSTNAME = '*';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** `zone` undefined: the zone itself is invalid (and reported); everything but the zone membership is checked. */
export function checkHostname(hostname: string, zone: string | undefined): HostnameCheck {
  const bad = (code: string, message: string, hint: string): HostnameCheck => ({ ok: false, code, message, hint });
  const shown = quote(hostname);
  if (hostname === '') return bad('ingress.hostname-invalid', 'hostname is empty', `leave hostname out to get a generated one, or write "${CATCH_ALL_HOSTNAME}" for the catch-all`);

  const url = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/]*)/.exec(hostname);
  if (url) return bad('ingress.hostname-invalid', `hostname ${shown} is a URL`, `write only the name: ${quote((url[1] ?? '').replace(/:[0-9]*$/, ''))}`);
  if (hostname.includes('/')) {
    const name = hostname.slice(0, hostname.indexOf('/'));
    return bad('ingress.hostname-invalid', `hostname ${shown} holds a path`, `write hostname: ${quote(name)} and put the path, as a regular expression, in path`);
  }
  const colon = hostname.lastIndexOf(':');
  if (colon >= 0 && /^[0-9]*$/.test(hostname.slice(colon + 1))) {
    return bad('ingress.hostname-port', `hostname ${shown} has a port; cloudflared matches hostnames without one`, `drop the port: write ${quote(hostname.slice(0, colon))}`);
  }
  if (hostname !== hostname.toLowerCase()) {
    return bad('ingress.hostname-case', `hostname ${shown} has uppercase letters`, `write it in lowercase: ${quote(hostname.toLowerCase())}`);
  }
  if (hostname.endsWith('.')) return bad('ingress.hostname-invalid', `hostname ${shown} ends with a dot`, `drop the final dot: write ${quote(hostname.replace(/\.+$/, ''))}`);

  const stars = hostname.split('*').length - 1;
  const isWildcard = hostname.startsWith('*.');
  if (stars > 1 || (stars === 1 && !isWildcard)) {
    return bad('ingress.hostname-wildcard', `hostname ${shown} has a "*" that is not a single leading "*."`, `a wildcard covers one level: write e.g. ${quote(`*.${zone ?? 'example.com'}`)}`);
  }
  const name = isWildcard ? hostname.slice(2) : hostname;
  if (name.length > 253) return bad('ingress.hostname-invalid', `hostname ${shown} is longer than 253 characters`, 'use a shorter name');
  const badLabel = name.split('.').find((label) => !LABEL.test(label));
  if (badLabel !== undefined) {
    return bad(
      'ingress.hostname-invalid',
      `hostname ${shown} is not a valid DNS name (label ${quote(badLabel)})`,
      'each dot-separated part is 1 to 63 lowercase letters, digits or hyphens, not starting or ending with a hyphen',
    );
  }
  if (zone !== undefined && name !== zone && !name.endsWith(`.${zone}`)) {
    return bad('ingress.hostname-outside-zone', `hostname ${shown} is outside the zone ${quote(zone)}`, `fleetgen routes DNS only in its zone: use a name ending in ${quote(`.${zone}`)}, or change zone`);
  }
  return { ok: true, isWildcard };
}
