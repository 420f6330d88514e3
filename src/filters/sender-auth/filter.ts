/*
 * The sender-auth filter (issue 6, "Sender authentication"), for the MX:
 *
 *   mailFrom  SPF of the MAIL FROM identity (HELO for the null sender).
 *             With spf_fail_reject a fail is refused here (550 5.7.1,
 *             RFC 7208 section 8.4) and the result published as
 *             facts.auth.spf; without, the check is started here and not
 *             waited for: it runs while the client sends RCPT and DATA.
 *   body      DKIM and ARC verification, DMARC with the From domain's
 *             policy applied; one Authentication-Results field; facts.auth.
 *
 * Verdicts (RFC 7489 section 6.6.4 and 10.3):
 *   dmarc=fail, disposition reject       550 5.7.1 refused in the session
 *   dmarc=fail, disposition quarantine   junk or quarantine (dmarc_quarantine)
 *   dmarc=temperror (the record, or an aligned identifier, could not be
 *     looked up) and a policy that could act (not p=none)
 *                                        dns_error tempfail: 451 4.4.3;
 *                                        temperror: recorded, accepted
 * SPF alone refuses nothing unless spf_fail_reject; then an SPF temperror
 * is 451 4.4.3 under dns_error tempfail. DNS trouble is never a permanent
 * refusal.
 *
 * Trusted clients ([smtp] trusted_networks) and authenticated users are
 * not checked: their mail gets "Authentication-Results: <id>; none"
 * (RFC 8601 section 2.3), which says so, and no auth facts.
 *
 * DNS (budget.ts), two budgets per message: the From domain's own zone
 * (its Organizational Domain: the DMARC record, looked up first, and the
 * keys of signatures under it) has AUTHOR_QUERIES questions and
 * dns_timeout of waiting; every other name (SPF, other signatures, ARC
 * seals) shares max_dns_queries and dns_timeout. So a sender whose slow
 * zones or heaps of signatures use the second up cannot keep its message
 * from meeting the From domain's policy.
 *
 * Exports: senderAuthFilter, SenderAuthDeps.
 * Security: reads the untrusted envelope and message (see spf.ts,
 * dkim.ts, dmarc.ts); the reply names no domain and no reason (the log
 * does); forged Authentication-Results under our authserv-id were removed
 * before (filters/sanitize.ts).
 * Standards: RFC 7208, RFC 6376, RFC 7489, RFC 8617, RFC 8601; RFC 3463
 * (5.7.1 delivery not authorized, 4.4.3 directory server failure).
 */
import type { DnsClient } from '../../dns/client.js';
import type { MailauthDns } from '../../sender-auth/mailauth-resolver.js';
import { CONTINUE, reject, type AuthFacts, type Filter, type MessageContext, type StageResult, type Verdict } from '../types.js';
import { authenticationResults, noAuthenticationResults } from './auth-results.js';
import { DnsBudget, mailauthDnsOf, routed } from './budget.js';
import { verifyDkimAndArc, type ArcOutcome, type DkimOutcome } from './dkim.js';
import { authorDomains, evaluateDmarc, lookupPolicy, orgDomain, type DmarcOutcome } from './dmarc.js';
import { AUTHOR_QUERIES } from './limits.js';
import type { SenderAuthSettings } from './settings.js';
import { checkSpf, type SpfOutcome } from './spf.js';

export interface SenderAuthDeps {
  dns: DnsClient;
  /** The same resolver for TXT (strings apart) and PTR (SPF's ptr); without it, TXT goes through dns.txt() and ptr never matches. */
  query?: MailauthDns['query'];
  /** For DKIM signature times (t=, x=). */
  now?: () => Date;
  /** [0, 1), for DMARC's pct sample. */
  random?: () => number;
}

const TEMPFAIL_TEXT = 'Temporary DNS failure while checking the sender, try again later';

const tempfail = (detail: string): StageResult => reject(451, '4.4.3', TEMPFAIL_TEXT, 'sender-auth', detail);

function spfVerdict(spf: SpfOutcome, settings: SenderAuthSettings): StageResult {
  if (!settings.spfFailReject) return CONTINUE;
  if (spf.result === 'fail') return reject(550, '5.7.1', 'Message rejected by the sender domain\'s SPF policy', 'sender-auth', `spf=fail for ${spf.value}: ${spf.comment}`);
  if (spf.result === 'temperror' && settings.dnsError === 'tempfail') return tempfail(`spf=temperror for ${spf.value}: ${spf.comment}`);
  return CONTINUE;
}

function dmarcVerdict(dmarc: DmarcOutcome, settings: SenderAuthSettings): StageResult {
  const detail = `dmarc=${dmarc.result} for ${dmarc.domain || '(no single From domain)'} (${dmarc.comment ?? ''})`;
  if (dmarc.result === 'temperror') {
    // p=none asks for nothing: DNS trouble then changes no verdict.
    const couldAct = !dmarc.hasRecord || dmarc.policy !== 'none';
    return couldAct && settings.dnsError === 'tempfail' ? tempfail(detail) : CONTINUE;
  }
  if (dmarc.result !== 'fail') return CONTINUE;
  if (dmarc.disposition === 'reject') return reject(550, '5.7.1', 'Message rejected by the sender domain\'s DMARC policy', 'sender-auth', detail);
  if (dmarc.disposition === 'quarantine') {
    const verdict: Verdict = { action: settings.dmarcQuarantine, reason: `DMARC policy of ${dmarc.domain}: quarantine` };
    return { verdict };
  }
  return CONTINUE;
}

function spfFact(spf: SpfOutcome): NonNullable<AuthFacts['spf']> {
  return { result: spf.result, domain: spf.domain, identity: spf.identity };
}

function facts(spf: SpfOutcome, dkim: DkimOutcome[], dmarc: DmarcOutcome, arc: ArcOutcome): AuthFacts {
  return {
    spf: spfFact(spf),
    dkim: dkim.map((d, i) => ({ result: d.result, domain: d.domain, aligned: dmarc.dkimAligned[i] === true, selector: d.selector })),
    dmarc: { result: dmarc.result, domain: dmarc.domain, policy: dmarc.policy, disposition: dmarc.disposition },
    arc: { result: arc.result },
  };
}

function header(authservId: string, spf: SpfOutcome, dkim: DkimOutcome[], dmarc: DmarcOutcome, arc: ArcOutcome): string {
  return authenticationResults({
    authservId,
    spf: { result: spf.result, identity: spf.identity, value: spf.value },
    dkim,
    dmarc: { result: dmarc.result, from: dmarc.domain || undefined, comment: dmarc.comment },
    arc: { result: arc.result, comment: arc.comment },
  });
}

export function senderAuthFilter(settings: SenderAuthSettings, deps: SenderAuthDeps): Filter {
  const now = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const dns = mailauthDnsOf(deps.dns, deps.query);

  return {
    name: 'sender-auth',
    roles: ['mx'],
    begin(ctx: MessageContext) {
      const skip = ctx.client.trusted || ctx.client.user !== null;
      const budget = new DnsBudget(dns, settings.maxDnsQueries, settings.dnsTimeoutMs);
      const authorBudget = new DnsBudget(dns, AUTHOR_QUERIES, settings.dnsTimeoutMs);
      let spf: Promise<SpfOutcome> | undefined;
      const spfOnce = () =>
        (spf ??= checkSpf(ctx.client, ctx.sender, budget, settings.authservId).then((result) => {
          ctx.log.info('spf', { result: result.result, identity: result.identity, value: result.value, client: ctx.client.ip, comment: result.comment });
          return result;
        }));

      return {
        async mailFrom(): Promise<StageResult> {
          if (skip) return CONTINUE;
          if (!settings.spfFailReject) {
            // Nothing is refused at MAIL FROM, so the check runs while the client sends RCPT and DATA, and the body
            // stage takes its result; a failure surfaces there (451 4.3.0), never as an unhandled rejection.
            spfOnce().catch(() => {});
            return CONTINUE;
          }
          const result = await spfOnce();
          return { ...spfVerdict(result, settings), facts: { auth: { spf: spfFact(result) } } };
        },

        async body(message): Promise<StageResult> {
          if (skip) return { ...CONTINUE, headers: [noAuthenticationResults(settings.authservId)] };
          const spfResult = await spfOnce();
          const author = authorDomains(message.bytes.subarray(0, message.headerEnd));
          const policy = await lookupPolicy(author, authorBudget.resolver);
          const resolver = author.ok ? routed(orgDomain(author.domain), authorBudget.resolver, budget.resolver) : budget.resolver;
          const failures = () => budget.failures.length + authorBudget.failures.length;
          const { signatures, arc } = await verifyDkimAndArc(message.bytes, { resolver, failures }, now(), settings.minKeyBits);
          const dmarc = evaluateDmarc({ policy, spf: spfResult, dkim: signatures, random });
          const decided = dmarcVerdict(dmarc, settings);
          ctx.log.info('sender auth', {
            spf: spfResult.result,
            dkim: signatures.map((s) => `${s.result}:${s.domain}`).join(',') || 'none',
            dmarc: dmarc.result,
            from: dmarc.domain,
            policy: dmarc.policy,
            disposition: dmarc.disposition,
            arc: arc.result,
            action: decided.verdict.action,
            ...(dmarc.comment ? { comment: dmarc.comment } : {}),
          });
          return {
            ...decided,
            headers: [header(settings.authservId, spfResult, signatures, dmarc, arc)],
            facts: { auth: facts(spfResult, signatures, dmarc, arc) },
          };
        },
      };
    },
  };
}
