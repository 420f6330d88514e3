/*
 * ARC sealing (RFC 8617) of mail Petrel forwards (an alias to a remote
 * address, a Sieve redirect): the three fields of our ARC Set, to be put
 * on top of the message as it leaves, so the next receiver can see what
 * we found (our Authentication-Results, carried as
 * ARC-Authentication-Results) and that the message came from us as it
 * was then, although forwarding breaks its SPF and maybe its DKIM.
 *
 *   ARC-Seal: i=N; a=rsa-sha256; t=...; cv=none|pass|fail; d=...; s=...; b=...
 *   ARC-Message-Signature: i=N; a=rsa-sha256; c=relaxed/relaxed; d=...; s=...; h=...; bh=...; b=...
 *   ARC-Authentication-Results: i=N; <our Authentication-Results value>
 *
 * The signatures are mailauth's (sealMessage); what to seal is decided
 * here (RFC 8617 section 5.1):
 *   - no ARC Set yet: i=1, cv=none;
 *   - a chain: i = the highest instance + 1, cv = our validation of it
 *     (pass or fail); a chain we did not validate (our result "none") is
 *     not sealed, since cv=fail would break it for everyone after us;
 *   - a chain whose newest seal already says cv=fail: not sealed, the
 *     chain has ended (5.1.2);
 *   - a chain that cannot be read (missing fields, instances out of
 *     order): sealed with cv=fail, our seal covering our set alone;
 *   - past instance 50 (section 4.2.1): not sealed.
 * mailauth 4.13 seals with RSA-SHA256 only: the key must be RSA.
 *
 * ourAuthenticationResults finds, in a message as we stored it, the
 * Authentication-Results field the sender-auth filter added (under our
 * authserv-id: incoming ones claiming it were removed on arrival) and
 * the arc= result in it, which is the validation to seal with.
 *
 * Exports: arcSeal, ourAuthenticationResults, ArcSealKey, ArcSealInput,
 * ArcSealOutcome, ChainValidation.
 * Security: the message is the one we accepted (untrusted content); the
 * private key is the operator's and never logged; the header is read
 * with the bounded MIME parser.
 * Standards: RFC 8617 sections 4 (fields), 5.1 (sealer actions); RFC
 * 8601 (the Authentication-Results value carried).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { getARChain, sealMessage } from 'mailauth/lib/arc/index.js';
import { authservIdOf } from '../filters/sanitize.js';
import { readHeaderFields, type HeaderField } from '../mime/header-fields.js';

/** The highest instance an ARC Set may have (RFC 8617 section 4.2.1). */
const MAX_INSTANCE = 50;

export type ChainValidation = 'none' | 'pass' | 'fail';

export interface ArcSealKey {
  /** d= (A-label). */
  domain: string;
  selector: string;
  /** RSA, PKCS#8 PEM or parsed. */
  privateKey: string | KeyObject;
}

export interface ArcSealInput {
  message: Buffer;
  /** Our Authentication-Results for the message, its value ("mx.example.net; spf=pass ...") or the whole field. */
  authResults: string;
  /** Our validation of the chain the message arrived with (the arc= result): none when it had none. */
  chain: ChainValidation;
  key: ArcSealKey;
  /** Seconds are written (t=); default now. */
  now?: number;
}

export type ArcSealOutcome =
  | { sealed: true; instance: number; cv: ChainValidation; /** The three fields, CRLF after each, to put on top. */ headers: string; /** The message with them. */ message: Buffer }
  | { sealed: false; reason: string };

const headerBlock = (message: Buffer): Buffer => {
  const end = message.indexOf('\r\n\r\n');
  return end < 0 ? message : message.subarray(0, end + 4);
};

/** The value of one tag (i=, cv=) of an ARC field, read loosely: the field may be the broken one. */
const tag = (field: HeaderField, name: string): string | undefined => new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*([^;\\s]+)`, 'i').exec(field.value)?.[1];

/** What the message's ARC Sets are: none, a readable chain, or one that cannot be read. */
function existingChain(block: Buffer): { highest: number; lastCv: string | undefined; readable: boolean } {
  const fields = readHeaderFields(block);
  const seals = fields.filter((f) => f.name.toLowerCase() === 'arc-seal');
  const arcFields = fields.filter((f) => f.name.toLowerCase().startsWith('arc-'));
  if (arcFields.length === 0) return { highest: 0, lastCv: undefined, readable: true };
  const instances = seals.map((f) => Number(tag(f, 'i'))).filter((i) => Number.isInteger(i) && i > 0);
  const highest = Math.max(0, ...arcFields.map((f) => Number(tag(f, 'i'))).filter((i) => Number.isInteger(i) && i > 0));
  const newest = seals[instances.indexOf(Math.max(0, ...instances))];
  const lastCv = newest ? tag(newest, 'cv')?.toLowerCase() : undefined;
  // mailauth's reading of the chain: every set complete, instances 1..n, cv rules.
  const parsed = { parsed: fields.map((f) => ({ key: f.name.toLowerCase(), line: block.subarray(f.start, f.end).subarray(0, block[f.end - 2] === 0x0d ? -2 : -1) })) };
  let readable = true;
  try {
    readable = getARChain(parsed) !== false;
  } catch {
    readable = false;
  }
  return { highest, lastCv, readable };
}

/** Our ARC Set for `input.message`, or why there is none. */
export async function arcSeal(input: ArcSealInput): Promise<ArcSealOutcome> {
  const chain = existingChain(headerBlock(input.message));
  if (chain.lastCv === 'fail') return { sealed: false, reason: 'the chain already failed (cv=fail)' };
  const instance = chain.highest + 1;
  if (instance > MAX_INSTANCE) return { sealed: false, reason: `the chain has ${chain.highest} sets, the most allowed is ${MAX_INSTANCE}` };
  let cv: ChainValidation;
  if (chain.highest === 0) cv = 'none';
  else if (!chain.readable) cv = 'fail';
  else if (input.chain === 'none') return { sealed: false, reason: 'the chain was not validated' };
  else cv = input.chain;
  const key = typeof input.key.privateKey === 'string' ? createPrivateKey(input.key.privateKey) : input.key.privateKey;
  if (key.asymmetricKeyType !== 'rsa') return { sealed: false, reason: `ARC seals with RSA keys only, not ${key.asymmetricKeyType}` };
  const authResults = input.authResults.replace(/^\s*Authentication-Results\s*:\s*/i, '').trim();
  const seal = {
    signingDomain: input.key.domain,
    selector: input.key.selector,
    // mailauth reads PEM only.
    privateKey: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    algorithm: 'rsa-sha256',
    i: instance,
    cv,
    authResults,
    signTime: new Date(input.now ?? Date.now()),
  };
  const headers = (await sealMessage(input.message, seal as never)).toString('latin1');
  if (!/^ARC-Seal:/i.test(headers)) return { sealed: false, reason: 'mailauth produced no seal' };
  return { sealed: true, instance, cv, headers, message: Buffer.concat([Buffer.from(headers, 'latin1'), input.message]) };
}

/** The topmost Authentication-Results under `authservId` in a message we stored, and its arc= result (none when absent). */
export function ourAuthenticationResults(message: Buffer, authservId: string): { value: string; arc: ChainValidation } | undefined {
  const field = readHeaderFields(headerBlock(message)).find((f) => f.name.toLowerCase() === 'authentication-results' && authservIdOf(f.value) === authservId.toLowerCase());
  if (!field) return undefined;
  // The last resinfo (auth-results.ts writes arc= last and keeps ';' out of comments).
  const arc = /;\s*arc\s*=\s*(pass|fail|none)\b[^;]*$/i.exec(field.value)?.[1]?.toLowerCase() as ChainValidation | undefined;
  return { value: field.value, arc: arc ?? 'none' };
}
