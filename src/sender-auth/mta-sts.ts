/*
 * MTA-STS (RFC 8461) policy discovery for outbound delivery: which policy
 * applies to a recipient domain, from the persistent cache or freshly
 * fetched, and whether an MX host is allowed by it. The queue's SMTP client
 * asks `policyFor(domain)` before each delivery attempt and `mxAllowed` for
 * each candidate MX; with mode 'enforce' it then requires STARTTLS and a
 * certificate valid for the MX name.
 *
 * Order of a lookup (RFC 8461 sections 3, 3.3, 5.1 and 10.2):
 * 1. The cached policy; "live" while fetched_at + max_age has not passed.
 * 2. The TXT record `_mta-sts.<domain>`: records not starting with
 *    `v=STSv1;` are discarded; none, more than one, or a syntactically
 *    invalid one is "no record". A temporary DNS failure is no record too.
 * 3. No record: the live cached policy applies (the absence of a TXT
 *    record does not remove a cached policy); without one, no policy.
 * 4. A record whose id equals the live cached policy's: the cached policy,
 *    no fetch. A new id, or nothing live in the cache: fetch the policy
 *    from https://mta-sts.<domain>/.well-known/mta-sts.txt.
 * 5. A cached policy older than the refresh interval (a day, the RFC's
 *    suggestion) is fetched again when used, whatever the TXT record says,
 *    so an attacker must block every refresh for the whole max_age to make
 *    it lapse; this replaces the RFC's background refresh job.
 * 6. A fetched policy (any mode, 'none' included) replaces the cached one.
 *    A failed fetch keeps the live cached policy; without one, no policy.
 *    After a failure the same domain and id are not fetched again for five
 *    minutes (section 3.3).
 *
 * Exports: MtaStsPolicies, MtaStsPoliciesOptions, MtaStsResult,
 * MtaStsPolicy, MtaStsNone, MtaStsNoneReason, MtaStsEvent,
 * MtaStsPolicyFetcher, PolicyFetchResult, ParsedMtaStsPolicy,
 * parseStsRecord, parseMtaStsPolicy, mxAllowed, MAX_AGE_LIMIT_SECONDS,
 * REFRESH_AFTER_MS, FETCH_RETRY_AFTER_MS, MAX_REMEMBERED_FAILURES.
 * Security: the TXT record and the policy body come from the recipient
 * domain's operator or from whoever controls the path to them; both are
 * parsed with anchored, linear patterns, the body's size is bounded by the
 * fetcher, max_age is capped, and the failure memory is bounded. A policy
 * only ever restricts where mail may go; its absence (a downgrade an
 * attacker can cause on first contact, section 10.2) falls back to
 * opportunistic TLS, as the RFC requires.
 * Standards: RFC 8461 sections 3.1 (TXT record, with RFC 7405 case-sensitive
 * literals), 3.2 (policy fields: the first of a repeated non-mx field
 * counts; max_age above 31557600 is capped rather than refused), 3.3
 * (fetch failures, the five-minute retry limit), 4.1 (MX matching: a
 * wildcard stands for exactly one left-most label), 5 and 5.1 (modes,
 * control flow), 10.2 (refresh before expiry).
 */
import { parsePolicy } from 'mailauth/lib/mta-sts.js';
import { domainToAscii } from '../core/address.js';
import type { DnsClient } from '../dns/client.js';
import type { MtaStsCache, MtaStsCachedPolicy } from '../store/types.js';

/** RFC 8461 section 3.2: the largest max_age (one year); larger values are cut down to it. */
export const MAX_AGE_LIMIT_SECONDS = 31_557_600;
/** A cached policy older than this is fetched again when used (RFC 8461 section 3.3 suggests daily). */
export const REFRESH_AFTER_MS = 86_400_000;
/** After a failed fetch, the same domain and id wait this long before the next (RFC 8461 section 3.3: five minutes or more). */
export const FETCH_RETRY_AFTER_MS = 300_000;
/** Failed fetches remembered at once; the oldest is forgotten first (memory bound against many failing domains). */
export const MAX_REMEMBERED_FAILURES = 10_000;

/** An enforce or testing policy the delivery must apply (RFC 8461 section 5). */
export interface MtaStsPolicy {
  mode: 'enforce' | 'testing';
  id: string;
  /** Allowed MX patterns: lower-case A-labels, `*.` allowed as the left-most label. */
  mx: string[];
  /** Seconds, after the cap. */
  maxAge: number;
  /** Milliseconds since the epoch: fetched_at + max_age. */
  expiresAt: number;
  source: 'cache' | 'fetched';
}

export type MtaStsNoneReason =
  /** The domain is not a valid DNS name (an address literal, say). */
  | 'invalid-domain'
  /** No `v=STSv1` TXT record, and nothing live in the cache. */
  | 'no-record'
  /** Several `v=STSv1` records or a malformed one, and nothing live in the cache. */
  | 'invalid-record'
  /** The TXT lookup failed temporarily, and nothing live in the cache. */
  | 'dns-temporary'
  /** A record is published but the policy could not be fetched or parsed, and nothing live in the cache. */
  | 'fetch-failed'
  /** The domain's policy says mode none (RFC 8461 section 8.3, removing MTA-STS). */
  | 'policy-none';

/** No policy applies: deliver as without MTA-STS. `detail` is for the log. */
export interface MtaStsNone {
  mode: 'none';
  reason: MtaStsNoneReason;
  detail: string;
}

export type MtaStsResult = MtaStsPolicy | MtaStsNone;

/** What the fetcher port answers: the body of a 200 text/plain response, or why there is none. */
export type PolicyFetchResult = { ok: true; text: string } | { ok: false; reason: string };

/** Fetches https://mta-sts.<domain>/.well-known/mta-sts.txt (the default is HttpsPolicyFetcher). */
export interface MtaStsPolicyFetcher {
  fetch(domain: string): Promise<PolicyFetchResult>;
}

/**
 * Events worth a log line. RFC 8461 sections 3.3 and 10.2 ask that failed
 * refreshes alert the operator unless the policy kept is mode none: warn
 * on 'fetch-failed' when `kept` is 'enforce' or 'testing'.
 */
export type MtaStsEvent =
  | { type: 'fetched'; domain: string; id: string; mode: 'enforce' | 'testing' | 'none'; maxAge: number }
  | { type: 'fetch-failed'; domain: string; id: string; reason: string; kept: 'enforce' | 'testing' | 'none' | null }
  | { type: 'invalid-record'; domain: string; detail: string }
  | { type: 'cache-failed'; domain: string; detail: string };

export interface MtaStsPoliciesOptions {
  dns: DnsClient;
  fetcher: MtaStsPolicyFetcher;
  cache: MtaStsCache;
  /** Milliseconds since the epoch. */
  now?: () => number;
  onEvent?: (event: MtaStsEvent) => void;
  /** Default REFRESH_AFTER_MS. */
  refreshAfterMs?: number;
}

/** A policy as parsed from its text, before it has an id and a fetch time. */
export interface ParsedMtaStsPolicy {
  mode: 'enforce' | 'testing' | 'none';
  mx: string[];
  maxAge: number;
}

const STS_RECORD_START = /^v=STSv1[ \t]*;/;
const STS_ID = /^[A-Za-z0-9]{1,32}$/;
const STS_EXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const STS_EXT_VALUE = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;
const MAX_AGE_VALUE = /^[0-9]{1,10}$/;
/** Fields a policy may give once; a repetition is ignored (RFC 8461 section 3.2). */
const SINGLE_FIELDS = new Set(['version', 'mode', 'max_age']);

/**
 * The id of the one STSv1 record among a name's TXT records (RFC 8461
 * section 3.1), or why there is none usable.
 */
export function parseStsRecord(records: readonly string[]): { ok: true; id: string } | { ok: false; reason: 'no-record' | 'invalid-record'; detail: string } {
  const sts = records.filter((r) => STS_RECORD_START.test(r));
  if (sts.length === 0) return { ok: false, reason: 'no-record', detail: 'no v=STSv1 TXT record' };
  if (sts.length > 1) return { ok: false, reason: 'invalid-record', detail: `${sts.length} v=STSv1 TXT records` };
  const fields = sts[0]!.split(';').map((f) => f.replace(/^[ \t]+|[ \t]+$/g, ''));
  // "v=STSv1" first; a trailing delimiter leaves one empty field at the end.
  if (fields[fields.length - 1] === '') fields.pop();
  let id: string | undefined;
  for (const field of fields.slice(1)) {
    const eq = field.indexOf('=');
    const name = eq < 0 ? field : field.slice(0, eq);
    const value = eq < 0 ? '' : field.slice(eq + 1);
    if (name === 'id') {
      if (!STS_ID.test(value)) return { ok: false, reason: 'invalid-record', detail: 'id is not 1 to 32 letters and digits' };
      id ??= value;
    } else if (!STS_EXT_NAME.test(name) || !STS_EXT_VALUE.test(value)) {
      return { ok: false, reason: 'invalid-record', detail: 'malformed field in the v=STSv1 record' };
    }
  }
  if (id === undefined) return { ok: false, reason: 'invalid-record', detail: 'v=STSv1 record without id' };
  return { ok: true, id };
}

/** An mx pattern of RFC 8461 section 3.2: ["*."] Domain, in A-labels; a trailing dot is tolerated. */
function mxPattern(value: string): string | undefined {
  const wildcard = value.startsWith('*.');
  const name = domainToAscii(wildcard ? value.slice(2) : value);
  if (name === undefined || /[^\x21-\x7e]/.test(value)) return undefined;
  return wildcard ? `*.${name}` : name;
}

/**
 * Parses a policy body (CRLF or LF lines). mailauth's parsePolicy reads the
 * fields and checks version, mode and that mx is present unless mode is
 * none; before it, the first of a repeated version, mode or max_age is
 * kept, max_age must be 1 to 10 digits and is capped at
 * MAX_AGE_LIMIT_SECONDS; after it, every mx pattern must be a domain name.
 */
export function parseMtaStsPolicy(text: string): { ok: true; policy: ParsedMtaStsPolicy } | { ok: false; reason: string } {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    if (SINGLE_FIELDS.has(key)) {
      if (seen.has(key)) continue;
      seen.add(key);
    }
    if (key === 'max_age') {
      const value = line.slice(colon + 1).trim();
      if (!MAX_AGE_VALUE.test(value)) return { ok: false, reason: 'invalid policy: max_age is not a number of seconds' };
      lines.push(`max_age: ${Math.min(Number(value), MAX_AGE_LIMIT_SECONDS)}`);
    } else lines.push(line);
  }
  if (!seen.has('max_age')) return { ok: false, reason: 'invalid policy: no max_age' };
  let parsed: ReturnType<typeof parsePolicy>;
  try {
    parsed = parsePolicy(lines.join('\n'));
  } catch (err) {
    return { ok: false, reason: `invalid policy: ${err instanceof Error ? err.message : String(err)}` };
  }
  const mx: string[] = [];
  for (const value of parsed.mx ?? []) {
    const pattern = mxPattern(value);
    if (pattern === undefined) return { ok: false, reason: 'invalid policy: an mx pattern is not a domain name' };
    if (!mx.includes(pattern)) mx.push(pattern);
  }
  return { ok: true, policy: { mode: parsed.mode, mx, maxAge: Number(parsed.maxAge) } };
}

/**
 * Whether an MX host may receive mail under a policy (RFC 8461 section
 * 4.1): equal to a pattern, or `*.suffix` with exactly one label before
 * the suffix. Mode none allows every host.
 */
export function mxAllowed(policy: MtaStsResult, mxHost: string): boolean {
  if (policy.mode === 'none') return true;
  const host = domainToAscii(mxHost);
  if (host === undefined) return false;
  return policy.mx.some((pattern) => {
    if (!pattern.startsWith('*.')) return pattern === host;
    const suffix = pattern.slice(1);
    if (!host.endsWith(suffix)) return false;
    const label = host.slice(0, host.length - suffix.length);
    return label.length > 0 && !label.includes('.');
  });
}

const none = (reason: MtaStsNoneReason, detail: string): MtaStsNone => ({ mode: 'none', reason, detail });

function fromCache(policy: MtaStsCachedPolicy, source: 'cache' | 'fetched'): MtaStsResult {
  if (policy.mode === 'none') return none('policy-none', `policy ${policy.id} has mode none`);
  return { mode: policy.mode, id: policy.id, mx: [...policy.mx], maxAge: policy.maxAge, expiresAt: policy.expiresAt, source };
}

export class MtaStsPolicies {
  private readonly dns: DnsClient;
  private readonly fetcher: MtaStsPolicyFetcher;
  private readonly cache: MtaStsCache;
  private readonly now: () => number;
  private readonly emit: (event: MtaStsEvent) => void;
  private readonly refreshAfterMs: number;
  /** Lookups in progress by domain: concurrent deliveries to one domain share one TXT query and one fetch. */
  private readonly pending = new Map<string, Promise<MtaStsResult>>();
  /** "domain id" of failed fetches, with when the next may be tried. */
  private readonly failures = new Map<string, number>();

  constructor(options: MtaStsPoliciesOptions) {
    this.dns = options.dns;
    this.fetcher = options.fetcher;
    this.cache = options.cache;
    this.now = options.now ?? Date.now;
    this.emit = options.onEvent ?? (() => {});
    this.refreshAfterMs = options.refreshAfterMs ?? REFRESH_AFTER_MS;
  }

  /** The policy for a recipient domain (the next hop's domain, RFC 8461 section 3.4). */
  policyFor(domain: string): Promise<MtaStsResult> {
    const ascii = domainToAscii(domain);
    if (ascii === undefined) return Promise.resolve(none('invalid-domain', `${domain} is not a domain name`));
    const running = this.pending.get(ascii);
    if (running) return running;
    const lookup = this.lookup(ascii).finally(() => this.pending.delete(ascii));
    this.pending.set(ascii, lookup);
    return lookup;
  }

  private async lookup(domain: string): Promise<MtaStsResult> {
    const now = this.now();
    const cached = await this.cache.get(domain);
    const live = cached !== undefined && cached.expiresAt > now ? cached : undefined;
    const txt = await this.dns.txt(`_mta-sts.${domain}`);
    let id: string;
    if (txt.ok) {
      const record = parseStsRecord(txt.records);
      if (!record.ok) {
        if (record.reason === 'invalid-record') this.emit({ type: 'invalid-record', domain, detail: record.detail });
        return live ? this.keep(domain, live, live.id) : this.forget(domain, cached, none(record.reason, record.detail));
      }
      id = record.id;
    } else {
      if (!live) {
        if (txt.kind === 'temporary') return none('dns-temporary', txt.detail);
        return this.forget(domain, cached, none('no-record', txt.detail));
      }
      return this.keep(domain, live, live.id);
    }
    if (live && live.id === id) return this.keep(domain, live, id);
    return this.fetch(domain, id, live);
  }

  /** The live cached policy, fetched again first when it is due for a refresh (id: the record's, else the cached one). */
  private async keep(domain: string, live: MtaStsCachedPolicy, id: string): Promise<MtaStsResult> {
    if (this.now() - live.fetchedAt < this.refreshAfterMs) return fromCache(live, 'cache');
    return this.fetch(domain, id, live);
  }

  /** No policy: an expired entry left in the cache is removed with it. */
  private async forget(domain: string, cached: MtaStsCachedPolicy | undefined, result: MtaStsNone): Promise<MtaStsResult> {
    if (cached && this.cache.delete) await this.cache.delete(domain);
    return result;
  }

  private async fetch(domain: string, id: string, live: MtaStsCachedPolicy | undefined): Promise<MtaStsResult> {
    const key = `${domain} ${id}`;
    const retryAt = this.failures.get(key);
    const failed = (reason: string): MtaStsResult => {
      this.emit({ type: 'fetch-failed', domain, id, reason, kept: live?.mode ?? null });
      return live ? fromCache(live, 'cache') : none('fetch-failed', reason);
    };
    if (retryAt !== undefined && retryAt > this.now()) {
      return live ? fromCache(live, 'cache') : none('fetch-failed', `policy ${id} failed to fetch recently; next try after ${new Date(retryAt).toISOString()}`);
    }
    const answer = await this.fetcher.fetch(domain);
    const parsed = answer.ok ? parseMtaStsPolicy(answer.text) : answer;
    if (!parsed.ok) {
      this.rememberFailure(key);
      return failed(parsed.reason);
    }
    this.failures.delete(key);
    const fetchedAt = this.now();
    const policy: MtaStsCachedPolicy = { id, ...parsed.policy, fetchedAt, expiresAt: fetchedAt + parsed.policy.maxAge * 1000 };
    this.emit({ type: 'fetched', domain, id, mode: policy.mode, maxAge: policy.maxAge });
    try {
      await this.cache.put(domain, policy);
    } catch (err) {
      // The policy is good for this delivery even if it could not be kept.
      this.emit({ type: 'cache-failed', domain, detail: err instanceof Error ? err.message : String(err) });
    }
    return fromCache(policy, 'fetched');
  }

  private rememberFailure(key: string): void {
    this.failures.delete(key);
    if (this.failures.size >= MAX_REMEMBERED_FAILURES) {
      const oldest = this.failures.keys().next();
      if (!oldest.done) this.failures.delete(oldest.value);
    }
    this.failures.set(key, this.now() + FETCH_RETRY_AFTER_MS);
  }
}
