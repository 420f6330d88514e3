/*
 * SPF (RFC 7208) for one message, by mailauth's check_host over the
 * message's DNS budget: the MAIL FROM identity, or for the null sender
 * the HELO identity (postmaster@<helo>, section 2.4). A HELO that is an
 * address literal or no name at all leaves nothing to check: none.
 *
 * A DNS question of the evaluation that failed temporarily makes the
 * result temperror, whatever mailauth concluded (section 4.4: check_host
 * then ends with temperror): mailauth 4.13 ignores such a failure inside
 * an include: and goes on, so a domain whose include's servers are down
 * would otherwise "fail" and could be refused by its DMARC policy. The
 * address question of the other family (mailauth asks A and AAAA) does
 * not count, as RFC 7208 asks only the client's.
 *
 * Exports: checkSpf, SpfOutcome, SpfResult.
 * Security: the client's address is the socket's; HELO and MAIL FROM are
 * the client's word, only passed to check_host as the identity. mailauth
 * bounds terms (10 DNS-querying terms, 2 void lookups); the budget bounds
 * every question and the time.
 * Standards: RFC 7208 sections 2.3 (HELO), 2.4 (MAIL FROM), 2.6
 * (results), 4.6.4 (lookup limits).
 */
import { isIP } from 'node:net';
import { spf } from 'mailauth/lib/spf/index.js';
import type { DnsBudget } from './budget.js';
import type { ClientInfo } from '../types.js';

export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror';

export interface SpfOutcome {
  result: SpfResult;
  identity: 'mailfrom' | 'helo';
  /** The address checked (MAIL FROM), or the HELO name; '' when there was none to check. */
  value: string;
  /** The domain whose record was asked (for DMARC's SPF alignment); '' when none. */
  domain: string;
  /** mailauth's explanation, for the log. */
  comment: string;
}

const RESULTS: readonly SpfResult[] = ['pass', 'fail', 'softfail', 'neutral', 'none', 'permerror', 'temperror'];

/** A HELO name check_host can ask about: a domain with a dot, not an address literal. */
const heloDomain = (helo: string): string | undefined => {
  const h = helo.trim().replace(/\.$/, '').toLowerCase();
  return h.includes('.') && !h.startsWith('[') && isIP(h) === 0 ? h : undefined;
};

export async function checkSpf(client: ClientInfo, sender: string, budget: DnsBudget, mta: string): Promise<SpfOutcome> {
  const identity = sender === '' ? 'helo' : 'mailfrom';
  const helo = heloDomain(client.helo);
  const value = identity === 'helo' ? (helo ?? '') : sender;
  const domain = identity === 'helo' ? (helo ?? '') : sender.slice(sender.lastIndexOf('@') + 1).toLowerCase();
  if (domain === '' || isIP(client.ip) === 0) return { result: 'none', identity, value, domain, comment: 'no identity to check' };
  const failedBefore = budget.failures.length;
  const out = await spf({
    ip: client.ip,
    sender: identity === 'helo' ? `postmaster@${domain}` : sender,
    helo: client.helo,
    mta,
    resolver: budget.resolver as unknown as Parameters<typeof spf>[0]['resolver'],
  });
  const otherFamily = isIP(client.ip) === 4 ? 'AAAA' : 'A';
  const failed = budget.failures.slice(failedBefore).filter((f) => f.type !== otherFamily);
  if (failed.length > 0) return { result: 'temperror', identity, value, domain, comment: `DNS failure: ${failed[0]!.type} ${failed[0]!.name} ${failed[0]!.code}` };
  const result = RESULTS.includes(out.status.result as SpfResult) ? (out.status.result as SpfResult) : 'temperror';
  return { result, identity, value, domain, comment: String(out.status.comment ?? '') };
}
