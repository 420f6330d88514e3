/*
 * Petrel's DNS client as mailauth's resolver. mailauth (SPF, DKIM, DMARC,
 * ARC) asks a function (name, type) -> records that throws Node-style
 * errors; this adapts the injected DnsClient and its query() to it:
 * NXDOMAIN -> ENOTFOUND and NODATA -> ENODATA (which SPF counts as void
 * lookups and DKIM as "no key"), a temporary failure -> ESERVFAIL (a
 * temperror), too many questions -> ELIMIT (a temperror too). Used by the
 * doctor (check_host for our own addresses, the DKIM probe) and by the
 * sender-auth filter for incoming mail.
 *
 * Exports: mailauthResolver, MailauthResolver, MailauthDns,
 * MailauthResolverOptions, LookupError.
 * Security: names come from envelopes and messages (sender-chosen); they
 * are only passed to the injected client. Every resolver counts its
 * questions (maxQueries) and answers only the types the checks use; TXT
 * answers are cut to maxTxtRecords records.
 * Standards: RFC 7208 sections 4.6.4 and 5 (the record types SPF asks),
 * RFC 6376 section 3.6.2.2 (a TXT record's strings, joined by the
 * reader).
 */
import type { DnsAnswer, DnsClient } from '../dns/client.js';
import type { QueryType, RecordData } from '../dns/wire-codec.js';

/** What the resolver asks through: the client, and its query() for TXT (strings kept apart) and PTR. */
export interface MailauthDns {
  dns: DnsClient;
  query: <T extends QueryType>(name: string, type: T) => Promise<DnsAnswer<RecordData<T>>>;
}

export interface MailauthResolverOptions {
  /** Questions this resolver may ask in all; past it every question throws ELIMIT. */
  maxQueries: number;
  /** TXT records passed on from one answer (a zone can publish hundreds). Default 50. */
  maxTxtRecords?: number;
}

/** mailauth's resolver: the records, or a thrown LookupError. */
export type MailauthResolver = (name: string, type: string) => Promise<unknown[]>;

/** A failed lookup as mailauth reads it: `code` is a Node dns error code. */
export class LookupError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function records<T>(answer: DnsAnswer<T>): T[] {
  if (answer.ok) return answer.records;
  if (answer.kind === 'nxdomain') throw new LookupError('ENOTFOUND', answer.detail);
  if (answer.kind === 'nodata') throw new LookupError('ENODATA', answer.detail);
  throw new LookupError('ESERVFAIL', answer.detail);
}

/** A TXT record's character-strings, decoded as UTF-8 (mailauth joins them). */
const txtStrings = (data: RecordData<'TXT'>): string[] =>
  (Array.isArray(data) ? data : [data]).map((p) => (typeof p === 'string' ? p : p.toString('utf8')));

/** A resolver for mailauth that answers through deps, bounded as options say. */
export function mailauthResolver(deps: MailauthDns, options: MailauthResolverOptions): MailauthResolver {
  const maxTxt = options.maxTxtRecords ?? 50;
  let asked = 0;
  return async (name, type) => {
    if (++asked > options.maxQueries) throw new LookupError('ELIMIT', `more than ${options.maxQueries} DNS questions`);
    switch (type) {
      case 'TXT': return records(await deps.query(name, 'TXT')).slice(0, maxTxt).map(txtStrings);
      case 'MX': return records(await deps.dns.mx(name)).map((r) => ({ exchange: r.exchange, priority: r.priority }));
      case 'A': return records(await deps.dns.a(name));
      case 'AAAA': return records(await deps.dns.aaaa(name));
      case 'PTR': return records(await deps.query(name, 'PTR')).map((r) => String(r).replace(/\.$/, ''));
      default: throw new LookupError('ENOTIMP', `mail authentication does not ask for ${type}`);
    }
  };
}
