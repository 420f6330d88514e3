/*
 * Argon2: our parameters for new hashes, Dovecot's storage format, and the
 * computation used both for real verification and for the dummy one.
 *
 * Parameters: Argon2id, m=19456 KiB (19 MiB), t=2, p=1, 16-byte salt,
 * 32-byte hash. This is the first configuration in OWASP's Password Storage
 * Cheat Sheet ("a minimum configuration of 19 MiB of memory, an iteration
 * count of 2, and 1 degree of parallelism"). A mail server authenticates far
 * more often than a web site (every IMAP reconnect, every SMTP submission,
 * several devices per user), and the native binding runs on libuv's
 * four-thread pool, so memory per verification is what limits a login storm:
 * 4 x 19 MiB stays small, while RFC 9106's 64 MiB option with t=3 would make
 * every login about five times as costly. OWASP's equivalent options trade
 * memory for passes (46 MiB/t=1 ... 7 MiB/t=5); we keep the memory-heavier
 * default since memory is what GPUs lack. Raise them here; existing hashes
 * then report rehash:true and are upgraded at the next login.
 *
 * Exports: ARGON2_PARAMS, hashArgon2id, argon2Tag, isCurrentArgon2.
 * Security: computes on a peer's password with parameters from a stored
 * hash, which parse.ts has already bounded.
 * Standards: RFC 9106 (Argon2), the PHC string format
 * `$argon2id$v=19$m=..,t=..,p=..$salt$hash` with unpadded base64, prefixed
 * `{ARGON2ID}` as Dovecot stores it so an export to Dovecot verifies there.
 */
import { randomBytes } from 'node:crypto';
import { hash as argon2Hash } from 'argon2';
import { encodeBase64NoPad } from './encoding.js';
import type { Argon2Params, ParsedHash } from './parse.js';

export const ARGON2_PARAMS = {
  type: 'argon2id',
  version: 0x13,
  memoryKiB: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const satisfies Argon2Params;

export const ARGON2_SALT_BYTES = 16;
export const ARGON2_HASH_BYTES = 32;

const TYPE_CODE = { argon2i: 1, argon2id: 2 } as const;

/** The raw Argon2 tag of `password` under `params`. */
export async function argon2Tag(password: Buffer, params: Argon2Params, salt: Buffer, length: number): Promise<Buffer> {
  return argon2Hash(password, {
    raw: true,
    type: TYPE_CODE[params.type],
    version: params.version,
    memoryCost: params.memoryKiB,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
    hashLength: length,
    salt,
  });
}

/** A new `{ARGON2ID}$argon2id$v=19$...` string with our parameters. */
export async function hashArgon2id(password: Buffer): Promise<string> {
  const p = ARGON2_PARAMS;
  const salt = randomBytes(ARGON2_SALT_BYTES);
  const tag = await argon2Tag(password, p, salt, ARGON2_HASH_BYTES);
  return `{ARGON2ID}$argon2id$v=${p.version}$m=${p.memoryKiB},t=${p.timeCost},p=${p.parallelism}$${encodeBase64NoPad(salt)}$${encodeBase64NoPad(tag)}`;
}

/** Whether a parsed hash is exactly what hashArgon2id would write today. */
export function isCurrentArgon2(hash: ParsedHash): boolean {
  if (hash.kind !== 'argon2' || hash.prefix !== 'ARGON2ID') return false;
  const { params } = hash;
  return params.type === ARGON2_PARAMS.type && params.version === ARGON2_PARAMS.version &&
    params.memoryKiB === ARGON2_PARAMS.memoryKiB && params.timeCost === ARGON2_PARAMS.timeCost &&
    params.parallelism === ARGON2_PARAMS.parallelism &&
    hash.salt.length >= ARGON2_SALT_BYTES && hash.tag.length === ARGON2_HASH_BYTES;
}
