/*
 * Reads a stored password string into a typed hash, without computing
 * anything: which scheme, which parameters, whether they are within our
 * limits. Everything that can be wrong with a stored string is found here,
 * so verification never meets a surprise it could turn into an exception.
 *
 * Accepted forms (what Dovecot and PostfixAdmin store):
 *   {ARGON2ID} {ARGON2I}            $argon2id$ / $argon2i$ PHC strings
 *   {SHA512-CRYPT} {SHA256-CRYPT}   $6$ / $5$, optional rounds=N$
 *   {BLF-CRYPT}                     $2y$ $2b$ $2a$
 *   {MD5-CRYPT}                     $1$
 *   {CRYPT}, or no prefix at all    any of the crypt strings above
 *   {SSHA512} {SSHA256}             digest then salt, base64 (.B64) or hex (.HEX)
 *   {SHA512} {SHA256}               digest, base64 (.B64) or hex (.HEX)
 *   {PLAIN} {CLEAR} {CLEARTEXT}     the password itself (.B64 and .HEX too)
 * Scheme names are case-insensitive. As in Dovecot, whose crypt-family schemes
 * all end in crypt(3), a crypt-family prefix accepts any crypt string
 * ({SHA512-CRYPT}$2y$... is bcrypt), and the algorithm reported is the one the
 * string itself names.
 *
 * Exports: PasswordProblem, Argon2Params, ParsedHash, ParseResult,
 * parseStoredPassword.
 * Security: reads directory data that may come from an import; bounds every
 * cost a string asks for (see limits.ts); never throws.
 * Standards: Dovecot password schemes (doc "Password Schemes"), the PHC
 * string format for Argon2, crypt(3) modular format; RFC 4648 encodings.
 */
import { decodeBase64Strict, decodeHexStrict } from './encoding.js';
import {
  MAX_ARGON2_HASH_BYTES, MAX_ARGON2_MEMORY_KIB, MAX_ARGON2_PARALLELISM, MAX_ARGON2_SALT_BYTES,
  MAX_ARGON2_TIME_COST, MAX_BCRYPT_COST, MAX_DIGEST_SALT_BYTES, MAX_SHA_CRYPT_ROUNDS, MAX_STORED_LENGTH,
  MIN_ARGON2_HASH_BYTES, MIN_ARGON2_SALT_BYTES,
} from './limits.js';
import { parseShaCryptSetting, type ShaCryptSetting } from './sha-crypt.js';

export type PasswordProblem =
  | 'empty' // nothing stored: the account has no password
  | 'too-long' // longer than MAX_STORED_LENGTH
  | 'unknown-scheme' // a {SCHEME} or crypt id we do not know
  | 'unsupported' // known, deliberately not verified (DES crypt, yescrypt, $2x$, argon2d...)
  | 'malformed' // the scheme is known but the string is damaged
  | 'cost-too-high'; // rounds, memory or passes over our limits

export interface Argon2Params {
  type: 'argon2id' | 'argon2i';
  version: 0x10 | 0x13;
  memoryKiB: number;
  timeCost: number;
  parallelism: number;
}

export type ParsedHash =
  | { kind: 'argon2'; scheme: 'ARGON2ID' | 'ARGON2I'; prefix: string | undefined; params: Argon2Params; salt: Buffer; tag: Buffer }
  | { kind: 'sha-crypt'; scheme: 'SHA512-CRYPT' | 'SHA256-CRYPT'; crypt: string; setting: ShaCryptSetting }
  | { kind: 'md5-crypt'; scheme: 'MD5-CRYPT'; crypt: string }
  | { kind: 'bcrypt'; scheme: 'BLF-CRYPT'; crypt: string; cost: number }
  | { kind: 'digest'; scheme: DigestScheme; algorithm: 'sha256' | 'sha512'; digest: Buffer; salt: Buffer }
  | { kind: 'plain'; scheme: 'PLAIN'; secret: Buffer };

export type ParseResult =
  | { ok: true; hash: ParsedHash }
  | { ok: false; scheme: string | undefined; problem: PasswordProblem; detail: string };

type DigestScheme = 'SHA256' | 'SHA512' | 'SSHA256' | 'SSHA512';
type Encoding = 'b64' | 'hex' | 'none';

const CRYPT_FAMILY = new Set(['CRYPT', 'SHA512-CRYPT', 'SHA256-CRYPT', 'BLF-CRYPT', 'MD5-CRYPT', 'ARGON2ID', 'ARGON2I']);
const PLAIN_ALIASES = new Set(['PLAIN', 'CLEAR', 'CLEARTEXT']);
const DIGESTS: Record<DigestScheme, { algorithm: 'sha256' | 'sha512'; size: number; salted: boolean }> = {
  SHA256: { algorithm: 'sha256', size: 32, salted: false },
  SHA512: { algorithm: 'sha512', size: 64, salted: false },
  SSHA256: { algorithm: 'sha256', size: 32, salted: true },
  SSHA512: { algorithm: 'sha512', size: 64, salted: true },
};
/** Crypt ids we know of but do not verify, with the reason an operator reads. */
const UNSUPPORTED_CRYPT: Record<string, string> = {
  '2x': 'bcrypt $2x$ (the buggy pre-2011 variant) cannot be verified safely; reset the password',
  '2': 'bcrypt $2$ (the original 1997 variant) is not supported',
  y: 'yescrypt ($y$) is not supported',
  gy: 'GOST yescrypt ($gy$) is not supported',
  '7': 'scrypt ($7$) is not supported',
  argon2d: 'argon2d is not a password hash (use argon2id)',
  sha1: 'SHA-1 crypt ($sha1$) is not supported',
  md5: 'Sun MD5 crypt ($md5$) is not supported',
};

const fail = (scheme: string | undefined, problem: PasswordProblem, detail: string): ParseResult =>
  ({ ok: false, scheme, problem, detail });

export function parseStoredPassword(stored: string): ParseResult {
  if (typeof stored !== 'string' || stored.length === 0) return fail(undefined, 'empty', 'no password stored');
  if (stored.length > MAX_STORED_LENGTH) return fail(undefined, 'too-long', `stored value over ${MAX_STORED_LENGTH} characters`);
  const prefix = /^\{([A-Za-z0-9._-]{1,40})\}/.exec(stored);
  if (!prefix) return parseCrypt(stored, undefined);
  const body = stored.slice(prefix[0].length);
  const name = (prefix[1] ?? '').toUpperCase();
  if (CRYPT_FAMILY.has(name)) return parseCrypt(body, name);
  const dot = name.lastIndexOf('.');
  const base = dot < 0 ? name : name.slice(0, dot);
  const suffix = dot < 0 ? '' : name.slice(dot + 1);
  const encoding: Encoding | undefined =
    suffix === '' ? 'none' : suffix === 'HEX' ? 'hex' : suffix === 'B64' || suffix === 'BASE64' ? 'b64' : undefined;
  if (encoding === undefined) return fail(undefined, 'unknown-scheme', `unknown scheme {${name}}`);
  if (PLAIN_ALIASES.has(base)) return parsePlain(body, encoding);
  if (base in DIGESTS) return parseDigest(body, base as DigestScheme, encoding);
  return fail(undefined, 'unknown-scheme', `unknown scheme {${name}}`);
}

function parsePlain(body: string, encoding: Encoding): ParseResult {
  const secret = encoding === 'none' ? Buffer.from(body, 'utf8') : encoding === 'hex' ? decodeHexStrict(body) : decodeBase64Strict(body);
  if (secret === undefined) return fail('PLAIN', 'malformed', `{PLAIN} value is not valid ${encoding}`);
  return { ok: true, hash: { kind: 'plain', scheme: 'PLAIN', secret } };
}

function parseDigest(body: string, scheme: DigestScheme, encoding: Encoding): ParseResult {
  const { algorithm, size, salted } = DIGESTS[scheme];
  let raw: Buffer | undefined;
  if (encoding === 'hex') raw = decodeHexStrict(body);
  else if (encoding === 'b64') raw = decodeBase64Strict(body);
  // Default encoding is base64; like Dovecot, a fixed-size digest written in hex is recognised by its length.
  else raw = !salted && body.length === size * 2 ? decodeHexStrict(body) : decodeBase64Strict(body);
  if (raw === undefined) return fail(scheme, 'malformed', `{${scheme}} value is not valid ${encoding === 'hex' ? 'hex' : 'base64'}`);
  if (!salted) {
    if (raw.length !== size) return fail(scheme, 'malformed', `{${scheme}} digest is ${raw.length} bytes, expected ${size}`);
    return { ok: true, hash: { kind: 'digest', scheme, algorithm, digest: raw, salt: Buffer.alloc(0) } };
  }
  const saltBytes = raw.length - size;
  if (saltBytes < 1 || saltBytes > MAX_DIGEST_SALT_BYTES) {
    return fail(scheme, 'malformed', `{${scheme}} salt is ${saltBytes} bytes, expected 1 to ${MAX_DIGEST_SALT_BYTES}`);
  }
  return { ok: true, hash: { kind: 'digest', scheme, algorithm, digest: raw.subarray(0, size), salt: raw.subarray(size) } };
}

/** A crypt(3) or PHC string; `prefix` is the {SCHEME} it came under, if any. */
function parseCrypt(body: string, prefix: string | undefined): ParseResult {
  const id = /^\$([a-z0-9]{1,10})\$/.exec(body)?.[1];
  const claimed = prefix === 'CRYPT' ? undefined : prefix;
  if (id === undefined) {
    if (/^[./0-9A-Za-z]{13}$/.test(body)) return fail(undefined, 'unsupported', 'traditional DES crypt is not supported');
    if (prefix === undefined) return fail(undefined, 'unknown-scheme', 'no {SCHEME} prefix and not a crypt string');
    return fail(claimed, 'malformed', `{${prefix}} value is not a crypt string`);
  }
  if (id === '6' || id === '5') return parseShaCrypt(body, id);
  if (id === '1') {
    if (!/^\$1\$[^$\s]{0,8}\$[./0-9A-Za-z]{22}$/.test(body)) return fail('MD5-CRYPT', 'malformed', 'malformed $1$ string');
    return { ok: true, hash: { kind: 'md5-crypt', scheme: 'MD5-CRYPT', crypt: body } };
  }
  if (id === '2a' || id === '2b' || id === '2y') return parseBcrypt(body);
  if (id === 'argon2id' || id === 'argon2i') return parseArgon2(body, prefix);
  const unsupported = UNSUPPORTED_CRYPT[id];
  if (unsupported !== undefined) return fail(undefined, 'unsupported', unsupported);
  return fail(undefined, 'unknown-scheme', `unknown crypt id $${id}$`);
}

function parseShaCrypt(body: string, id: '5' | '6'): ParseResult {
  const scheme = id === '6' ? 'SHA512-CRYPT' : 'SHA256-CRYPT';
  const hashChars = id === '6' ? 86 : 43;
  // The salt is printable ASCII without '$' (glibc allows more; no tool writes it).
  const shape = new RegExp(`^\\$${id}\\$(?:rounds=[0-9]{1,20}\\$)?[!-#%-~]{0,16}\\$[./0-9A-Za-z]{${hashChars}}$`);
  const setting = shape.test(body) ? parseShaCryptSetting(body) : undefined;
  if (setting === undefined) return fail(scheme, 'malformed', `malformed $${id}$ string`);
  if (setting.rounds > MAX_SHA_CRYPT_ROUNDS) {
    return fail(scheme, 'cost-too-high', `${setting.rounds} rounds, limit ${MAX_SHA_CRYPT_ROUNDS}`);
  }
  return { ok: true, hash: { kind: 'sha-crypt', scheme, crypt: body, setting } };
}

function parseBcrypt(body: string): ParseResult {
  const m = /^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$/.exec(body);
  const cost = Number(m?.[1]);
  if (!m || cost < 4 || cost > 31) return fail('BLF-CRYPT', 'malformed', 'malformed bcrypt string');
  if (cost > MAX_BCRYPT_COST) return fail('BLF-CRYPT', 'cost-too-high', `bcrypt cost ${cost}, limit ${MAX_BCRYPT_COST}`);
  return { ok: true, hash: { kind: 'bcrypt', scheme: 'BLF-CRYPT', crypt: body, cost } };
}

function parseArgon2(body: string, prefix: string | undefined): ParseResult {
  const m = /^\$(argon2id|argon2i)(?:\$v=([0-9]{1,3}))?\$m=([0-9]{1,10}),t=([0-9]{1,10}),p=([0-9]{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(body);
  const type = body.startsWith('$argon2id$') ? 'argon2id' : 'argon2i';
  const scheme = type === 'argon2id' ? 'ARGON2ID' : 'ARGON2I';
  if (!m) return fail(scheme, 'malformed', `malformed $${type}$ string`);
  const version = m[2] === undefined ? 0x10 : Number(m[2]);
  const [memoryKiB, timeCost, parallelism] = [Number(m[3]), Number(m[4]), Number(m[5])];
  const salt = decodeBase64Strict(m[6] ?? '');
  const tag = decodeBase64Strict(m[7] ?? '');
  if (version !== 0x10 && version !== 0x13) return fail(scheme, 'malformed', `Argon2 version ${version}`);
  if (timeCost < 1 || parallelism < 1 || memoryKiB < 8 * parallelism) return fail(scheme, 'malformed', 'Argon2 parameters out of range');
  if (!salt || salt.length < MIN_ARGON2_SALT_BYTES || salt.length > MAX_ARGON2_SALT_BYTES) return fail(scheme, 'malformed', 'Argon2 salt missing or of bad length');
  if (!tag || tag.length < MIN_ARGON2_HASH_BYTES || tag.length > MAX_ARGON2_HASH_BYTES) return fail(scheme, 'malformed', 'Argon2 hash missing or of bad length');
  if (memoryKiB > MAX_ARGON2_MEMORY_KIB || timeCost > MAX_ARGON2_TIME_COST || parallelism > MAX_ARGON2_PARALLELISM) {
    return fail(scheme, 'cost-too-high', `Argon2 m=${memoryKiB},t=${timeCost},p=${parallelism} over limits`);
  }
  const params: Argon2Params = { type, version, memoryKiB, timeCost, parallelism };
  return { ok: true, hash: { kind: 'argon2', scheme, prefix, params, salt, tag } };
}
