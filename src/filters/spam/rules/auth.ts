/*
 * Rules over the sender-authentication results the sender-auth filter
 * published (facts.auth): SPF, DKIM, DMARC and ARC failures add to the
 * score, aligned passes take a little off. DMARC's own policy is applied
 * by the sender-auth filter; here a failure only weighs by what the
 * domain asked for.
 *
 * Exports: AUTH_RULES.
 * Security: facts are ours (computed from DNS and the message).
 * Standards: RFC 7208 section 2.6 (SPF results), RFC 6376 (DKIM), RFC 7489
 * section 6.3 (p=none|quarantine|reject), RFC 8617 (ARC).
 */
import type { Rule } from './types.js';

const dmarcFailed = (policy: 'none' | 'quarantine' | 'reject'): Rule['test'] => ({ facts }) => facts.auth?.dmarc?.result === 'fail' && facts.auth.dmarc.policy === policy;

export const AUTH_RULES: Rule[] = [
  { name: 'SPF_FAIL', score: 1.0, description: 'SPF: the sender\'s domain says this host may not send for it', test: ({ facts }) => facts.auth?.spf?.result === 'fail' },
  { name: 'SPF_SOFTFAIL', score: 0.7, description: 'SPF: the sender\'s domain doubts this host (~all)', test: ({ facts }) => facts.auth?.spf?.result === 'softfail' },
  { name: 'SPF_PERMERROR', score: 0.3, description: 'SPF: the sender\'s record is broken', test: ({ facts }) => facts.auth?.spf?.result === 'permerror' },
  { name: 'DKIM_INVALID', score: 0.5, description: 'A DKIM signature that does not verify', test: ({ facts }) => (facts.auth?.dkim ?? []).some((d) => d.result === 'fail') },
  { name: 'DKIM_VALID_AU', score: -0.1, description: 'A verified DKIM signature of the From domain', test: ({ facts }) => (facts.auth?.dkim ?? []).some((d) => d.result === 'pass' && d.aligned) },
  { name: 'DMARC_FAIL_REJECT', score: 3.0, description: 'DMARC fails and the From domain asks for rejection (p=reject)', test: dmarcFailed('reject') },
  { name: 'DMARC_FAIL_QUAR', score: 2.0, description: 'DMARC fails and the From domain asks for quarantine', test: dmarcFailed('quarantine') },
  { name: 'DMARC_FAIL_NONE', score: 0.5, description: 'DMARC fails (p=none: the domain only monitors)', test: dmarcFailed('none') },
  { name: 'DMARC_PASS', score: -0.1, description: 'DMARC passes', test: ({ facts }) => facts.auth?.dmarc?.result === 'pass' },
  { name: 'ARC_FAIL', score: 0.3, description: 'An ARC chain that does not verify', test: ({ facts }) => facts.auth?.arc?.result === 'fail' },
];
