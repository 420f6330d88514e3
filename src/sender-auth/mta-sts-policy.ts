/*
 * The MTA-STS policy Petrel publishes for a hosted domain (RFC 8461
 * section 3.2), served at https://mta-sts.<domain>/.well-known/mta-sts.txt,
 * and the id its `_mta-sts` TXT record must carry (section 3.1).
 *
 * The id is derived from the policy's text (the first 20 hex digits of
 * its SHA-256): a changed policy gets a new id by itself, so the record
 * the plan prints and the doctor checks says exactly when senders must
 * fetch again. Lines end in CRLF (section 3.2 allows CRLF or LF; CRLF is
 * what every parser reads).
 *
 * Exports: mtaStsPolicy, MtaStsPublished.
 * Security: built from configuration only.
 * Standards: RFC 8461 sections 3.1 (id: 1 to 32 alphanumerics), 3.2.
 */
import { createHash } from 'node:crypto';

export interface MtaStsPublished {
  mode: 'none' | 'testing' | 'enforce';
  /** The policy file, CRLF lines. */
  text: string;
  /** The TXT record's id for this text. */
  id: string;
}

/** The policy for a domain whose MX hosts are mxHosts, in mode, cacheable for maxAgeMs. */
export function mtaStsPolicy(mxHosts: readonly string[], mode: MtaStsPublished['mode'], maxAgeMs: number): MtaStsPublished {
  const maxAge = Math.max(0, Math.min(31_557_600, Math.round(maxAgeMs / 1000)));
  const lines = ['version: STSv1', `mode: ${mode}`, ...mxHosts.map((h) => `mx: ${h.toLowerCase().replace(/\.$/, '')}`), `max_age: ${maxAge}`];
  const text = lines.map((l) => `${l}\r\n`).join('');
  const id = createHash('sha256').update(text).digest('hex').slice(0, 20);
  return { mode, text, id };
}
