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
 * "temperror". ARC knows only none, pass and fail; a chain that fails
 * while the budget saw DNS trouble is reported with that comment, so the
 * log can tell an outage from a broken chain.
 *
 * Exports: verifyDkimAndArc, DkimOutcome, ArcOutcome, DkimResult.
 * Security: the message is untrusted and bounded upstream (the message
 * size limit); mailauth reads it once; signatures reported are cut to
 * MAX_REPORTED_SIGNATURES; RSA keys under minKeyBits do not verify (RFC
 * 8301).
 * Standards: RFC 6376 sections 6.1 (verifier actions), RFC 8301 (key
 * sizes), RFC 8463 (Ed25519), RFC 8617 section 5.2 (validation).
 */
import { arc } from 'mailauth/lib/arc/index.js';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import type { DnsBudget } from './budget.js';
import { HEADER_B_CHARS, MAX_REPORTED_SIGNATURES } from './limits.js';

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

function readResult(status: MailauthDkim['status']): { result: DkimResult; comment?: string } {
  const c = status.comment;
  switch (status.result) {
    case 'pass': return { result: 'pass' };
    case 'fail': return { result: 'fail', comment: c };
    case 'policy': return { result: 'policy', comment: 'weak key' };
    case 'temperror': return { result: 'temperror', comment: 'DNS failure' };
    case 'neutral':
      if (c === 'body hash did not verify') return { result: 'fail', comment: c };
      if (c && PERMANENT_KEY_TROUBLE.has(c)) return { result: 'permerror', comment: c };
      return { result: 'neutral', comment: c };
    default: return { result: 'permerror', comment: c };
  }
}

/** Every DKIM signature's result (at most MAX_REPORTED_SIGNATURES; none when unsigned) and the ARC chain's. */
export async function verifyDkimAndArc(message: Buffer, budget: DnsBudget, now: Date, minKeyBits: number): Promise<{ signatures: DkimOutcome[]; arc: ArcOutcome }> {
  const resolver = budget.resolver as never;
  const verified = await dkimVerify(message, { resolver, curTime: now, minBitLength: minKeyBits });
  const signatures = (verified.results as unknown as MailauthDkim[])
    .filter((r) => r.status.result !== 'none')
    .slice(0, MAX_REPORTED_SIGNATURES)
    .map((r): DkimOutcome => ({ ...readResult(r.status), domain: (r.signingDomain ?? '').toLowerCase(), selector: r.selector ?? '', b: (r.signature ?? '').slice(0, HEADER_B_CHARS) }));
  const troubleBefore = budget.failures.length;
  const data = verified.arc as { lastEntry?: { messageSignature?: MailauthDkim } } | undefined;
  const chain = data ? await arc(data as never, { resolver, minBitLength: minKeyBits }) : undefined;
  const result = (chain?.status.result ?? 'none') as ArcOutcome['result'];
  const instance = typeof chain?.i === 'number' ? chain.i : 0;
  if (result !== 'fail') return { signatures, arc: { result, instance } };
  // The newest ARC-Message-Signature's key, or a seal's, could not be looked up: an outage, not a broken chain.
  const dnsTrouble = data?.lastEntry?.messageSignature?.status.result === 'temperror' || budget.failures.length > troubleBefore;
  return { signatures, arc: { result, instance, comment: dnsTrouble ? 'DNS failure' : chain?.status.comment } };
}
