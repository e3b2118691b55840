import { describe, expect, it } from 'vitest';
import { checkOpenPgpPublicKey } from '../../src/validate/openpgp.js';

describe('checkOpenPgpPublicKey', () => {
  it('accepts an ASCII-armored public key, leading whitespace allowed', () => {
    expect(checkOpenPgpPublicKey(Buffer.from('\n-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nFAKE\n'))).toEqual({ ok: true, isArmored: true });
  });

  it('accepts a binary public-key packet in the old and the new packet format', () => {
    expect(checkOpenPgpPublicKey(Buffer.from([0x99, 0x01, 0x0d, 0x04]))).toEqual({ ok: true, isArmored: false });
    expect(checkOpenPgpPublicKey(Buffer.from([0xc6, 0x33, 0x04]))).toEqual({ ok: true, isArmored: false });
  });

  it('refuses a private key, armored or binary', () => {
    expect(checkOpenPgpPublicKey(Buffer.from('-----BEGIN PGP PRIVATE KEY BLOCK-----\n'))).toMatchObject({ ok: false, message: 'is an OpenPGP private key' });
    expect(checkOpenPgpPublicKey(Buffer.from([0x95, 0x01, 0x0d]))).toMatchObject({ ok: false, message: 'is an OpenPGP private key' });
    expect(checkOpenPgpPublicKey(Buffer.from([0xc5, 0x33]))).toMatchObject({ ok: false, message: 'is an OpenPGP private key' });
  });

  it('refuses anything else: an HTML page, an X.509 certificate, a JPEG', () => {
    expect(checkOpenPgpPublicKey(Buffer.from('<html>404</html>'))).toMatchObject({ ok: false });
    expect(checkOpenPgpPublicKey(Buffer.from('-----BEGIN CERTIFICATE-----\n'))).toMatchObject({ ok: false });
    expect(checkOpenPgpPublicKey(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toMatchObject({ ok: false });
  });
});
