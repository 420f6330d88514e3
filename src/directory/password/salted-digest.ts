/*
 * The plain and salted SHA-2 digests of Dovecot's {SHA256}, {SHA512},
 * {SSHA256} and {SSHA512}: H(password) or H(password || salt).
 *
 * Exports: saltedDigest.
 * Security: single fast hashes, kept only to verify imported accounts; such
 * accounts always report rehash:true.
 * Standards: Dovecot password schemes (salt appended after the digest in
 * the stored value).
 */
import { createHash } from 'node:crypto';

export function saltedDigest(algorithm: 'sha256' | 'sha512', password: Buffer, salt: Buffer): Buffer {
  return createHash(algorithm).update(password).update(salt).digest();
}
