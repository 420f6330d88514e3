/*
 * The base-64 encoding of crypt(3) strings ("./0-9A-Za-z", least significant
 * six bits first), as used by MD5-crypt and SHA-crypt.
 *
 * Exports: CRYPT_ALPHABET, encode24.
 * Security: pure; encodes digests we computed, never decodes peer input.
 * Standards: Drepper, "Unix crypt using SHA-256 and SHA-512", step 22.
 */

export const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Encodes the 24-bit group (b2 << 16 | b1 << 8 | b0) as `chars` characters, low bits first. */
export function encode24(b2: number, b1: number, b0: number, chars: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < chars; i++) {
    out += CRYPT_ALPHABET[w & 0x3f];
    w >>>= 6;
  }
  return out;
}
