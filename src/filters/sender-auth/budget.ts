/*
 * The DNS one message may cause: mailauth's resolver over Petrel's DNS
 * client (sender-auth/mailauth-resolver.ts, which counts the questions),
 * bounded in time as well. Each stage's checks run `within` the budget:
 * the time they spend is taken from the message's allowance, and a
 * question still unanswered when the allowance runs out is given up on
 * (ETIMEOUT, which every check reads as a temperror), as is every later
 * one; the checks then finish at once with what they have. So a zone
 * whose servers never answer costs at most the allowance, however many
 * questions its records make the checks ask.
 *
 * The TXT and PTR questions go through `query` when the caller has one
 * (the wire client); otherwise TXT goes through the client's txt() (the
 * cached path: the strings already joined, as every check joins them)
 * and PTR answers "no data", which makes SPF's deprecated ptr mechanism
 * not match (RFC 7208 section 5.5: a failed PTR lookup does not match).
 *
 * Exports: DnsBudget, mailauthDnsOf.
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

const late = (name: string, type: string) => new LookupError('ETIMEOUT', `no time left for DNS (${type} ${name})`);

export class DnsBudget {
  /** The questions that failed temporarily so far (a server failure, the question or time bound reached). */
  readonly failures: { name: string; type: string }[] = [];
  readonly resolver: MailauthResolver;
  private spentMs = 0;
  private deadline = Number.POSITIVE_INFINITY;

  constructor(
    dns: MailauthDns,
    maxQueries: number,
    private readonly timeoutMs: number,
  ) {
    const inner = mailauthResolver(dns, { maxQueries, maxTxtRecords: MAX_TXT_RECORDS });
    this.resolver = async (name, type) => {
      try {
        if (Date.now() >= this.deadline) throw late(name, type);
        return await this.bounded(() => inner(name, type), name, type);
      } catch (err) {
        if (err instanceof LookupError && TEMPORARY.has(err.code)) this.failures.push({ name, type });
        throw err;
      }
    };
  }

  /** Runs one stage's checks on what is left of the allowance. */
  async within<T>(work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    this.deadline = started + Math.max(0, this.timeoutMs - this.spentMs);
    try {
      return await work();
    } finally {
      this.spentMs += Date.now() - started;
      this.deadline = Number.POSITIVE_INFINITY;
    }
  }

  /** The answer, or ETIMEOUT when the allowance runs out first. The question's own bound is the client's. */
  private async bounded<T>(ask: () => Promise<T>, name: string, type: string): Promise<T> {
    const left = this.deadline - Date.now();
    if (!Number.isFinite(left)) return ask();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(late(name, type)), left);
    });
    try {
      return await Promise.race([ask(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
