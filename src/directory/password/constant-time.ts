/*
 * Comparisons whose time does not depend on where two secrets differ.
 *
 * Exports: equalBytes, equalSecrets, equalStrings.
 * Security: compares computed hashes with stored ones, and plaintext
 * passwords with stored plaintext ({PLAIN}).
 * Standards: none.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant time for equal lengths; a length mismatch (not secret here: both are hash outputs of known size) is false. */
export function equalBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * Compares two byte strings of any length without revealing the length of
 * either: both are hashed to 32 bytes first, then compared in constant time.
 * Used for stored plaintext, whose length is a secret.
 */
export function equalSecrets(a: Buffer, b: Buffer): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** Compares two ASCII strings (crypt outputs) in constant time. */
export function equalStrings(a: string, b: string): boolean {
  return equalBytes(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
