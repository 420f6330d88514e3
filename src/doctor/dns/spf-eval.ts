/*
 * RFC 7208 check_host for our own addresses (D08, D12), evaluated by
 * mailauth's SPF implementation over the doctor's injected DNS.
 *
 * Why mailauth and not our own evaluator: it is what Petrel will use to
 * check incoming mail (issue 6) and what many receivers run, so "our
 * address passes" is answered by an implementation independent of the
 * doctor's own parser (spf-parse.ts): a bug in one does not hide a
 * problem from both. Its resolver is a function (name, type) -> records
 * that throws Node-style errors; this file adapts the injected DNS client
 * to it (NXDOMAIN -> ENOTFOUND, NODATA -> ENODATA, which mailauth counts
 * as void lookups; a temporary failure -> ESERVFAIL, a temperror).
 *
 * Exports: checkHost, CheckHostResult, mailauthResolver.
 * Security: mailauth bounds terms (10 lookups, 2 void lookups); the
 * adapter bounds every question it is asked (MAX_CHECK_HOST_QUERIES) and
 * only answers the types SPF uses.
 * Standards: RFC 7208 sections 2.6 (results), 4 (check_host), 4.6.4.
 */
import { spf } from 'mailauth/lib/spf/index.js';
import type { DnsAnswer } from '../../dns/client.js';
import type { DoctorDeps } from '../types.js';
import { MAX_CHECK_HOST_QUERIES } from './limits.js';
import { txtRecords } from './lookup.js';

export type CheckHostResult = {
  result: 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror';
  /** mailauth's explanation ("...: permanent error in processing...: Too many DNS requests"). */
  comment: string;
};

class LookupError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

function records<T>(answer: DnsAnswer<T>): T[] {
  if (answer.ok) return answer.records;
  if (answer.kind === 'nxdomain') throw new LookupError('ENOTFOUND', answer.detail);
  if (answer.kind === 'nodata') throw new LookupError('ENODATA', answer.detail);
  throw new LookupError('ESERVFAIL', answer.detail);
}

/** mailauth's resolver (SPF, and DKIM's TXT for the E07 round trip), answering through deps. */
export function mailauthResolver(deps: DoctorDeps): (name: string, type: string) => Promise<unknown[]> {
  let asked = 0;
  return async (name, type) => {
    if (++asked > MAX_CHECK_HOST_QUERIES) throw new LookupError('ELIMIT', `more than ${MAX_CHECK_HOST_QUERIES} DNS questions`);
    switch (type) {
      case 'TXT': return records(await txtRecords(deps, name)).map((r) => r.strings);
      case 'MX': return records(await deps.dns.mx(name)).map((r) => ({ exchange: r.exchange, priority: r.priority }));
      case 'A': return records(await deps.dns.a(name));
      case 'AAAA': return records(await deps.dns.aaaa(name));
      case 'PTR': return records(await deps.query(name, 'PTR')).map((r) => String(r).replace(/\.$/, ''));
      default: throw new LookupError('ENOTIMP', `SPF does not ask for ${type}`);
    }
  };
}

/** check_host(ip, domain, sender) as a receiver would run it for mail from postmaster@domain (the HELO name's own for D12). */
export async function checkHost(deps: DoctorDeps, ip: string, domain: string, helo: string): Promise<CheckHostResult> {
  const result = await spf({
    ip,
    sender: `postmaster@${domain}`,
    helo,
    mta: 'petrel-doctor',
    resolver: mailauthResolver(deps) as unknown as Parameters<typeof spf>[0]['resolver'],
  });
  return { result: result.status.result as CheckHostResult['result'], comment: String(result.status.comment ?? '') };
}
