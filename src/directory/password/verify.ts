/*
 * Password verification: one entry for every stored form parse.ts accepts,
 * and a dummy of the same cost for logins to accounts that do not exist.
 *
 * Exports: VerifyResult, verifyPassword, verifyDummy.
 * Security: the password comes from an unauthenticated peer (SASL PLAIN,
 * LOGIN, IMAP LOGIN, the web). Neither function ever rejects: a malformed or
 * unknown stored hash, an over-long password, or an unexpected failure of a
 * hashing library all answer ok:false, so a login path cannot turn them into
 * anything but "authentication failed" (the reason is for inspectPassword and
 * the operator, never for the peer). Comparisons are constant-time. The
 * password is hashed as its UTF-8 bytes, unnormalised, as Dovecot does.
 * Timing: an unknown user costs what a known user with a current Argon2id
 * hash costs (verifyDummy). Accounts still on a legacy scheme answer at that
 * scheme's speed until they are rehashed, which reveals the scheme, not the
 * password; rehash at the next login closes the gap.
 * Standards: see parse.ts for the schemes.
 */
import { randomBytes } from 'node:crypto';
import { hash as bcryptHash } from 'bcryptjs';
import { ARGON2_HASH_BYTES, ARGON2_PARAMS, ARGON2_SALT_BYTES, argon2Tag, isCurrentArgon2 } from './argon2.js';
import { equalBytes, equalSecrets, equalStrings } from './constant-time.js';
import { MAX_PASSWORD_BYTES } from './limits.js';
import { md5Crypt } from './md5-crypt.js';
import { parseStoredPassword, type ParsedHash } from './parse.js';
import { saltedDigest } from './salted-digest.js';
import { shaCrypt } from './sha-crypt.js';

/** rehash: true when ok and the stored hash is not current Argon2id with our parameters. */
export type VerifyResult = { ok: boolean; rehash: boolean };

const REFUSED: VerifyResult = Object.freeze({ ok: false, rehash: false });

/** The password's bytes, or undefined when it cannot be a password we verify. */
function passwordBytes(plain: unknown): Buffer | undefined {
  if (typeof plain !== 'string') return undefined;
  const key = Buffer.from(plain, 'utf8');
  return key.length > MAX_PASSWORD_BYTES ? undefined : key;
}

async function matches(key: Buffer, plain: string, hash: ParsedHash): Promise<boolean> {
  switch (hash.kind) {
    case 'argon2':
      return equalBytes(await argon2Tag(key, hash.params, hash.salt, hash.tag.length), hash.tag);
    case 'sha-crypt':
      return equalStrings(await shaCrypt(key, hash.setting), hash.crypt);
    case 'md5-crypt':
      return equalStrings(md5Crypt(key, hash.crypt.slice(3)), hash.crypt);
    case 'bcrypt':
      // The first 29 characters are `$2y$NN$` and the 22-character salt.
      return equalStrings(await bcryptHash(plain, hash.crypt.slice(0, 29)), hash.crypt);
    case 'digest':
      return equalBytes(saltedDigest(hash.algorithm, key, hash.salt), hash.digest);
    case 'plain':
      return equalSecrets(key, hash.secret);
  }
}

export async function verifyPassword(plain: string, stored: string): Promise<VerifyResult> {
  try {
    const key = passwordBytes(plain);
    if (key === undefined) return REFUSED;
    const parsed = parseStoredPassword(stored);
    if (!parsed.ok) return REFUSED;
    const ok = await matches(key, plain, parsed.hash);
    return { ok, rehash: ok && !isCurrentArgon2(parsed.hash) };
  } catch {
    return REFUSED;
  }
}

// A salt and an expected tag nobody knows: the dummy computes a real tag and compares it.
const DUMMY_SALT = randomBytes(ARGON2_SALT_BYTES);
const DUMMY_TAG = randomBytes(ARGON2_HASH_BYTES);

/**
 * Costs what verifyPassword costs on a current Argon2id hash, and is always
 * false. Call it when the account does not exist, so that the answer comes
 * after the same time as a wrong password for a real account.
 */
export async function verifyDummy(plain: string): Promise<false> {
  try {
    const key = passwordBytes(plain);
    if (key !== undefined) equalBytes(await argon2Tag(key, ARGON2_PARAMS, DUMMY_SALT, ARGON2_HASH_BYTES), DUMMY_TAG);
  } catch {
    // Same answer whatever happened.
  }
  return false;
}
