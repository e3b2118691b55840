/**
 * Chef encrypted data bag items, format version 3 (what `knife data bag from file --secret-file` writes since
 * Chef 13): every value except `id` becomes
 * `{"encrypted_data", "iv", "auth_tag", "version": 3, "cipher": "aes-256-gcm"}`, encrypting the JSON
 * `{"json_wrapper": value}` with AES-256-GCM under SHA-256(secret) and empty additional data.
 *
 * The IV is not random: it is the first 12 bytes of HMAC-SHA256(secret, bag, item id, key, plaintext). Random
 * IVs would rewrite every encrypted item on every build, so a committed chef-repo would show changes (and
 * `fleetgen build --check` would fail) although no secret changed. Deriving the IV from the plaintext keeps
 * rebuilds byte-stable and still never uses one IV for two different plaintexts under the same key (that would
 * take an HMAC collision); what an observer learns is only that an unchanged value is unchanged.
 */
import { createCipheriv, createHash, createHmac } from 'node:crypto';

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const IV_LABEL = 'fleetgen chef data bag item iv v1';

/** The secret as Chef uses it: `Chef::EncryptedDataBagItem.load_secret` strips surrounding whitespace. */
export function chefSecretKey(secret: string): string {
  return secret.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r \0]+$/g, '');
}

const NODE_SECRET_LABEL = 'fleetgen chef node data bag secret v1';

/**
 * One node's own data bag secret, derived from the --chef-secret-file secret: base64 of HMAC-SHA256(that secret,
 * label ‖ host name). Each host's secrets item is encrypted with its host's secret, so a node holding its own can
 * decrypt its own item and no other one; the --chef-secret-file secret itself never leaves the operator, and cannot
 * be computed back from a node's. Derived rather than random so that rebuilds write the same bytes.
 */
export function nodeDataBagSecret(secret: string, host: string): string {
  return createHmac('sha256', chefSecretKey(secret)).update(`${NODE_SECRET_LABEL}\0${host}`).digest('base64');
}

export interface EncryptedValue {
  encrypted_data: string;
  iv: string;
  auth_tag: string;
  version: 3;
  cipher: typeof CIPHER;
}

/** Encrypts every value of `item` except `id`, as Chef's Version3Encryptor does. */
export function encryptDataBagItem(bag: string, item: { id: string } & Record<string, unknown>, secret: string): Record<string, unknown> {
  const key = chefSecretKey(secret);
  const encrypted: Record<string, unknown> = { id: item.id };
  for (const [name, value] of Object.entries(item)) {
    if (name === 'id') continue;
    encrypted[name] = encryptValue(value, key, [bag, item.id, name]);
  }
  return encrypted;
}

function encryptValue(value: unknown, secret: string, context: string[]): EncryptedValue {
  const plaintext = Buffer.from(JSON.stringify({ json_wrapper: value }), 'utf8');
  const hmac = createHmac('sha256', secret);
  for (const part of [IV_LABEL, ...context]) hmac.update(`${part}\0`);
  const iv = hmac.update(plaintext).digest().subarray(0, IV_BYTES);
  const cipher = createCipheriv(CIPHER, createHash('sha256').update(secret, 'utf8').digest(), iv);
  cipher.setAAD(Buffer.alloc(0));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    encrypted_data: rubyBase64(ciphertext),
    iv: rubyBase64(iv),
    auth_tag: rubyBase64(cipher.getAuthTag()),
    version: 3,
    cipher: CIPHER,
  };
}

/** Base64 as Ruby's `Base64.encode64` writes it (and Chef stores it): lines of 60 characters, each ending in \n. */
function rubyBase64(bytes: Buffer): string {
  const text = bytes.toString('base64');
  let wrapped = '';
  for (let at = 0; at < text.length; at += 60) wrapped += `${text.slice(at, at + 60)}\n`;
  return wrapped;
}
