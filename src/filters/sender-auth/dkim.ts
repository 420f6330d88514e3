/*
 * DKIM verification (RFC 6376) and ARC chain validation (RFC 8617) of one
 * message, by mailauth over the message's DNS budget: one pass over the
 * message verifies every DKIM-Signature and the newest
 * ARC-Message-Signature, then the ARC-Seals are checked.
 *
 * mailauth's DKIM results are read into RFC 8601's: a body hash that
 * does not match is "fail" (RFC 6376 section 6.1.3 makes it a PERMFAIL;
 * mailauth says neutral), a key that does not exist or cannot be used is
 * "permerror" (section 6.1.2), a weak key "policy", DNS trouble
 * "temperror" (marked exhausted when it was our bound, not a server).
 * Only the topmost MAX_SIGNATURES DKIM-Signature fields are verified:
 * the others are left out of the copy mailauth reads (a signature whose
 * h= covers one of those then fails; real mail has no such).
 * ARC knows only none, pass and fail; a chain that fails
 * while the budget saw DNS trouble is reported with that comment, so the
 * log can tell an outage from a broken chain.
 *
 * Exports: verifyDkimAndArc, DkimOutcome, ArcOutcome, DkimResult.
 * Security: the message is untrusted and bounded upstream (the message
 * size limit); mailauth reads it once; at most MAX_SIGNATURES
 * signatures are verified; RSA keys under minKeyBits do not verify (RFC
 * 8301).
 * Standards: RFC 6376 sections 6.1 (verifier actions), RFC 8301 (key
 * sizes), RFC 8463 (Ed25519), RFC 8617 section 5.2 (validation).
 */
import { arc } from 'mailauth/lib/arc/index.js';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { readHeaderFields } from '../../mime/header-fields.js';
import type { MailauthResolver } from '../../sender-auth/mailauth-resolver.js';
import { EXHAUSTED } from './budget.js';
import { HEADER_B_CHARS, MAX_SIGNATURES } from './limits.js';

export type DkimResult = 'pass' | 'fail' | 'neutral' | 'none' | 'policy' | 'permerror' | 'temperror';

export interface DkimOutcome {
  result: DkimResult;
  /** d= */
  domain: string;
  /** s= */
  selector: string;
  /** The first HEADER_B_CHARS characters of b=. */
  b: string;
  comment?: string;
  /** A temperror of our question bound (the message asked too much), not of a server. */
  exhausted?: boolean;
}

export interface ArcOutcome {
  result: 'pass' | 'fail' | 'none';
  /** The instance of the newest ARC Set (0: none). */
  instance: number;
  comment?: string;
}

/** The parts of mailauth's per-signature result read here. */
interface MailauthDkim {
  signingDomain?: string;
  selector?: string;
  signature?: string;
  status: { result: string; comment?: string };
}

const PERMANENT_KEY_TROUBLE = new Set(['no key', 'unknown key version', 'unknown key type', 'invalid public key']);

function readResult(status: MailauthDkim['status']): Pick<DkimOutcome, 'result' | 'comment' | 'exhausted'> {
  const c = status.comment;
  switch (status.result) {
    case 'pass': return { result: 'pass' };
    case 'fail': return { result: 'fail', comment: c };
    case 'policy': return { result: 'policy', comment: 'weak key' };
    case 'temperror': return c?.includes(EXHAUSTED) ? { result: 'temperror', comment: 'DNS allowance used up', exhausted: true } : { result: 'temperror', comment: 'DNS failure' };
    case 'neutral':
      if (c === 'body hash did not verify') return { result: 'fail', comment: c };
      if (c && PERMANENT_KEY_TROUBLE.has(c)) return { result: 'permerror', comment: c };
      return { result: 'neutral', comment: c };
    default: return { result: 'permerror', comment: c };
  }
}

/** The message without the DKIM-Signature fields past the topmost MAX_SIGNATURES. */
function topSignaturesOnly(message: Buffer): Buffer {
  const end = message.indexOf('\r\n\r\n');
  const fields = readHeaderFields(end < 0 ? message : message.subarray(0, end + 2));
  const extra = fields.filter((f) => f.name.toLowerCase() === 'dkim-signature').slice(MAX_SIGNATURES);
  if (extra.length === 0) return message;
  const kept: Buffer[] = [];
  let at = 0;
  for (const f of extra) {
    kept.push(message.subarray(at, f.start));
    at = f.end;
  }
  kept.push(message.subarray(at));
  return Buffer.concat(kept);
}

/**
 * The result of each DKIM signature verified (none when unsigned) and the ARC chain's. `failures` counts the temporary
 * DNS failures so far (the budgets'), to tell an outage from a broken chain.
 */
export async function verifyDkimAndArc(message: Buffer, dns: { resolver: MailauthResolver; failures: () => number }, now: Date, minKeyBits: number): Promise<{ signatures: DkimOutcome[]; arc: ArcOutcome }> {
  const resolver = dns.resolver as never;
  const verified = await dkimVerify(topSignaturesOnly(message), { resolver, curTime: now, minBitLength: minKeyBits });
  const signatures = (verified.results as unknown as MailauthDkim[])
    .filter((r) => r.status.result !== 'none')
    .map((r): DkimOutcome => ({ ...readResult(r.status), domain: (r.signingDomain ?? '').toLowerCase(), selector: r.selector ?? '', b: (r.signature ?? '').slice(0, HEADER_B_CHARS) }));
  const troubleBefore = dns.failures();
  const data = verified.arc as { lastEntry?: { messageSignature?: MailauthDkim } } | undefined;
  const chain = data ? await arc(data as never, { resolver, minBitLength: minKeyBits }) : undefined;
  const result = (chain?.status.result ?? 'none') as ArcOutcome['result'];
  const instance = typeof chain?.i === 'number' ? chain.i : 0;
  if (result !== 'fail') return { signatures, arc: { result, instance } };
  // The newest ARC-Message-Signature's key, or a seal's, could not be looked up: an outage, not a broken chain.
  const dnsTrouble = data?.lastEntry?.messageSignature?.status.result === 'temperror' || dns.failures() > troubleBefore;
  return { signatures, arc: { result, instance, comment: dnsTrouble ? 'DNS failure' : chain?.status.comment } };
}
