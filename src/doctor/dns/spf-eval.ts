/*
 * RFC 7208 check_host for our own addresses (D08, D12), evaluated by
 * mailauth's SPF implementation over the doctor's injected DNS.
 *
 * Why mailauth and not our own evaluator: it is what Petrel will use to
 * check incoming mail (issue 6) and what many receivers run, so "our
 * address passes" is answered by an implementation independent of the
 * doctor's own parser (spf-parse.ts): a bug in one does not hide a
 * problem from both. Its resolver is the one incoming mail is checked
 * with (sender-auth/mailauth-resolver.ts), bounded as the doctor's
 * limits say.
 *
 * Exports: checkHost, CheckHostResult, mailauthResolver.
 * Security: mailauth bounds terms (10 lookups, 2 void lookups); the
 * adapter bounds every question it is asked (MAX_CHECK_HOST_QUERIES) and
 * only answers the types SPF uses.
 * Standards: RFC 7208 sections 2.6 (results), 4 (check_host), 4.6.4.
 */
import { spf } from 'mailauth/lib/spf/index.js';
import { mailauthResolver as sharedResolver, type MailauthResolver } from '../../sender-auth/mailauth-resolver.js';
import type { DoctorDeps } from '../types.js';
import { MAX_CHECK_HOST_QUERIES, MAX_TXT_RECORDS } from './limits.js';

export type CheckHostResult = {
  result: 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror';
  /** mailauth's explanation ("...: permanent error in processing...: Too many DNS requests"). */
  comment: string;
};

/** mailauth's resolver (SPF, and DKIM's TXT for the E07 round trip), answering through deps. */
export function mailauthResolver(deps: DoctorDeps): MailauthResolver {
  return sharedResolver(deps, { maxQueries: MAX_CHECK_HOST_QUERIES, maxTxtRecords: MAX_TXT_RECORDS });
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
