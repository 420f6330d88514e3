/*
 * MD5-crypt ($1$), Poul-Henning Kamp's 1994 algorithm from FreeBSD, for
 * verifying old PostfixAdmin and Dovecot {MD5-CRYPT} entries. Never used for
 * new hashes: it is fast (1000 MD5 rounds) and MD5-based.
 *
 * Exports: md5Crypt.
 * Security: the salt comes from a stored hash, the key from a peer; the
 * work is fixed (1000 rounds), so only MAX_PASSWORD_BYTES bounds it.
 * Standards: the algorithm as described for crypt(3) "$1$" (FreeBSD
 * crypt(3), glibc and libxcrypt document the same construction): salt up to 8
 * characters, 1000 rounds, a fixed 22-character encoding.
 */
import { createHash } from 'node:crypto';
import { encode24 } from './crypt-base64.js';

const MAGIC = '$1$';
const SALT_MAX = 8;
const ROUNDS = 1000;

/** Byte order of the final encoding: 24-bit groups, most significant byte first. */
const ORDER: readonly (readonly [number, number, number])[] = [
  [0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5],
];

/** The full `$1$salt$hash` string for `key`; the salt is cut at `$` and at 8 characters. */
export function md5Crypt(key: Buffer, saltText: string): string {
  const end = saltText.indexOf('$');
  const saltString = (end < 0 ? saltText : saltText.slice(0, end)).slice(0, SALT_MAX);
  const salt = Buffer.from(saltString, 'utf8');
  const md5 = () => createHash('md5');

  const alternate = md5().update(key).update(salt).update(key).digest();
  const ctx = md5().update(key).update(MAGIC).update(salt);
  for (let left = key.length; left > 0; left -= 16) ctx.update(alternate.subarray(0, Math.min(16, left)));
  // For each bit of the key length, low bit first: a zero byte for 1, the key's first byte for 0.
  const zero = Buffer.alloc(1);
  for (let n = key.length; n > 0; n >>>= 1) ctx.update(n & 1 ? zero : key.subarray(0, 1));
  let digest = ctx.digest();

  for (let i = 0; i < ROUNDS; i++) {
    const round = md5();
    round.update(i & 1 ? key : digest);
    if (i % 3 !== 0) round.update(salt);
    if (i % 7 !== 0) round.update(key);
    round.update(i & 1 ? digest : key);
    digest = round.digest();
  }

  const byte = (i: number): number => digest[i] ?? 0;
  let out = `${MAGIC}${saltString}$`;
  for (const [x, y, z] of ORDER) out += encode24(byte(x), byte(y), byte(z), 4);
  out += encode24(0, 0, byte(11), 2);
  return out;
}
