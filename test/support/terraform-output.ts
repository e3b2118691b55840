/**
 * Fake `terraform output -json` files, byte for byte as Terraform prints them for the host modules fleetgen writes:
 * each output as {sensitive, type, value}, objects' attributes sorted, two-space indent, a final newline; the type
 * of an object is ["object", {attribute: type}]. The values are fake (tests and the bundled example only).
 */
import { createHash } from 'node:crypto';

export type HostOutputValues = Record<string, string>;

function sortedObject<T>(entries: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The text `terraform output -json` prints for a host module whose `hosts` output holds these hosts. */
export function terraformOutputJson(hosts: Record<string, HostOutputValues>): string {
  const value = sortedObject(Object.fromEntries(Object.entries(hosts).map(([host, values]) => [host, sortedObject(values)])));
  const type = ['object', sortedObject(Object.fromEntries(Object.entries(value).map(([host, values]) => [host, ['object', Object.fromEntries(Object.keys(values).map((k) => [k, 'string']))]])))];
  return `${JSON.stringify({ hosts: { sensitive: true, type, value } }, null, 2)}\n`;
}

/** Deterministic fake bytes from a label, so fixtures can be regenerated identically. */
function fakeBytes(label: string, length: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; out.length * 32 < length; i++) out.push(createHash('sha256').update(`${label}:${i}`).digest());
  return Buffer.concat(out).subarray(0, length);
}

export function fakeUuid(label: string): string {
  const hex = fakeBytes(`uuid:${label}`, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** What a host module outputs for one host, as the resources fleetgen declares would produce it. */
export function fakeHostOutputs(options: {
  host: string;
  accountId: string;
  tunnel?: 'named' | 'token';
  /** true: a fake CA key; a string: that public key line (the e2e suite's own CA, which can sign). */
  sshCa?: boolean | string;
  accessApplication?: boolean;
}): HostOutputValues {
  const { host, accountId } = options;
  const out: HostOutputValues = {};
  if (options.tunnel) {
    const id = fakeUuid(`tunnel:${host}`);
    const secret = fakeBytes(`secret:${host}`, 32).toString('base64');
    out.tunnel_id = id;
    out.account_tag = accountId;
    // jsonencode: compact, keys sorted.
    if (options.tunnel === 'named') out.tunnel_credentials = JSON.stringify({ AccountTag: accountId, TunnelID: id, TunnelSecret: secret });
    else out.tunnel_token = Buffer.from(JSON.stringify({ a: accountId, t: id, s: secret })).toString('base64');
  }
  if (options.accessApplication !== false) out.access_application_aud = fakeBytes(`aud:${host}`, 32).toString('hex');
  if (typeof options.sshCa === 'string') out.ssh_ca_public_key = options.sshCa;
  else if (options.sshCa) {
    // An ECDSA P-256 public key blob's shape: the key type and curve names, then 65 bytes of point (fake).
    const blob = Buffer.concat([
      lengthPrefixed(Buffer.from('ecdsa-sha2-nistp256')),
      lengthPrefixed(Buffer.from('nistp256')),
      lengthPrefixed(Buffer.concat([Buffer.from([4]), fakeBytes(`ca:${host}`, 64)])),
    ]);
    out.ssh_ca_public_key = `ecdsa-sha2-nistp256 ${blob.toString('base64')} open-ssh-ca@cloudflareaccess.org`;
  }
  return out;
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}
