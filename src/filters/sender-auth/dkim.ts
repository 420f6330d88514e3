/*
 * DKIM verification (RFC 6376) and ARC chain validation (RFC 8617) of one
 * message, over the message's DNS budget: the DKIM-Signature fields by
 * our verifier (dkim-verify.ts, which says why ours), the ARC chain by
 * mailauth, only when the message carries an ARC-Seal: mailauth's DKIM
 * verifier finds the newest ARC-Message-Signature and checks it, then its
 * ARC code checks the seals.
 *
 * Only the topmost MAX_SIGNATURES DKIM-Signature fields are verified,
 * and the copy mailauth reads has only those (a signature or AMS whose h=
 * covers one of the others then fails; real mail has no such). ARC knows
 * only none, pass and fail; a chain that fails while the budget saw DNS
 * trouble is reported with that comment, so the log can tell an outage
 * from a broken chain.
 *
 * Exports: verifyDkimAndArc, DkimOutcome, ArcOutcome, DkimResult.
 * Security: the message is untrusted and bounded upstream (the message
 * size limit); at most MAX_SIGNATURES signatures are verified; RSA keys
 * under minKeyBits do not verify (RFC 8301).
 * Standards: RFC 6376 section 6.1 (verifier actions), RFC 8301 (key
 * sizes), RFC 8463 (Ed25519), RFC 8617 section 5.2 (validation).
 */
import { arc } from 'mailauth/lib/arc/index.js';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { readHeaderFields } from '../../mime/header-fields.js';
import type { MailauthResolver } from '../../sender-auth/mailauth-resolver.js';
import { verifyDkim } from './dkim-verify.js';
import { MAX_SIGNATURES } from './limits.js';

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

/** Whether the header has an ARC-Seal field: only then is there a chain to validate. */
function hasArcSeal(message: Buffer): boolean {
  const end = message.indexOf('\r\n\r\n');
  return /(?:^|\n)arc-seal[ \t]*:/i.test(message.toString('latin1', 0, end < 0 ? message.length : end + 2));
}

/**
 * The result of each DKIM signature verified (none when unsigned) and the ARC chain's. `failures` counts the temporary
 * DNS failures so far (the budgets'), to tell an outage from a broken chain.
 */
export async function verifyDkimAndArc(message: Buffer, dns: { resolver: MailauthResolver; failures: () => number }, now: Date, minKeyBits: number): Promise<{ signatures: DkimOutcome[]; arc: ArcOutcome }> {
  const signatures = await verifyDkim(message, dns.resolver, now, minKeyBits);
  if (!hasArcSeal(message)) return { signatures, arc: { result: 'none', instance: 0 } };
  const resolver = dns.resolver as never;
  const troubleBefore = dns.failures();
  // mailauth verifies the DKIM signatures again here (its verifier is what finds the ARC sets): only for mail with a chain.
  const verified = await dkimVerify(topSignaturesOnly(message), { resolver, curTime: now, minBitLength: minKeyBits });
  const data = verified.arc as { lastEntry?: { messageSignature?: { status: { result: string } } } } | undefined;
  const chain = data ? await arc(data as never, { resolver, minBitLength: minKeyBits }) : undefined;
  const result = (chain?.status.result ?? 'none') as ArcOutcome['result'];
  const instance = typeof chain?.i === 'number' ? chain.i : 0;
  if (result !== 'fail') return { signatures, arc: { result, instance } };
  // The newest ARC-Message-Signature's key, or a seal's, could not be looked up: an outage, not a broken chain.
  const dnsTrouble = data?.lastEntry?.messageSignature?.status.result === 'temperror' || dns.failures() > troubleBefore;
  return { signatures, arc: { result, instance, comment: dnsTrouble ? 'DNS failure' : chain?.status.comment } };
}
