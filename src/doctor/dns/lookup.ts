/*
 * What every DNS check of the doctor shares: TXT records read with their
 * separate character-strings (through deps.query, so one lookup serves
 * both the joined text and the per-string checks), the wording of fixes,
 * and the finding for a lookup that failed temporarily (a warning that
 * the check could not be made, never an error the zone does not have).
 *
 * Exports: TxtRecord, txtRecords, couldNotCheck, currently, DNS_DELAY,
 * bare, quoted, TYPE_SPF.
 * Security: TXT data comes from the zone; records are bounded
 * (MAX_TXT_RECORDS) and decoded as UTF-8 with replacement, never
 * evaluated.
 * Standards: RFC 7208 section 3.3 and RFC 6376 section 3.6.2.2 (a TXT
 * record's strings are joined without separators).
 */
import type { DnsAnswer } from '../../dns/client.js';
import type { QueryType } from '../../dns/wire-codec.js';
import { finding, type DoctorDeps, type Finding } from '../types.js';
import { MAX_TXT_RECORDS } from './limits.js';

/** The sentence every DNS fix ends with. */
export const DNS_DELAY = 'DNS changes can take hours to reach everyone.';

/** Type 99 (SPF, RFC 7208 section 14.1): dns-packet knows it by this name; its type declarations omit it. */
export const TYPE_SPF = 'SPF' as unknown as QueryType;

export interface TxtRecord {
  /** The record's character-strings, each decoded as UTF-8. */
  strings: string[];
  /** Each string's length in octets, as on the wire. */
  octets: number[];
  /** The strings joined, the record's value. */
  text: string;
}

/** A name in lower case without the trailing dot. */
export const bare = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/** A value quoted for `seen`, shortened when long. */
export function quoted(value: string, max = 300): string {
  return `"${value.length > max ? `${value.slice(0, max)}...` : value}"`;
}

/** "It is currently set to X but should be Y." */
export function currently(seen: string, should: string): string {
  return `It is currently set to ${seen} but should be ${should}.`;
}

/** The TXT records at name, at most MAX_TXT_RECORDS of them, each with its strings. */
export async function txtRecords(deps: DoctorDeps, name: string): Promise<DnsAnswer<TxtRecord>> {
  const answer = await deps.query(name, 'TXT');
  if (!answer.ok) return answer;
  const records = answer.records.slice(0, MAX_TXT_RECORDS).map((data) => {
    const parts = (Array.isArray(data) ? data : [data]).map((p) => (typeof p === 'string' ? Buffer.from(p) : p));
    return { strings: parts.map((p) => p.toString('utf8')), octets: parts.map((p) => p.length), text: Buffer.concat(parts).toString('utf8') };
  });
  return { ...answer, records };
}

/** A temporary DNS failure: the check could not be made (a warning). */
export function couldNotCheck(id: string, subject: string, what: string, detail: string): Finding {
  return finding(
    id, 'warning', subject, `could not check ${what}: the DNS lookup failed`, detail, 'an answer from the DNS',
    'This is usually temporary (the resolver or the zone\'s name servers did not answer in time); run petrel doctor again. If it keeps failing, check that the zone\'s name servers answer for this name.',
  );
}
