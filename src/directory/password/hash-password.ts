/*
 * New password hashes: always Argon2id with the parameters in argon2.ts.
 *
 * Exports: hashPassword.
 * Security: called when a password is set (admin, user, or a rehash at
 * login); the result is a secret-equivalent and must not be logged.
 * Standards: Dovecot's {ARGON2ID} storage format.
 */
import { hashArgon2id } from './argon2.js';
import { MAX_PASSWORD_BYTES } from './limits.js';

/** Throws TypeError or RangeError on a value that cannot be a password: callers validate before this. */
export async function hashPassword(plain: string): Promise<string> {
  if (typeof plain !== 'string') throw new TypeError('password must be a string');
  const key = Buffer.from(plain, 'utf8');
  if (key.length > MAX_PASSWORD_BYTES) throw new RangeError(`password longer than ${MAX_PASSWORD_BYTES} bytes`);
  return hashArgon2id(key);
}
