/*
 * SHA-256-crypt ($5$) and SHA-512-crypt ($6$), written from Ulrich Drepper's
 * specification "Unix crypt using SHA-256 and SHA-512", using node:crypto for
 * the digests.
 *
 * Exports: ShaCryptVariant, ShaCryptSetting, parseShaCryptSetting, shaCrypt.
 * Security: the setting comes from a stored hash (directory data, possibly
 * imported) and the key from a peer. Rounds are run in slices that yield to
 * the event loop; the caller enforces MAX_SHA_CRYPT_ROUNDS and
 * MAX_PASSWORD_BYTES before calling.
 * Standards: Drepper's specification (rounds clamped to 1000..999,999,999,
 * salt cut to 16 characters, `rounds=` echoed only when given). Deviation: a
 * malformed `rounds=` value is refused instead of being read as salt.
 */
import { createHash, type Hash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { encode24 } from './crypt-base64.js';
import { SHA_CRYPT_ROUNDS_PER_SLICE } from './limits.js';

export type ShaCryptVariant = 'sha256' | 'sha512';

export interface ShaCryptSetting {
  variant: ShaCryptVariant;
  /** Rounds after clamping to the specification's range. */
  rounds: number;
  /** Whether `rounds=` was given, so it appears in the output. */
  roundsCustom: boolean;
  /** At most 16 characters, no `$`. */
  salt: string;
}

const ROUNDS_DEFAULT = 5000;
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999_999_999;
const SALT_MAX = 16;

const PREFIX: Record<ShaCryptVariant, string> = { sha256: '$5$', sha512: '$6$' };

/**
 * Byte order of the final encoding (step 22): each row is one 24-bit group,
 * most significant byte first. The last row is shorter and padded with zeros.
 */
const ORDER_SHA256: readonly (readonly number[])[] = [
  [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14],
  [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29],
];
const ORDER_SHA512: readonly (readonly number[])[] = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4],
  [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51],
  [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35],
  [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19],
  [62, 20, 41],
];

/**
 * Reads `$5$` or `$6$`, an optional `rounds=N$`, and the salt (up to the next
 * `$`, cut to 16 characters). Accepts a bare setting or a whole hash.
 */
export function parseShaCryptSetting(setting: string): ShaCryptSetting | undefined {
  let variant: ShaCryptVariant;
  if (setting.startsWith(PREFIX.sha256)) variant = 'sha256';
  else if (setting.startsWith(PREFIX.sha512)) variant = 'sha512';
  else return undefined;
  let rest = setting.slice(3);
  let rounds = ROUNDS_DEFAULT;
  let roundsCustom = false;
  if (rest.startsWith('rounds=')) {
    const m = /^rounds=([0-9]{1,20})\$/.exec(rest);
    if (!m) return undefined;
    rounds = Math.min(ROUNDS_MAX, Math.max(ROUNDS_MIN, Number(m[1])));
    roundsCustom = true;
    rest = rest.slice(m[0].length);
  }
  const end = rest.indexOf('$');
  const salt = (end < 0 ? rest : rest.slice(0, end)).slice(0, SALT_MAX);
  return { variant, rounds, roundsCustom, salt };
}

/** `len` bytes made of repeated copies of `digest` (steps 16 and 20). */
function stretch(digest: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let off = 0; off < len; off += digest.length) digest.copy(out, off, 0, Math.min(digest.length, len - off));
  return out;
}

/** Computes the full crypt string for `key` under `setting`. */
export async function shaCrypt(key: Buffer, setting: ShaCryptSetting): Promise<string> {
  const alg = setting.variant;
  const hash = (): Hash => createHash(alg);
  const salt = Buffer.from(setting.salt, 'utf8');
  const size = alg === 'sha256' ? 32 : 64;

  // Steps 4-8: digest B = H(key salt key).
  const b = hash().update(key).update(salt).update(key).digest();

  // Steps 1-3 and 9-12: digest A.
  const a = hash().update(key).update(salt);
  a.update(stretch(b, key.length));
  for (let n = key.length; n > 0; n >>>= 1) a.update(n & 1 ? b : key);
  let ac = a.digest();

  // Steps 13-16: P from H(key repeated key.length times).
  const dp = hash();
  for (let i = 0; i < key.length; i++) dp.update(key);
  const p = stretch(dp.digest(), key.length);

  // Steps 17-20: S from H(salt repeated 16 + A[0] times).
  const ds = hash();
  for (let i = 0; i < 16 + (ac[0] ?? 0); i++) ds.update(salt);
  const s = stretch(ds.digest(), salt.length);

  // Step 21: the rounds, in slices so other sessions keep running.
  for (let i = 0; i < setting.rounds; i++) {
    if (i > 0 && i % SHA_CRYPT_ROUNDS_PER_SLICE === 0) await yieldToLoop();
    const c = hash();
    c.update(i & 1 ? p : ac);
    if (i % 3 !== 0) c.update(s);
    if (i % 7 !== 0) c.update(p);
    c.update(i & 1 ? ac : p);
    ac = c.digest();
  }
  if (ac.length !== size) throw new Error('unexpected digest size');

  // Step 22: the output string.
  let out = PREFIX[alg];
  if (setting.roundsCustom) out += `rounds=${setting.rounds}$`;
  out += `${setting.salt}$`;
  const byte = (i: number): number => ac[i] ?? 0;
  for (const [x, y, z] of alg === 'sha256' ? ORDER_SHA256 : ORDER_SHA512) {
    out += encode24(byte(x ?? 0), byte(y ?? 0), byte(z ?? 0), 4);
  }
  out += alg === 'sha256' ? encode24(0, byte(31), byte(30), 3) : encode24(0, 0, byte(63), 2);
  return out;
}
