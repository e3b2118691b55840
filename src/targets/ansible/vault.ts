/**
 * Ansible Vault, format 1.1 with AES256 — what `ansible-vault encrypt` writes, so `ansible-vault view` and
 * `ansible-playbook --vault-password-file` read it:
 *
 *   PBKDF2-HMAC-SHA256(password, salt, 10000 iterations) → 80 bytes: AES key (32), HMAC key (32), CTR IV (16)
 *   ciphertext = AES-256-CTR(PKCS#7-padded plaintext);  hmac = HMAC-SHA256(HMAC key, ciphertext)
 *   body = hex(hex(salt) "\n" hex(hmac) "\n" hex(ciphertext)), wrapped at 80 columns under the header.
 *
 * Ansible draws the salt at random. fleetgen derives it instead, as an HMAC (keyed with the password) of the
 * output path and the plaintext: rebuilding unchanged secrets then yields the same bytes (out/ stays unchanged,
 * `fleetgen build --check` stays green), while any change of plaintext, path or password gives a new salt and so
 * a new key and IV — a counter-mode IV is never reused for a different plaintext. The salt reveals only whether
 * two encryptions were of the same file with the same content, which the ciphertext reveals anyway.
 */
import { createCipheriv, createHmac, pbkdf2Sync } from 'node:crypto';

const HEADER = '$ANSIBLE_VAULT;1.1;AES256';
const ITERATIONS = 10_000;
const KEY_LENGTH = 32;
const IV_LENGTH = 16;
const BLOCK_SIZE = 16;
const LINE_WIDTH = 80;

export function encryptVault(plaintext: string, password: string, outputPath: string): string {
  const salt = createHmac('sha256', password).update(`fleetgen ansible-vault salt\0${outputPath}\0`).update(plaintext).digest();
  const derived = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, ITERATIONS, 2 * KEY_LENGTH + IV_LENGTH, 'sha256');
  const aesKey = derived.subarray(0, KEY_LENGTH);
  const hmacKey = derived.subarray(KEY_LENGTH, 2 * KEY_LENGTH);
  const iv = derived.subarray(2 * KEY_LENGTH);

  const cipher = createCipheriv('aes-256-ctr', aesKey, iv);
  const ciphertext = Buffer.concat([cipher.update(pkcs7Pad(Buffer.from(plaintext, 'utf8'))), cipher.final()]);
  const hmac = createHmac('sha256', hmacKey).update(ciphertext).digest();

  const inner = [salt.toString('hex'), hmac.toString('hex'), ciphertext.toString('hex')].join('\n');
  const body = Buffer.from(inner, 'ascii').toString('hex');
  const lines = [HEADER];
  for (let i = 0; i < body.length; i += LINE_WIDTH) lines.push(body.slice(i, i + LINE_WIDTH));
  return `${lines.join('\n')}\n`;
}

/** CTR needs no padding, but Ansible pads before encrypting and unpads after decrypting. */
function pkcs7Pad(data: Buffer): Buffer {
  const padLength = BLOCK_SIZE - (data.length % BLOCK_SIZE);
  return Buffer.concat([data, Buffer.alloc(padLength, padLength)]);
}
