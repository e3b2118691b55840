/**
 * The origin certificate `cert.pem` from `cloudflared tunnel login`, checked the way cloudflared's
 * decodeOriginCert reads it: PEM blocks, where PRIVATE KEY and CERTIFICATE are tolerated (older certificates
 * carry them), exactly one ARGO TUNNEL TOKEN block holds JSON {zoneID, accountID, apiToken, endpoint}, and any
 * other block type is refused. Messages name block types and keys, never their content.
 */
import { isStandardBase64, stringsNeeded } from './tunnel-secrets.js';

export type OriginCertCheck = { ok: true; zoneId: string; accountId: string } | { ok: false; message: string };

export interface PemBlock {
  type: string;
  /** Decoded body bytes. */
  bytes: Buffer;
}

const TOKEN_BLOCK = 'ARGO TUNNEL TOKEN';
const TOLERATED_BLOCKS = ['PRIVATE KEY', 'CERTIFICATE'];

/** Splits PEM text into blocks. Text between blocks is ignored, as Go's pem.Decode does. */
export function parsePem(text: string): { ok: true; blocks: PemBlock[] } | { ok: false; message: string } {
  const lines = text.split(/\r?\n/);
  const blocks: PemBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = /^-----BEGIN ([^-]+(?:-[^-]+)*)-----\s*$/.exec(lines[i] ?? '');
    if (!begin) continue;
    const type = begin[1] ?? '';
    const end = lines.findIndex((line, j) => j > i && line.startsWith('-----END '));
    if (end < 0 || lines[end]?.trim() !== `-----END ${type}-----`) {
      return { ok: false, message: `has a ${type} block without its "-----END ${type}-----" line` };
    }
    // PEM headers ("Proc-Type: …") precede the body after a blank line; cloudflared's blocks have none.
    const encoded = lines.slice(i + 1, end).filter((line) => !/^[A-Za-z-]+:/.test(line)).join('').replace(/\s+/g, '');
    if (!isStandardBase64(encoded)) return { ok: false, message: `has a ${type} block whose body is not base64` };
    blocks.push({ type, bytes: Buffer.from(encoded, 'base64') });
    i = end;
  }
  return { ok: true, blocks };
}

export function parseOriginCert(text: string): OriginCertCheck {
  const pem = parsePem(text);
  if (!pem.ok) return pem;
  if (pem.blocks.length === 0) return { ok: false, message: 'holds no PEM blocks (expected "-----BEGIN ARGO TUNNEL TOKEN-----")' };
  const unknown = pem.blocks.find((b) => b.type !== TOKEN_BLOCK && !TOLERATED_BLOCKS.includes(b.type));
  if (unknown) return { ok: false, message: `has a PEM block of type ${unknown.type}; cloudflared accepts only ${TOKEN_BLOCK}, PRIVATE KEY and CERTIFICATE blocks` };
  const tokens = pem.blocks.filter((b) => b.type === TOKEN_BLOCK);
  if (tokens.length !== 1) {
    return { ok: false, message: tokens.length === 0 ? `has no ${TOKEN_BLOCK} block` : `has ${tokens.length} ${TOKEN_BLOCK} blocks; cloudflared accepts exactly one` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(tokens[0]?.bytes.toString('utf8') ?? '');
  } catch {
    doc = undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ok: false, message: `has an ${TOKEN_BLOCK} block that is not JSON ({"zoneID", "accountID", "apiToken"})` };
  const fields = doc as Record<string, unknown>;
  // cloudflared itself requires zoneID and apiToken; `tunnel create`, which a self-registering host runs, also
  // needs the account, so accountID is required here too.
  const missing = ['zoneID', 'accountID', 'apiToken'].filter((key) => typeof fields[key] !== 'string' || fields[key] === '');
  if (missing.length > 0) return { ok: false, message: `has an ${TOKEN_BLOCK} block without ${missing.join(', ')} ${stringsNeeded(missing)}` };
  return { ok: true, zoneId: fields['zoneID'] as string, accountId: fields['accountID'] as string };
}
