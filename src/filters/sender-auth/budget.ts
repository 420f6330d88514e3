/*
 * The DNS one message may cause: mailauth's resolver over Petrel's DNS
 * client (sender-auth/mailauth-resolver.ts, which counts the questions),
 * bounded in time as well: the time spent waiting for this budget's
 * answers is added up, a question still unanswered when the allowance
 * runs out is given up on (ETIMEOUT, which every check reads as a
 * temperror), and so is every later one; the checks then finish at once
 * with what they have. So a zone whose servers never answer costs at
 * most the allowance, however many questions its records make the checks
 * ask.
 *
 * Time is counted per budget, question by question, not as wall time:
 * the filter gives the From domain's own zone (its DMARC record, its
 * DKIM keys) a budget apart from the sender's other names (SPF, other
 * signatures, ARC) through `routed`, so slow zones or many signatures of
 * the sender's choosing cannot use up what the policy lookup needs. Of
 * the failures, ELIMIT (too many questions) is the message's own doing
 * (EXHAUSTED); ESERVFAIL and ETIMEOUT are the zone's servers.
 *
 * The TXT and PTR questions go through `query` when the caller has one
 * (the wire client); otherwise TXT goes through the client's txt() (the
 * cached path: the strings already joined, as every check joins them)
 * and PTR answers "no data", which makes SPF's deprecated ptr mechanism
 * not match (RFC 7208 section 5.5: a failed PTR lookup does not match).
 *
 * Exports: DnsBudget, mailauthDnsOf, routed, EXHAUSTED.
 * Security: names come from envelopes and messages; see
 * mailauth-resolver.ts. Temporary failures are kept, so a result the
 * library reached past one (ARC, which has no temperror; SPF, whose
 * include ignores them) can be told apart from a real failure.
 */
import type { DnsAnswer, DnsClient } from '../../dns/client.js';
import type { QueryType, RecordData } from '../../dns/wire-codec.js';
import { LookupError, mailauthResolver, type MailauthDns, type MailauthResolver } from '../../sender-auth/mailauth-resolver.js';
import { MAX_TXT_RECORDS } from './limits.js';

type Query = MailauthDns['query'];

/** `dns` with a query() for TXT and PTR: the given one, or the client's txt() and "no PTR". */
export function mailauthDnsOf(dns: DnsClient, query?: Query): MailauthDns {
  const fallback = async <T extends QueryType>(name: string, type: T): Promise<DnsAnswer<RecordData<T>>> => {
    if (type === 'TXT') return (await dns.txt(name)) as DnsAnswer<RecordData<T>>;
    return { ok: false, kind: 'nodata', detail: `${type} lookups are not available for ${name}` };
  };
  return { dns, query: query ?? fallback };
}

const TEMPORARY = new Set(['ESERVFAIL', 'ETIMEOUT', 'ELIMIT']);

/** The code of our question bound reached: the message asked too much, no server failed. */
export const EXHAUSTED = 'ELIMIT';

/** Questions about `zone` or below it go to `inside`, the others to `outside`. */
export function routed(zone: string, inside: MailauthResolver, outside: MailauthResolver): MailauthResolver {
  const z = zone.toLowerCase();
  return (name, type) => {
    const n = name.toLowerCase().replace(/\.$/, '');
    return (n === z || n.endsWith(`.${z}`) ? inside : outside)(name, type);
  };
}

export class DnsBudget {
  /** The questions that failed temporarily so far, with the code (ESERVFAIL, ETIMEOUT, ELIMIT). */
  readonly failures: { name: string; type: string; code: string }[] = [];
  readonly resolver: MailauthResolver;
  private spentMs = 0;

  constructor(
    dns: MailauthDns,
    maxQueries: number,
    private readonly timeoutMs: number,
  ) {
    const inner = mailauthResolver(dns, { maxQueries, maxTxtRecords: MAX_TXT_RECORDS });
    this.resolver = async (name, type) => {
      try {
        return await this.bounded(() => inner(name, type), name, type);
      } catch (err) {
        if (err instanceof LookupError && TEMPORARY.has(err.code)) this.failures.push({ name, type, code: err.code });
        throw err;
      }
    };
  }

  /** The answer, or ETIMEOUT when the allowance runs out first. The question's own bound is the client's. */
  private async bounded<T>(ask: () => Promise<T>, name: string, type: string): Promise<T> {
    const left = this.timeoutMs - this.spentMs;
    const late = () => new LookupError('ETIMEOUT', `no time left for DNS (${type} ${name})`);
    if (left <= 0) throw late();
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(late()), left);
    });
    try {
      return await Promise.race([ask(), timeout]);
    } finally {
      clearTimeout(timer);
      this.spentMs += Date.now() - started;
    }
  }
}
