/*
 * DKIM verification (RFC 6376 section 6) of incoming mail: the topmost
 * MAX_SIGNATURES DKIM-Signature fields, each checked on its own.
 *
 * Why ours and not mailauth's verifier (which ARC validation still uses,
 * dkim.ts): mailauth turns every key it fetches back into PEM and checks
 * the base64 with a schema, so each message paid for parsing its signer's
 * key twice; it splits the message through a stream parser of its own;
 * and it writes to stdout when l= exceeds the body. This one splits the
 * header once (mime/header-fields), canonicalizes with the signer's code
 * (sender-auth/dkim-canon.ts), and keeps the keys it parsed, by the text
 * of their DNS record, so a sender's next message costs one hash and one
 * signature check (issue 6's benchmark: about half the time sender
 * authentication took).
 *
 * Results (RFC 8601 section 2.7.1): pass; fail for a signature or body
 * hash that does not verify (RFC 6376 calls both PERMFAIL); neutral for
 * an expired signature (RFC 6376 lets a verifier ignore it); policy for a
 * key under minKeyBits (RFC 8301) and for rsa-sha1, which RFC 8301 forbids
 * verifiers to accept; permerror for a malformed signature or key, or a
 * key that is not published or revoked; temperror when DNS failed (marked
 * exhausted when our question bound did it, not a server).
 *
 * Exports: verifyDkim, clearDkimKeyCache.
 * Security: the message and the key records are untrusted. Signatures
 * are bounded (MAX_SIGNATURES), tag lists and h= are split linearly, the
 * body is canonicalized once per canonicalization and length; the key
 * cache holds at most KEY_CACHE_SIZE parsed keys, keyed by the record's
 * exact text, so a changed record is parsed afresh and the DNS question
 * (with its TTL, through the DNS cache) is still asked every time.
 * Standards: RFC 6376 sections 3.2 (tag lists), 3.4 (canonicalization),
 * 3.5 (the signature's tags), 3.6.1 (key records), 3.7 (hashes), 6.1
 * (verifier actions); RFC 8301 (algorithms and key sizes); RFC 8463
 * (Ed25519-SHA256: the signature is over the SHA-256 of the data).
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readHeaderFields, type HeaderField } from '../../mime/header-fields.js';
import { relaxedBody, relaxedField, simpleBody } from '../../sender-auth/dkim-canon.js';
import { LookupError, type MailauthResolver } from '../../sender-auth/mailauth-resolver.js';
import { EXHAUSTED } from './budget.js';
import type { DkimOutcome } from './dkim.js';
import { HEADER_B_CHARS, MAX_SIGNATURES } from './limits.js';

/** Parsed keys kept, by the text of their record. */
const KEY_CACHE_SIZE = 1000;

type Canon = 'simple' | 'relaxed';

interface Signature {
  algorithm: 'rsa-sha256' | 'rsa-sha1' | 'ed25519-sha256';
  b: Buffer;
  bh: string;
  header: Canon;
  body: Canon;
  domain: string;
  selector: string;
  /** Lower-case names in h=, in order. */
  signed: string[];
  /** The domain part of i=, lower case (d= when absent). */
  identityDomain: string;
  length?: number;
  timestamp?: number;
  expires?: number;
}

interface Key {
  object: KeyObject;
  type: 'rsa' | 'ed25519';
  bits: number;
  /** h= of the key record: the hashes it may be used with (undefined: any). */
  hashes?: string[];
  /** t=s: i= must be d= exactly. */
  strict: boolean;
}

/** A result other than pass, found before or instead of the signature check. */
class Failure extends Error {
  constructor(
    readonly result: DkimOutcome['result'],
    readonly comment: string,
    readonly exhausted = false,
  ) {
    super(comment);
  }
}

const keyCache = new Map<string, Key | Failure>();

/** Forgets the keys parsed so far (tests). */
export function clearDkimKeyCache(): void {
  keyCache.clear();
}

/** A tag=value list (section 3.2): names lower case, values with FWS at the ends removed; a repeated tag is an error. */
function tagList(text: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (part.trim() === '') continue; // a trailing ";" is allowed
      throw new Failure('permerror', 'malformed tag list');
    }
    const name = part.slice(0, eq).trim().toLowerCase();
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Failure('permerror', 'malformed tag list');
    if (tags.has(name)) throw new Failure('permerror', `tag ${name} repeated`);
    tags.set(name, part.slice(eq + 1).replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, ''));
  }
  return tags;
}

const noSpace = (v: string) => v.replace(/[ \t\r\n]+/g, '');

function canonOf(c: string | undefined): [Canon, Canon] {
  const [h = 'simple', b = 'simple'] = (c ?? 'simple/simple').toLowerCase().split('/');
  if ((h !== 'simple' && h !== 'relaxed') || (b !== 'simple' && b !== 'relaxed')) throw new Failure('permerror', 'unknown canonicalization');
  return [h, b];
}

function decimal(v: string | undefined, tag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,12}$/.test(v)) throw new Failure('permerror', `invalid ${tag}=`);
  return Number(v);
}

/** The signature's tags checked as section 6.1.1 asks. */
function parseSignature(value: string): Signature {
  const t = tagList(value);
  for (const name of ['v', 'a', 'b', 'bh', 'd', 'h', 's']) if (!t.has(name)) throw new Failure('permerror', `missing ${name}=`);
  if (t.get('v') !== '1') throw new Failure('permerror', 'incompatible version');
  const algorithm = t.get('a')!.toLowerCase();
  if (algorithm !== 'rsa-sha256' && algorithm !== 'rsa-sha1' && algorithm !== 'ed25519-sha256') throw new Failure('permerror', 'unknown algorithm');
  const [header, body] = canonOf(t.get('c'));
  const domain = t.get('d')!.toLowerCase().replace(/\.$/, '');
  const selector = t.get('s')!;
  if (domain === '' || selector === '') throw new Failure('permerror', 'empty d= or s=');
  const signed = t.get('h')!.split(':').map((n) => n.trim().toLowerCase());
  if (!signed.includes('from')) throw new Failure('permerror', 'From not signed');
  const identity = t.get('i');
  const identityDomain = identity === undefined ? domain : identity.slice(identity.lastIndexOf('@') + 1).toLowerCase();
  if (identity !== undefined && (!identity.includes('@') || (identityDomain !== domain && !identityDomain.endsWith(`.${domain}`)))) {
    throw new Failure('permerror', 'i= not within d=');
  }
  const q = t.get('q');
  if (q !== undefined && !q.split(':').some((m) => m.trim().toLowerCase() === 'dns/txt')) throw new Failure('permerror', 'unknown query method');
  const timestamp = decimal(t.get('t'), 't');
  const expires = decimal(t.get('x'), 'x');
  const b = noSpace(t.get('b')!);
  const bh = noSpace(t.get('bh')!);
  if (!/^[A-Za-z0-9+/]+=*$/.test(b) || !/^[A-Za-z0-9+/]+=*$/.test(bh)) throw new Failure('permerror', 'invalid base64');
  return {
    algorithm,
    b: Buffer.from(b, 'base64'),
    bh,
    header,
    body,
    domain,
    selector,
    signed,
    identityDomain,
    length: decimal(t.get('l'), 'l'),
    timestamp,
    expires,
  };
}

/** An RSA key as published: a SubjectPublicKeyInfo, as everyone does, or the bare RSAPublicKey RFC 6376's text names. */
function rsaKey(raw: Buffer): KeyObject {
  try {
    return createPublicKey({ key: raw, format: 'der', type: 'spki' });
  } catch {
    return createPublicKey({ key: raw, format: 'der', type: 'pkcs1' });
  }
}

/** A key record's text parsed (section 3.6.1), or the reason it cannot be used. */
function parseKey(record: string): Key | Failure {
  try {
    const t = tagList(record);
    const v = t.get('v');
    if (v !== undefined && (v !== 'DKIM1' || !/^\s*v\s*=/.test(record))) return new Failure('permerror', 'unknown key version');
    const p = t.get('p');
    if (p === undefined) return new Failure('permerror', 'invalid public key');
    const data = noSpace(p);
    if (data === '') return new Failure('permerror', 'key revoked');
    const k = (t.get('k') ?? 'rsa').toLowerCase();
    if (k !== 'rsa' && k !== 'ed25519') return new Failure('permerror', 'unknown key type');
    const services = t.get('s');
    if (services !== undefined && !services.split(':').some((s) => ['*', 'email'].includes(s.trim().toLowerCase()))) return new Failure('permerror', 'key not for email');
    const raw = Buffer.from(data, 'base64');
    // Ed25519 keys are the bare 32 octets (RFC 8463 section 4.2); RSA keys a SubjectPublicKeyInfo.
    const object = k === 'ed25519'
      ? createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]), format: 'der', type: 'spki' })
      : rsaKey(raw);
    if (object.asymmetricKeyType !== k) return new Failure('permerror', 'unknown key type');
    const flags = (t.get('t') ?? '').split(':').map((f) => f.trim().toLowerCase());
    const hashes = t.get('h')?.split(':').map((h) => h.trim().toLowerCase());
    return { object, type: k, bits: object.asymmetricKeyDetails?.modulusLength ?? 256, hashes, strict: flags.includes('s') };
  } catch (err) {
    return err instanceof Failure ? err : new Failure('permerror', 'invalid public key');
  }
}

function lookupFailure(err: unknown): Failure {
  const code = err instanceof LookupError ? err.code : '';
  if (code === 'ENOTFOUND' || code === 'ENODATA') return new Failure('permerror', 'no key');
  if (code === EXHAUSTED) return new Failure('temperror', 'DNS allowance used up', true);
  return new Failure('temperror', 'DNS failure');
}

async function fetchKey(sig: Signature, resolver: MailauthResolver): Promise<Key> {
  let records: unknown[];
  try {
    records = await resolver(`${sig.selector}._domainkey.${sig.domain}`, 'TXT');
  } catch (err) {
    throw lookupFailure(err);
  }
  const first = records[0];
  if (first === undefined) throw new Failure('permerror', 'no key');
  const text = (Array.isArray(first) ? first : [first]).map(String).join('');
  let key = keyCache.get(text);
  if (key === undefined) {
    key = parseKey(text);
    if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value as string);
    keyCache.set(text, key);
  }
  if (key instanceof Failure) throw key;
  return key;
}

/** The message split once: header fields with their raw text, the body as Latin-1. */
interface Parts {
  header: Buffer;
  fields: HeaderField[];
  body: string;
  /** Canonical body hashes computed so far, by canonicalization, length and hash. */
  hashes: Map<string, string | undefined>;
}

function split(message: Buffer): Parts {
  const end = message.indexOf('\r\n\r\n');
  const header = end < 0 ? message : message.subarray(0, end + 2);
  const body = end < 0 ? '' : message.toString('latin1', end + 4);
  return { header, fields: readHeaderFields(header), body, hashes: new Map() };
}

/** The base64 body hash, or undefined when l= is longer than the canonical body. */
function bodyHash(parts: Parts, canon: Canon, length: number | undefined, hash: 'sha256' | 'sha1'): string | undefined {
  const id = `${canon}/${length ?? ''}/${hash}`;
  if (parts.hashes.has(id)) return parts.hashes.get(id);
  let text = canon === 'relaxed' ? relaxedBody(parts.body) : simpleBody(parts.body);
  let digest: string | undefined;
  if (length === undefined || length <= text.length) {
    if (length !== undefined) text = text.slice(0, length);
    digest = createHash(hash).update(text, 'latin1').digest('base64');
  }
  parts.hashes.set(id, digest);
  return digest;
}

/** A field's text without its final line break. */
const rawField = (parts: Parts, f: HeaderField): string => parts.header.toString('latin1', f.start, f.end).replace(/\r?\n$/, '');

/** The signature field with its b= value emptied, everything else as written (section 3.7). */
function withoutB(raw: string): string {
  const colon = raw.indexOf(':');
  const parts = raw.slice(colon + 1).split(';');
  for (let i = 0; i < parts.length; i++) {
    const eq = parts[i]!.indexOf('=');
    if (eq >= 0 && parts[i]!.slice(0, eq).trim().toLowerCase() === 'b') parts[i] = parts[i]!.slice(0, eq + 1);
  }
  return `${raw.slice(0, colon + 1)}${parts.join(';')}`;
}

/** The data the signature covers: the h= fields, bottom-up, then the signature field itself. */
function signedData(parts: Parts, sig: Signature, field: HeaderField): Buffer {
  const canon = (raw: string) => (sig.header === 'relaxed' ? relaxedField(raw) : `${raw}\r\n`);
  const byName = new Map<string, HeaderField[]>();
  for (const f of parts.fields) {
    const name = f.name.toLowerCase();
    const list = byName.get(name);
    if (list) list.push(f);
    else byName.set(name, [f]);
  }
  let data = '';
  for (const name of sig.signed) {
    const instance = byName.get(name)?.pop(); // the last unused one; a name with none left adds nothing
    if (instance) data += canon(rawField(parts, instance));
  }
  data += canon(withoutB(rawField(parts, field))).slice(0, -2);
  return Buffer.from(data, 'latin1');
}

async function verifyOne(parts: Parts, field: HeaderField, resolver: MailauthResolver, now: Date, minKeyBits: number): Promise<void> {
  const sig = parseSignature(field.value);
  if (sig.expires !== undefined && sig.timestamp !== undefined && sig.expires < sig.timestamp) throw new Failure('permerror', 'x= before t=');
  const hash = sig.algorithm === 'rsa-sha1' ? 'sha1' : 'sha256';
  const computed = bodyHash(parts, sig.body, sig.length, hash);
  const key = await fetchKey(sig, resolver);
  if (key.type !== (sig.algorithm === 'ed25519-sha256' ? 'ed25519' : 'rsa')) throw new Failure('permerror', 'key type does not match a=');
  if (key.hashes && !key.hashes.includes(hash)) throw new Failure('permerror', 'key does not allow the hash');
  if (key.strict && sig.identityDomain !== sig.domain) throw new Failure('permerror', 'key requires i= in d= exactly');
  if (computed === undefined || computed !== sig.bh) throw new Failure('fail', 'body hash did not verify');
  const data = signedData(parts, sig, field);
  const good = sig.algorithm === 'ed25519-sha256'
    ? verify(null, createHash('sha256').update(data).digest(), key.object, sig.b)
    : verify(hash, data, key.object, sig.b);
  if (!good) throw new Failure('fail', 'bad signature');
  if (sig.algorithm === 'rsa-sha1') throw new Failure('policy', 'rsa-sha1');
  if (key.type === 'rsa' && key.bits < minKeyBits) throw new Failure('policy', 'weak key');
  if (sig.expires !== undefined && sig.expires * 1000 < now.getTime()) throw new Failure('neutral', 'signature expired');
}

/** The d=, s= and b= of a field, read leniently, for the result of a signature that failed to parse. */
function names(value: string): Pick<DkimOutcome, 'domain' | 'selector' | 'b'> {
  const tag = (n: string) => new RegExp(`(?:^|;)\\s*${n}\\s*=([^;]*)`, 'i').exec(value)?.[1] ?? '';
  return { domain: tag('d').trim().toLowerCase(), selector: tag('s').trim(), b: noSpace(tag('b')).slice(0, HEADER_B_CHARS) };
}

/** One result per DKIM-Signature field among the topmost MAX_SIGNATURES (none when unsigned). */
export async function verifyDkim(message: Buffer, resolver: MailauthResolver, now: Date, minKeyBits: number): Promise<DkimOutcome[]> {
  const parts = split(message);
  const fields = parts.fields.filter((f) => f.name.toLowerCase() === 'dkim-signature').slice(0, MAX_SIGNATURES);
  const outcomes: DkimOutcome[] = [];
  for (const field of fields) {
    const id = names(field.value);
    try {
      await verifyOne(parts, field, resolver, now, minKeyBits);
      outcomes.push({ result: 'pass', ...id });
    } catch (err) {
      if (!(err instanceof Failure)) throw err;
      outcomes.push({ result: err.result, ...id, comment: err.comment, ...(err.exhausted ? { exhausted: true } : {}) });
    }
  }
  return outcomes;
}
