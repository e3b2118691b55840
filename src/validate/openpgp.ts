import { createHash } from 'node:crypto';
/**
 * Whether a file looks like an OpenPGP public key, as apt's signed-by and rpm --import need. A light check on
 * purpose (no packet parsing): it catches the real mistakes — a wrong path, an HTML error page saved as the key,
 * a private key exported by accident.
 */
export type OpenPgpKeyCheck = { ok: true; isArmored: boolean } | { ok: false; message: string; hint: string };

const ARMORED_PUBLIC = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
const ARMORED_PRIVATE = '-----BEGIN PGP PRIVATE KEY BLOCK-----';
/** Packet tags (RFC 9580 §5): 6 public key, 5 secret key. */
const PUBLIC_KEY_TAG = 6;
const SECRET_KEY_TAG = 5;

export function checkOpenPgpPublicKey(bytes: Buffer): OpenPgpKeyCheck {
  const head = bytes.subarray(0, 256).toString('latin1').trimStart();
  if (head.startsWith(ARMORED_PUBLIC)) return { ok: true, isArmored: true };
  const privateHint = 'export the public key instead (gpg --export --armor KEYID); never ship the private key to hosts';
  if (head.startsWith(ARMORED_PRIVATE)) return { ok: false, message: 'is an OpenPGP private key', hint: privateHint };
  const first = bytes[0] ?? 0;
  if ((first & 0x80) !== 0) {
    // New format: 11tttttt; old format: 10ttttll.
    const tag = (first & 0x40) !== 0 ? first & 0x3f : (first >> 2) & 0x0f;
    if (tag === PUBLIC_KEY_TAG) return { ok: true, isArmored: false };
    if (tag === SECRET_KEY_TAG) return { ok: false, message: 'is an OpenPGP private key', hint: privateHint };
  }
  return {
    ok: false,
    message: `is not an OpenPGP public key (neither "${ARMORED_PUBLIC}" nor a binary public-key packet)`,
    hint: 'reference the repository signing key, e.g. as exported with gpg --export --armor',
  };
}

export type FingerprintResult = { ok: true; fingerprints: string[] } | { ok: false; message: string };

/** The blocks' base64 bodies, decoded: between the blank line that ends the armor headers and the checksum line. */
function dearmor(text: string): Buffer {
  const parts: Buffer[] = [];
  let state: 'outside' | 'headers' | 'body' = 'outside';
  let body = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith(ARMORED_PUBLIC)) {
      state = 'headers';
      body = '';
    } else if (line.startsWith('-----END PGP PUBLIC KEY BLOCK-----') || (state === 'body' && line.startsWith('='))) {
      if (state === 'body') parts.push(Buffer.from(body, 'base64'));
      state = 'outside';
    } else if (state === 'headers') {
      if (line.trim() === '') state = 'body';
    } else if (state === 'body') {
      body += line.trim();
    }
  }
  return Buffer.concat(parts);
}

/**
 * The fingerprints (uppercase hex) of the primary keys in an OpenPGP public key file, armored or binary: v4 keys
 * SHA-1 over 0x99, a two-octet length and the key packet; v6 keys SHA-256 over 0x9B, a four-octet length and the
 * packet (RFC 9580 §5.5.4). Subkeys are not primary keys. generators/common/cloudflared-repository-key-check.sh
 * computes the same on hosts; a test holds the two to gpg's own output.
 */
export function primaryKeyFingerprints(bytes: Buffer): FingerprintResult {
  const head = bytes.subarray(0, 256).toString('latin1').trimStart();
  const packets = head.startsWith(ARMORED_PUBLIC) ? dearmor(bytes.toString('latin1')) : bytes;
  const fingerprints: string[] = [];
  let at = 0;
  while (at < packets.length) {
    const header = packets[at++] ?? 0;
    if ((header & 0x80) === 0) return { ok: false, message: 'is not a sequence of OpenPGP packets' };
    let tag: number;
    let length: number;
    if ((header & 0x40) !== 0) {
      tag = header & 0x3f;
      const first = packets[at++] ?? 0;
      if (first < 192) length = first;
      else if (first < 224) length = ((first - 192) << 8) + (packets[at++] ?? 0) + 192;
      else if (first === 255) {
        length = packets.readUInt32BE(at);
        at += 4;
      } else return { ok: false, message: 'uses partial packet lengths, which a key never does' };
    } else {
      tag = (header >> 2) & 0x0f;
      const lengthType = header & 0x03;
      if (lengthType === 3) return { ok: false, message: 'has a packet of indeterminate length' };
      const size = [1, 2, 4][lengthType] ?? 1;
      if (at + size > packets.length) return { ok: false, message: 'ends in the middle of a packet header' };
      length = packets.readUIntBE(at, size);
      at += size;
    }
    if (at + length > packets.length) return { ok: false, message: 'ends in the middle of a packet' };
    const body = packets.subarray(at, at + length);
    at += length;
    if (tag !== PUBLIC_KEY_TAG) continue;
    const version = body[0];
    const prefix =
      version === 4
        ? Buffer.from([0x99, (length >> 8) & 0xff, length & 0xff])
        : version === 6
          ? Buffer.from([0x9b, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff])
          : undefined;
    if (!prefix) return { ok: false, message: `holds a version ${version ?? '?'} key; fingerprints of v4 and v6 keys only can be checked` };
    fingerprints.push(createHash(version === 4 ? 'sha1' : 'sha256').update(prefix).update(body).digest('hex').toUpperCase());
  }
  if (fingerprints.length === 0) return { ok: false, message: 'holds no public key' };
  return { ok: true, fingerprints };
}

/** A fingerprint as people copy it ("FBA8 C0EE …", lowercase): 40 or 64 uppercase hex digits. */
export function normalizeFingerprint(text: string): string {
  return text.replace(/\s+/g, '').toUpperCase();
}
