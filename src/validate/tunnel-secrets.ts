/**
 * The two per-tunnel secrets, checked in the formats cloudflared decodes (FACTS.md, "Secret formats"). Messages
 * describe the shape that is wrong and never quote the content: a parse error from JSON.parse would echo the
 * secret, so it is never passed on.
 */
import { isSecretShaped } from '../diagnostics/diagnostic.js';

export type TunnelIdentity =
  | { ok: true; accountTag: string; tunnelId: string; /** Not secret: a region or "fed". */ endpoint?: string }
  | { ok: false; message: string };

/** Canonical textual UUID, as cloudflared writes tunnel IDs (case is checked by the caller where it matters). */
export const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Go's base64.StdEncoding, which is what encoding/json uses for []byte and what cloudflared uses for tokens:
 * alphabet A-Z a-z 0-9 + /, padded with "=" to a multiple of 4. (Go skips \r and \n; nothing here contains them.)
 */
export function isStandardBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text);
}

/** Why a string is not standard base64, for messages; undefined when it is. */
export function base64Problem(text: string): string | undefined {
  if (isStandardBase64(text)) return undefined;
  if (/[-_]/.test(text) && /^[A-Za-z0-9_=-]*$/.test(text)) return 'is URL-safe base64 ("-" and "_"); cloudflared expects standard base64 ("+" and "/")';
  if (/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return 'is base64 with missing or extra "=" padding';
  return 'is not base64';
}

/** Parses a JSON object without ever exposing the text in an error. */
function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** "(a non-empty string)" or "(non-empty strings)", after a list of missing keys. */
export function stringsNeeded(keys: readonly string[]): string {
  return keys.length === 1 ? '(a non-empty string)' : '(non-empty strings)';
}

/**
 * Tunnel credentials JSON as written by `cloudflared tunnel create`: AccountTag, TunnelSecret (base64 of the
 * secret bytes), TunnelID (UUID), optional Endpoint. Other keys are ignored, as cloudflared does.
 */
export function parseCredentials(json: string): TunnelIdentity {
  const doc = parseJsonObject(json);
  if (!doc) return { ok: false, message: 'is not a JSON object; tunnel credentials are {"AccountTag", "TunnelSecret", "TunnelID"}' };
  const missing = ['AccountTag', 'TunnelSecret', 'TunnelID'].filter((key) => !nonEmptyString(doc[key]));
  if (missing.length > 0) return { ok: false, message: `has no ${missing.join(', ')} ${stringsNeeded(missing)}` };
  const secretProblem = base64Problem(doc['TunnelSecret'] as string);
  if (secretProblem) return { ok: false, message: `has a TunnelSecret that ${secretProblem}` };
  const tunnelId = doc['TunnelID'] as string;
  if (!UUID.test(tunnelId)) {
    const shown = isSecretShaped(tunnelId) ? '' : ` (${JSON.stringify(tunnelId.slice(0, 40))})`;
    return { ok: false, message: `has a TunnelID that is not a UUID${shown}` };
  }
  if (doc['Endpoint'] !== undefined && typeof doc['Endpoint'] !== 'string') return { ok: false, message: 'has an Endpoint that is not a string' };
  return { ok: true, accountTag: doc['AccountTag'] as string, tunnelId, ...(doc['Endpoint'] ? { endpoint: doc['Endpoint'] as string } : {}) };
}

/**
 * A remotely managed tunnel's token: standard base64 of {"a": account, "t": tunnel UUID, "s": base64 secret,
 * "e": optional endpoint}. Surrounding whitespace is ignored (a token file usually ends with a newline; cloudflared
 * trims --token-file too), so the normalizer must write the trimmed token.
 */
export function decodeTunnelToken(token: string): TunnelIdentity {
  const text = token.trim();
  const encodingProblem = base64Problem(text);
  if (encodingProblem) return { ok: false, message: encodingProblem };
  const doc = parseJsonObject(Buffer.from(text, 'base64').toString('utf8'));
  if (!doc) return { ok: false, message: 'does not decode to a JSON object ({"a", "t", "s"})' };
  const missing = ['a', 't', 's'].filter((key) => !nonEmptyString(doc[key]));
  if (missing.length > 0) return { ok: false, message: `decodes to JSON without ${missing.map((k) => JSON.stringify(k)).join(', ')} ${stringsNeeded(missing)}` };
  const tunnelId = doc['t'] as string;
  if (!UUID.test(tunnelId)) return { ok: false, message: 'holds a tunnel ID ("t") that is not a UUID' };
  const secretProblem = base64Problem(doc['s'] as string);
  if (secretProblem) return { ok: false, message: `holds a secret ("s") that ${secretProblem}` };
  if (doc['e'] !== undefined && typeof doc['e'] !== 'string') return { ok: false, message: 'holds an endpoint ("e") that is not a string' };
  return { ok: true, accountTag: doc['a'] as string, tunnelId, ...(doc['e'] ? { endpoint: doc['e'] as string } : {}) };
}
