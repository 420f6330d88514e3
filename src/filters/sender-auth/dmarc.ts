/*
 * DMARC (RFC 7489) for one message: the Author Domain, the policy its
 * owner published, identifier alignment, and the disposition.
 *
 * The Author Domain is the domain of the one address in the one From
 * field, the address the reader is shown (section 3.1; A-label, lower
 * case). Anything else fails DMARC, never passes (our choice, written in
 * issue 6; section 6.6.1 leaves it to the receiver):
 *   - no From field, or one with no usable address: fail, no policy can
 *     be found, so none is applied (the spam score counts the failure);
 *   - several From fields, or several addresses in one: fail, and the
 *     strictest policy published by any of those domains (at most
 *     MAX_FROM_DOMAINS) is applied, so "From: ceo@bank.example,
 *     x@evil.example" meets the bank's p=reject.
 *
 * Policy discovery is mailauth's (_dmarc.<domain>, then the Organizational
 * Domain's record, whose sp= then applies; section 6.6.3); the record's
 * tags are read again here: p= and sp= case-insensitively, an invalid
 * one makes the record p=none when it has a rua= (step 6), else no
 * record; pct= an integer 0 to 100, anything else ignored (100).
 *
 * Alignment is computed here with tldts's Organizational Domain (the
 * Public Suffix List, its private section included, as mailauth's
 * discovery uses it), not by mailauth: 4.13's getAlignment accepts, under
 * adkim=s or aspf=s, an identifier whose Organizational Domain equals the
 * Author Domain (d=sub.example.com for From example.com) and then falls
 * back to relaxed matching. Strict means equal names; relaxed, equal
 * Organizational Domains (section 3.1.1, 3.1.2).
 *
 * Result: pass when an aligned SPF or DKIM pass exists; otherwise
 * temperror when an aligned identifier's check met a server's failure
 * (it might have passed; a DKIM key not asked because the message made
 * too many questions does not count) or the record could not be looked
 * up; otherwise fail. The policy is looked up first, in a DNS budget of
 * its own (filter.ts).
 * pct (section 6.6.4): a message outside the sample gets the next weaker
 * policy (reject -> quarantine -> none).
 *
 * Exports: authorDomains, lookupPolicy, evaluateDmarc, orgDomain,
 * aligned, readDmarcTags, AuthorDomains, PolicyLookup, DmarcOutcome,
 * Policy.
 * Security: the From field and the records are untrusted; at most
 * MAX_FROM_DOMAINS domains are asked about; every question goes through
 * the message's DNS budget.
 * Standards: RFC 7489 sections 3.1 (alignment), 6.3 (tags), 6.6 (receiver
 * actions); RFC 5322 section 3.6.2 (From).
 */
import { dmarc as mailauthDmarc } from 'mailauth/lib/dmarc/index.js';
import { getDomain } from 'tldts';
import { domainToAscii } from '../../core/address.js';
import { parseAddressList } from '../../mime/address-list.js';
import { readHeaderFields } from '../../mime/header-fields.js';
import type { MailauthResolver } from '../../sender-auth/mailauth-resolver.js';
import type { DkimOutcome } from './dkim.js';
import { MAX_FROM_DOMAINS } from './limits.js';
import type { SpfOutcome } from './spf.js';

export type Policy = 'none' | 'quarantine' | 'reject';

/** The From field's domains, and whether they make one Author Domain. */
export type AuthorDomains =
  | { ok: true; domain: string }
  | { ok: false; problem: 'no From field' | 'no From address' | 'several From fields' | 'several From addresses'; domains: string[] };

export interface DmarcOutcome {
  result: 'pass' | 'fail' | 'none' | 'temperror';
  /** The Author Domain; for several From addresses the one whose policy applies; '' when none. */
  domain: string;
  /** The policy the domain asks for (sp= for a subdomain); 'none' when there is no record or it is unknown. */
  policy: Policy;
  /** What the message gets: the policy, weakened outside the pct sample; 'none' unless the result is fail. */
  disposition: Policy;
  /** Whether the record could be read (false: none, or the lookup failed). */
  hasRecord: boolean;
  /** SPF and each DKIM signature aligned with the Author Domain (strict or relaxed as the record says). */
  spfAligned: boolean;
  dkimAligned: boolean[];
  /** Why, for the header and the log: the From problem, "p=reject dis=reject", ... */
  comment?: string;
}

/** The Organizational Domain (RFC 7489 section 3.2): the registered domain under the Public Suffix List, or the name itself. */
export function orgDomain(domain: string): string {
  const d = domain.toLowerCase().replace(/\.$/, '');
  return getDomain(d, { allowPrivateDomains: true }) ?? d;
}

/** Whether identifier `id` aligns with the Author Domain `author`, strictly (the same name) or relaxed (the same Organizational Domain). */
export function aligned(author: string, id: string, mode: 'strict' | 'relaxed'): boolean {
  const a = author.toLowerCase().replace(/\.$/, '');
  const b = id.toLowerCase().replace(/\.$/, '');
  if (a === '' || b === '') return false;
  return mode === 'strict' ? a === b : orgDomain(a) === orgDomain(b);
}

/** The From domains of a header block. */
export function authorDomains(header: Buffer): AuthorDomains {
  const fields = readHeaderFields(header).filter((f) => f.name.toLowerCase() === 'from');
  if (fields.length === 0) return { ok: false, problem: 'no From field', domains: [] };
  const domains: string[] = [];
  let addresses = 0;
  for (const f of fields) {
    for (const a of parseAddressList(f.value) ?? []) {
      if (a.mailbox === null || a.host === null) continue; // group markers
      addresses++;
      const d = domainToAscii(a.host);
      if (d && !domains.includes(d)) domains.push(d);
    }
  }
  if (fields.length > 1) return { ok: false, problem: 'several From fields', domains };
  if (addresses > 1) return { ok: false, problem: 'several From addresses', domains };
  if (addresses === 0 || domains.length === 0) return { ok: false, problem: 'no From address', domains };
  return { ok: true, domain: domains[0]! };
}

export interface DmarcTags {
  p?: Policy;
  sp?: Policy;
  adkim: 'strict' | 'relaxed';
  aspf: 'strict' | 'relaxed';
  pct: number;
  /** p= or sp= present but not a policy. */
  invalidPolicy: boolean;
  rua: boolean;
}

const asPolicy = (v: string | undefined): Policy | undefined => {
  const p = v?.trim().toLowerCase();
  return p === 'none' || p === 'quarantine' || p === 'reject' ? p : undefined;
};

/** The tags of a DMARC record (RFC 7489 section 6.3) that decide a message's fate. */
export function readDmarcTags(record: string): DmarcTags {
  const tags = new Map<string, string>();
  for (const part of record.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) tags.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const p = asPolicy(tags.get('p'));
  const sp = asPolicy(tags.get('sp'));
  const pctText = tags.get('pct');
  const pct = pctText !== undefined && /^\d{1,3}$/.test(pctText) && Number(pctText) <= 100 ? Number(pctText) : 100;
  return {
    p,
    sp,
    adkim: tags.get('adkim')?.toLowerCase() === 's' ? 'strict' : 'relaxed',
    aspf: tags.get('aspf')?.toLowerCase() === 's' ? 'strict' : 'relaxed',
    pct,
    invalidPolicy: p === undefined || (tags.has('sp') && sp === undefined),
    rua: /mailto:/i.test(tags.get('rua') ?? ''),
  };
}

type Found = { kind: 'record'; tags: DmarcTags; policy: Policy } | { kind: 'none' } | { kind: 'temperror'; detail: string };

/** The domain's DMARC record, by mailauth's discovery, and the policy that applies to mail from `domain`. */
async function discover(domain: string, resolver: MailauthResolver): Promise<Found> {
  const found = await mailauthDmarc({ headerFrom: domain, spfDomains: [], dkimDomains: [], resolver: resolver as never });
  if (!found || found.status.result === 'none') return { kind: 'none' };
  if (found.status.result === 'temperror') return { kind: 'temperror', detail: found.error ?? 'DNS failure' };
  const tags = readDmarcTags(found.rr ?? '');
  // mailauth chose sp= when the record is the Organizational Domain's and has one.
  const chosen = asPolicy(found.policy);
  if (tags.invalidPolicy || !chosen) return tags.rua ? { kind: 'record', tags, policy: 'none' } : { kind: 'none' };
  return { kind: 'record', tags, policy: chosen };
}

const RANK: Record<Policy, number> = { none: 0, quarantine: 1, reject: 2 };
const WEAKER: Record<Policy, Policy> = { reject: 'quarantine', quarantine: 'none', none: 'none' };

/** What the From field's domains publish, looked up before anything else of the body stage. */
export type PolicyLookup =
  | { author: Extract<AuthorDomains, { ok: true }>; found: Found }
  | { author: Extract<AuthorDomains, { ok: false }>; strictest?: { domain: string; policy: Policy; pct: number }; trouble: boolean };

/** The Author Domain's policy; for a From field without one, the strictest of the domains it names. */
export async function lookupPolicy(author: AuthorDomains, resolver: MailauthResolver): Promise<PolicyLookup> {
  if (author.ok) return { author, found: await discover(author.domain, resolver) };
  let strictest: { domain: string; policy: Policy; pct: number } | undefined;
  let trouble = false;
  for (const domain of author.domains.slice(0, MAX_FROM_DOMAINS)) {
    const found = await discover(domain, resolver);
    if (found.kind === 'temperror') trouble = true;
    if (found.kind === 'record' && (!strictest || RANK[found.policy] > RANK[strictest.policy])) strictest = { domain, policy: found.policy, pct: found.tags.pct };
  }
  return { author, strictest, trouble };
}

export interface DmarcInput {
  policy: PolicyLookup;
  spf: SpfOutcome;
  dkim: readonly DkimOutcome[];
  /** A number in [0, 1) for the pct sample. */
  random: () => number;
}

/** RFC 7489 section 6.6 for one message. */
export function evaluateDmarc(input: DmarcInput): DmarcOutcome {
  const noAlignment = { spfAligned: false, dkimAligned: input.dkim.map(() => false) };
  const lookup = input.policy;
  if (!('found' in lookup)) return malformedFrom(lookup, input.random, noAlignment);
  const { domain } = lookup.author;
  const found = lookup.found;
  if (found.kind === 'temperror') return { result: 'temperror', domain, policy: 'none', disposition: 'none', hasRecord: false, ...noAlignment, comment: 'DNS failure' };
  const tags = found.kind === 'record' ? found.tags : undefined;
  // Without a record alignment is still worth knowing (the spam score's aligned DKIM), relaxed as the default.
  const spfAligned = input.spf.result === 'pass' && aligned(domain, input.spf.domain, tags?.aspf ?? 'relaxed');
  const dkimAligned = input.dkim.map((d) => d.result === 'pass' && aligned(domain, d.domain, tags?.adkim ?? 'relaxed'));
  if (found.kind === 'none') return { result: 'none', domain, policy: 'none', disposition: 'none', hasRecord: false, spfAligned, dkimAligned };
  const policy = found.policy;
  const base = { domain, policy, hasRecord: true, spfAligned, dkimAligned };
  if (spfAligned || dkimAligned.some(Boolean)) return { ...base, result: 'pass', disposition: 'none', comment: `p=${policy} dis=none` };
  // Could an identifier that aligns have passed but for DNS trouble? Not when the message itself asked too much.
  const spfMight = input.spf.result === 'temperror' && aligned(domain, input.spf.domain, found.tags.aspf);
  const dkimMight = input.dkim.some((d) => d.result === 'temperror' && !d.exhausted && aligned(domain, d.domain, found.tags.adkim));
  if (spfMight || dkimMight) return { ...base, result: 'temperror', disposition: 'none', comment: `p=${policy} DNS failure` };
  const disposition = input.random() * 100 < found.tags.pct ? policy : WEAKER[policy];
  return { ...base, result: 'fail', disposition, comment: `p=${policy} dis=${disposition}${found.tags.pct < 100 ? ` pct=${found.tags.pct}` : ''}` };
}

/** No single Author Domain: fail, under the strictest policy of the domains named (none when none published one). */
function malformedFrom(lookup: Extract<PolicyLookup, { trouble: boolean }>, random: () => number, noAlignment: Pick<DmarcOutcome, 'spfAligned' | 'dkimAligned'>): DmarcOutcome {
  const { strictest, author } = lookup;
  if (!strictest && lookup.trouble) return { result: 'temperror', domain: '', policy: 'none', disposition: 'none', hasRecord: false, ...noAlignment, comment: `${author.problem}, DNS failure` };
  const policy = strictest?.policy ?? 'none';
  const disposition = strictest && random() * 100 < strictest.pct ? policy : WEAKER[policy];
  return { result: 'fail', domain: strictest?.domain ?? '', policy, disposition, hasRecord: strictest !== undefined, ...noAlignment, comment: author.problem };
}
