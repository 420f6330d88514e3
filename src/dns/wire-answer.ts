/*
 * From a response that answers our query to the DnsAnswer the mail logic
 * acts on: records, NXDOMAIN, NODATA or a temporary failure, with the AD
 * bit and a TTL. Pure.
 *
 * - NOERROR: the records of the asked type owned by the query name, or by
 *   the end of the CNAME chain that starts at it inside the answer section
 *   (bounded by MAX_CNAME_CHAIN; a loop or a longer chain is temporary).
 *   Records owned by other names are ignored. None: NODATA, unless the
 *   response is a referral (NS and no SOA in the authority section: the
 *   server does not recurse), which is temporary.
 * - NXDOMAIN: the name at the end of the chain does not exist (RFC 6604).
 * - Any other RCODE (SERVFAIL, REFUSED, FORMERR, NOTIMP, BADVERS...):
 *   temporary, the detail naming it and the server.
 * - TTL: the smallest of the records' and the chain's CNAMEs'; for a
 *   denial, min(SOA TTL, SOA MINIMUM) (RFC 2308 section 5) and the
 *   chain's CNAMEs, or absent without an SOA.
 *
 * Exports: interpretResponse.
 * Security: the response came from the network; owner names are compared
 * case-insensitively and only the chain from the query name is followed.
 * Standards: RFC 1034 section 3.6.2 (CNAME), RFC 2308 (negative answers
 * and their TTL), RFC 6604 (RCODE after a CNAME chain), RFC 4035 section
 * 3.2.3 (AD).
 */
import type { DnsAnswer } from './client.js';
import { MAX_CNAME_CHAIN } from './limits.js';
import type { QueryType, WireRecord, WireResponse } from './wire-codec.js';

const canonical = (name: string) => name.toLowerCase().replace(/\.$/, '');

const minTtl = (ttls: number[]) => (ttls.length > 0 ? Math.min(...ttls) : undefined);

type Chain = { kind: 'end'; name: string; records: WireRecord[]; cnames: WireRecord[] } | { kind: 'broken'; detail: string };

/** Follows CNAMEs from qname inside the answer section to the records of qtype (or to a name without them). */
function followChain(answers: WireRecord[], qname: string, qtype: QueryType): Chain {
  let current = canonical(qname);
  const seen = new Set<string>([current]);
  const cnames: WireRecord[] = [];
  for (;;) {
    const here = answers.filter((r) => canonical(r.name) === current);
    const records = here.filter((r) => r.type === qtype);
    const cname = here.find((r) => r.type === 'CNAME');
    if (records.length > 0 || !cname || qtype === 'CNAME') return { kind: 'end', name: current, records, cnames };
    if (cnames.length >= MAX_CNAME_CHAIN) return { kind: 'broken', detail: `CNAME chain longer than ${MAX_CNAME_CHAIN}` };
    cnames.push(cname);
    current = canonical(String(cname.data));
    if (seen.has(current)) return { kind: 'broken', detail: `CNAME loop at ${current}` };
    seen.add(current);
  }
}

/** The DnsAnswer for (qname, qtype) that `response` gives; `server` names the server in details. */
export function interpretResponse(response: WireResponse, qname: string, qtype: QueryType, server: string): DnsAnswer<unknown> {
  const failed = (why: string): DnsAnswer<unknown> => ({ ok: false, kind: 'temporary', detail: `${qtype} lookup for ${qname} failed: ${why}`, authenticated: false });
  if (response.rcode !== 0 && response.rcode !== 3) return failed(`${response.rcodeName} from ${server}`);
  const chain = followChain(response.answers, qname, qtype);
  if (chain.kind === 'broken') return failed(`${chain.detail} (from ${server})`);
  const authenticated = response.authenticated;
  const via = chain.cnames.length > 0 ? ` (CNAME target of ${qname})` : '';
  const cnameTtls = chain.cnames.map((r) => r.ttl);
  if (response.rcode === 3) {
    return { ok: false, kind: 'nxdomain', detail: `${chain.name} does not exist${via}`, authenticated, ...negativeTtl(response, cnameTtls) };
  }
  if (chain.records.length > 0) {
    return { ok: true, records: chain.records.map((r) => r.data), authenticated, ttl: minTtl([...chain.records.map((r) => r.ttl), ...cnameTtls])! };
  }
  if (response.referral) return failed(`a referral from ${server}, which does not recurse`);
  return { ok: false, kind: 'nodata', detail: `no ${qtype} record for ${chain.name}${via}`, authenticated, ...negativeTtl(response, cnameTtls) };
}

function negativeTtl(response: WireResponse, cnameTtls: number[]): { ttl?: number } {
  if (!response.soa) return {};
  return { ttl: minTtl([response.soa.ttl, response.soa.minimum, ...cnameTtls])! };
}
