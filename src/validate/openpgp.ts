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
