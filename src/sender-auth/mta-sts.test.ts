import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeDns, type FakeZone } from '../dns/fake-client.js';
import type { MtaStsCache, MtaStsCachedPolicy } from '../store/types.js';
import {
  FETCH_RETRY_AFTER_MS, MAX_AGE_LIMIT_SECONDS, MtaStsPolicies, mxAllowed, parseMtaStsPolicy, parseStsRecord, REFRESH_AFTER_MS,
  type MtaStsEvent, type MtaStsPolicyFetcher, type MtaStsResult, type PolicyFetchResult,
} from './mta-sts.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

class MemoryCache implements MtaStsCache {
  readonly rows = new Map<string, MtaStsCachedPolicy>();
  failPut = false;
  async get(domain: string) { return this.rows.get(domain); }
  async put(domain: string, policy: MtaStsCachedPolicy) {
    if (this.failPut) throw new Error('disk full');
    this.rows.set(domain, { ...policy, mx: [...policy.mx] });
  }
  async delete(domain: string) { this.rows.delete(domain); }
}

class FakeFetcher implements MtaStsPolicyFetcher {
  readonly calls: string[] = [];
  constructor(public answers: Record<string, PolicyFetchResult>) {}
  async fetch(domain: string): Promise<PolicyFetchResult> {
    this.calls.push(domain);
    return this.answers[domain] ?? { ok: false, reason: 'connection refused' };
  }
}

const body = (mode: string, mx: string[], maxAge: number | string, eol = '\r\n') =>
  ['version: STSv1', `mode: ${mode}`, ...mx.map((m) => `mx: ${m}`), `max_age: ${maxAge}`].join(eol) + eol;
const served = (text: string): PolicyFetchResult => ({ ok: true, text });
const sts = (id: string) => `v=STSv1; id=${id};`;

function setup(zone: FakeZone, answers: Record<string, PolicyFetchResult> = {}) {
  const clock = { t: T0 };
  const dns = fakeDns(zone);
  const fetcher = new FakeFetcher(answers);
  const cache = new MemoryCache();
  const events: MtaStsEvent[] = [];
  const policies = new MtaStsPolicies({ dns, fetcher, cache, now: () => clock.t, onEvent: (e) => events.push(e) });
  return { clock, dns, fetcher, cache, events, policies, zone };
}

const enforced = (r: MtaStsResult) => {
  assert.notEqual(r.mode, 'none', JSON.stringify(r));
  return r as Exclude<MtaStsResult, { mode: 'none' }>;
};

describe('MTA-STS TXT record (RFC 8461 3.1)', () => {
  it('takes the id of the one v=STSv1 record, ignoring other TXT records', () => {
    assert.deepEqual(parseStsRecord(['v=spf1 -all', 'v=STSv1; id=20160831085700Z;']), { ok: true, id: '20160831085700Z' });
    assert.deepEqual(parseStsRecord(['v=STSv1;id=abc']), { ok: true, id: 'abc' });
    assert.deepEqual(parseStsRecord(['v=STSv1 ; id=abc ; ext.x=1']), { ok: true, id: 'abc' });
  });

  it('a record without id, with a malformed id, or with a malformed field is invalid', () => {
    assert.equal(parseStsRecord(['v=STSv1;']).ok, false);
    assert.equal(parseStsRecord(['v=STSv1; foo=bar']).ok, false);
    assert.equal(parseStsRecord(['v=STSv1; id=a-b']).ok, false);
    assert.equal(parseStsRecord([`v=STSv1; id=${'a'.repeat(33)}`]).ok, false);
    assert.equal(parseStsRecord(['v=STSv1; id=abc;; x=1']).ok, false);
    assert.equal(parseStsRecord(['v=STSv1; id=abc; x y=1']).ok, false);
  });

  it('two v=STSv1 records are invalid; literals are case-sensitive (RFC 7405)', () => {
    assert.deepEqual(parseStsRecord([sts('a'), sts('b')]), { ok: false, reason: 'invalid-record', detail: '2 v=STSv1 TXT records' });
    assert.equal(parseStsRecord(['V=stsv1; id=abc']).ok, false);
    assert.deepEqual(parseStsRecord(['v=STSv1; ID=abc']), { ok: false, reason: 'invalid-record', detail: 'v=STSv1 record without id' });
  });
});

describe('MTA-STS policy text (RFC 8461 3.2)', () => {
  it('reads CRLF and LF lines alike', () => {
    const expected = { ok: true, policy: { mode: 'enforce', mx: ['mail.example.com', '*.example.net'], maxAge: 604800 } };
    assert.deepEqual(parseMtaStsPolicy(body('enforce', ['mail.example.com', '*.example.net'], 604800)), expected);
    assert.deepEqual(parseMtaStsPolicy(body('enforce', ['mail.example.com', '*.example.net'], 604800, '\n')), expected);
  });

  it('caps max_age at 31557600 seconds', () => {
    const parsed = parseMtaStsPolicy(body('testing', ['mx.example.com'], 99_999_999_9));
    assert.deepEqual(parsed, { ok: true, policy: { mode: 'testing', mx: ['mx.example.com'], maxAge: MAX_AGE_LIMIT_SECONDS } });
  });

  it('refuses a max_age that is not digits, a missing max_age, a wrong version, enforce without mx', () => {
    assert.equal(parseMtaStsPolicy(body('enforce', ['mx.example.com'], '1e3')).ok, false);
    assert.equal(parseMtaStsPolicy(body('enforce', ['mx.example.com'], '')).ok, false);
    assert.equal(parseMtaStsPolicy('version: STSv1\nmode: enforce\nmx: mx.example.com\n').ok, false);
    assert.equal(parseMtaStsPolicy(body('enforce', ['mx.example.com'], 60).replace('STSv1', 'STSv2')).ok, false);
    assert.equal(parseMtaStsPolicy(body('enforce', [], 60)).ok, false);
    assert.equal(parseMtaStsPolicy(body('block', ['mx.example.com'], 60)).ok, false);
  });

  it('refuses an mx pattern that is not a domain name (wildcards only as the whole left-most label, A-labels only)', () => {
    for (const bad of ['*', '*.*.example.com', 'mx*.example.com', 'exa mple.com', 'mx.bücher.example']) {
      assert.equal(parseMtaStsPolicy(body('enforce', [bad], 60)).ok, false, bad);
    }
  });

  it('keeps the first of a repeated mode or max_age (a later line cannot weaken the policy)', () => {
    const text = 'version: STSv1\nmode: enforce\nmode: none\nmx: mx.example.com\nmax_age: 600\nmax_age: 1\nextension_x: y\n';
    assert.deepEqual(parseMtaStsPolicy(text), { ok: true, policy: { mode: 'enforce', mx: ['mx.example.com'], maxAge: 600 } });
  });

  it('mode none needs no mx', () => {
    assert.deepEqual(parseMtaStsPolicy(body('none', [], 86400)), { ok: true, policy: { mode: 'none', mx: [], maxAge: 86400 } });
  });
});

describe('MX host matching (RFC 8461 4.1)', () => {
  const policy: MtaStsResult = { mode: 'enforce', id: 'a', mx: ['mail.example.com', '*.example.net'], maxAge: 60, expiresAt: 0, source: 'cache' };

  it('matches a name exactly, ignoring case and a trailing dot', () => {
    assert.equal(mxAllowed(policy, 'mail.example.com'), true);
    assert.equal(mxAllowed(policy, 'MAIL.Example.COM.'), true);
    assert.equal(mxAllowed(policy, 'mail2.example.com'), false);
    assert.equal(mxAllowed(policy, 'example.com'), false);
  });

  it('a wildcard stands for exactly one label: not the bare suffix, not two labels', () => {
    assert.equal(mxAllowed(policy, 'mx1.example.net'), true);
    assert.equal(mxAllowed(policy, 'example.net'), false);
    assert.equal(mxAllowed(policy, 'a.b.example.net'), false);
    assert.equal(mxAllowed(policy, 'evilexample.net'), false);
  });

  it('mode none allows any host; a testing policy restricts like enforce', () => {
    assert.equal(mxAllowed({ mode: 'none', reason: 'no-record', detail: '' }, 'anything.example'), true);
    assert.equal(mxAllowed({ ...policy, mode: 'testing' }, 'other.example'), false);
  });
});

describe('MtaStsPolicies.policyFor', () => {
  it('no TXT record: no policy, nothing fetched', async () => {
    const s = setup({});
    assert.deepEqual(await s.policies.policyFor('example.com'), { mode: 'none', reason: 'no-record', detail: '_mta-sts.example.com does not exist' });
    assert.deepEqual(s.dns.asked, ['TXT _mta-sts.example.com']);
    assert.deepEqual(s.fetcher.calls, []);
  });

  it('a TXT record without id or two STSv1 records: no policy, nothing fetched, the record reported', async () => {
    const s = setup({ '_mta-sts.a.example': { txt: ['v=STSv1;'] }, '_mta-sts.b.example': { txt: [sts('one'), sts('two')] } });
    assert.equal((await s.policies.policyFor('a.example') as { reason: string }).reason, 'invalid-record');
    assert.equal((await s.policies.policyFor('b.example') as { reason: string }).reason, 'invalid-record');
    assert.deepEqual(s.fetcher.calls, []);
    assert.deepEqual(s.events.map((e) => e.type), ['invalid-record', 'invalid-record']);
  });

  it('a TXT record with id: fetches the enforce policy, caches it until fetched_at + max_age', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: ['v=spf1 -all', sts('id1')] } }, { 'example.com': served(body('enforce', ['mx.example.com'], 86400)) });
    const r = enforced(await s.policies.policyFor('Example.COM.'));
    assert.deepEqual(r, { mode: 'enforce', id: 'id1', mx: ['mx.example.com'], maxAge: 86400, expiresAt: T0 + DAY, source: 'fetched' });
    assert.deepEqual(s.cache.rows.get('example.com'), { id: 'id1', mode: 'enforce', mx: ['mx.example.com'], maxAge: 86400, fetchedAt: T0, expiresAt: T0 + DAY });
    assert.deepEqual(s.events, [{ type: 'fetched', domain: 'example.com', id: 'id1', mode: 'enforce', maxAge: 86400 }]);
  });

  it('a testing policy is returned as testing', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: [sts('t')] } }, { 'example.com': served(body('testing', ['*.example.com'], 3600)) });
    assert.equal((await s.policies.policyFor('example.com')).mode, 'testing');
  });

  it('a max_age over a year is cached for a year only', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: [sts('big')] } }, { 'example.com': served(body('enforce', ['mx.example.com'], 4_000_000_000)) });
    const r = enforced(await s.policies.policyFor('example.com'));
    assert.equal(r.maxAge, MAX_AGE_LIMIT_SECONDS);
    assert.equal(r.expiresAt, T0 + MAX_AGE_LIMIT_SECONDS * 1000);
  });

  it('cache hit with the id unchanged: no fetch', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: [sts('id1')] } }, { 'example.com': served(body('enforce', ['mx.example.com'], 30 * 86400)) });
    await s.policies.policyFor('example.com');
    s.clock.t += 3_600_000;
    const r = enforced(await s.policies.policyFor('example.com'));
    assert.equal(r.source, 'cache');
    assert.equal(r.id, 'id1');
    assert.deepEqual(s.fetcher.calls, ['example.com']);
  });

  it('the id changed: the policy is fetched again and replaces the cached one', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: [sts('id1')] } }, { 'example.com': served(body('enforce', ['mx.example.com'], 30 * 86400)) });
    await s.policies.policyFor('example.com');
    s.zone['_mta-sts.example.com'] = { txt: [sts('id2')] };
    s.fetcher.answers['example.com'] = served(body('enforce', ['mx2.example.com'], 7 * 86400));
    s.clock.t += 60_000;
    const r = enforced(await s.policies.policyFor('example.com'));
    assert.deepEqual([r.id, r.mx, r.source], ['id2', ['mx2.example.com'], 'fetched']);
    assert.equal(s.cache.rows.get('example.com')?.id, 'id2');
    assert.equal(s.fetcher.calls.length, 2);
  });

  it('fetch failure without a cached policy: no policy, with the reason, reported', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: [sts('id1')] } }, { 'example.com': { ok: false, reason: 'HTTP 404' } });
    assert.deepEqual(await s.policies.policyFor('example.com'), { mode: 'none', reason: 'fetch-failed', detail: 'HTTP 404' });
    assert.deepEqual(s.events, [{ type: 'fetch-failed', domain: 'example.com', id: 'id1', reason: 'HTTP 404', kept: null }]);
    assert.equal(s.cache.rows.size, 0);
  });

  it('an unparsable policy counts as a failed fetch', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: [sts('id1')] } }, { 'example.com': served('<html>hello</html>') });
    const r = await s.policies.policyFor('example.com');
    assert.equal(r.mode, 'none');
    assert.match((r as { detail: string }).detail, /^invalid policy/);
  });

  it('fetch failure with a live cached policy: the cached policy stays in force, and the failure is reported with it', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: [sts('id1')] } }, { 'example.com': served(body('enforce', ['mx.example.com'], 30 * 86400)) });
    await s.policies.policyFor('example.com');
    s.zone['_mta-sts.example.com'] = { txt: [sts('id2')] };
    s.fetcher.answers['example.com'] = { ok: false, reason: 'timed out' };
    const r = enforced(await s.policies.policyFor('example.com'));
    assert.deepEqual([r.id, r.source], ['id1', 'cache']);
    assert.deepEqual(s.events.at(-1), { type: 'fetch-failed', domain: 'example.com', id: 'id2', reason: 'timed out', kept: 'enforce' });
    assert.equal(s.cache.rows.get('example.com')?.id, 'id1');
  });

  it('after a failed fetch the same id is not fetched again for five minutes (RFC 8461 3.3)', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: [sts('id1')] } }, { 'example.com': { ok: false, reason: 'refused' } });
    await s.policies.policyFor('example.com');
    s.clock.t += FETCH_RETRY_AFTER_MS - 1;
    const again = await s.policies.policyFor('example.com');
    assert.equal((again as { reason: string }).reason, 'fetch-failed');
    assert.equal(s.fetcher.calls.length, 1);
    s.zone['_mta-sts.example.com'] = { txt: [sts('id2')] };
    await s.policies.policyFor('example.com');
    assert.equal(s.fetcher.calls.length, 2, 'a new id is fetched at once');
    s.zone['_mta-sts.example.com'] = { txt: [sts('id1')] };
    s.clock.t += 1;
    s.fetcher.answers['example.com'] = served(body('enforce', ['mx.example.com'], 600));
    assert.equal((await s.policies.policyFor('example.com')).mode, 'enforce');
    assert.equal(s.fetcher.calls.length, 3);
  });

  it('TXT record gone or DNS failing temporarily: the live cached policy applies without a fetch', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: [sts('id1')] } }, { 'example.com': served(body('enforce', ['mx.example.com'], 30 * 86400)) });
    await s.policies.policyFor('example.com');
    delete s.zone['_mta-sts.example.com'];
    assert.equal(enforced(await s.policies.policyFor('example.com')).source, 'cache');
    s.zone['_mta-sts.example.com'] = { txt: 'temporary' };
    assert.equal(enforced(await s.policies.policyFor('example.com')).source, 'cache');
    s.zone['_mta-sts.example.com'] = { txt: [sts('a'), sts('b')] };
    assert.equal(enforced(await s.policies.policyFor('example.com')).source, 'cache');
    assert.equal(s.fetcher.calls.length, 1);
  });

  it('DNS failing temporarily with nothing cached: no policy, said so', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: 'temporary' } });
    const r = await s.policies.policyFor('example.com');
    assert.equal((r as { reason: string }).reason, 'dns-temporary');
  });

  it('expiry: past fetched_at + max_age the cached policy no longer applies', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: [sts('id1')] } }, { 'example.com': served(body('enforce', ['mx.example.com'], 3600)) });
    await s.policies.policyFor('example.com');
    s.clock.t = T0 + 3_600_000 - 1;
    assert.equal(enforced(await s.policies.policyFor('example.com')).source, 'cache');
    s.clock.t = T0 + 3_600_000;
    // Same id, but expired: fetched again.
    assert.equal(enforced(await s.policies.policyFor('example.com')).source, 'fetched');
    assert.equal(s.cache.rows.get('example.com')?.expiresAt, T0 + 2 * 3_600_000);
    // Expired and the record gone: no policy, and the stale row is removed.
    delete s.zone['_mta-sts.example.com'];
    s.clock.t = T0 + 2 * 3_600_000;
    assert.equal((await s.policies.policyFor('example.com') as { reason: string }).reason, 'no-record');
    assert.equal(s.cache.rows.size, 0);
  });

  it('mode none replaces a cached policy and is cached itself, so the next lookup fetches nothing', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: [sts('id1')] } }, { 'example.com': served(body('enforce', ['mx.example.com'], 30 * 86400)) });
    await s.policies.policyFor('example.com');
    s.zone['_mta-sts.example.com'] = { txt: [sts('off')] };
    s.fetcher.answers['example.com'] = served(body('none', [], 86400));
    assert.deepEqual(await s.policies.policyFor('example.com'), { mode: 'none', reason: 'policy-none', detail: 'policy off has mode none' });
    assert.deepEqual(s.cache.rows.get('example.com'), { id: 'off', mode: 'none', mx: [], maxAge: 86400, fetchedAt: T0, expiresAt: T0 + DAY });
    assert.equal((await s.policies.policyFor('example.com') as { reason: string }).reason, 'policy-none');
    assert.equal(s.fetcher.calls.length, 2);
  });

  it('a cached policy older than a day is fetched again when used (RFC 8461 10.2); a failed refresh keeps it', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: [sts('id1')] } }, { 'example.com': served(body('enforce', ['mx.example.com'], 30 * 86400)) });
    await s.policies.policyFor('example.com');
    s.clock.t = T0 + REFRESH_AFTER_MS;
    const refreshed = enforced(await s.policies.policyFor('example.com'));
    assert.deepEqual([refreshed.source, refreshed.expiresAt], ['fetched', T0 + REFRESH_AFTER_MS + 30 * DAY]);
    s.clock.t = T0 + 2 * REFRESH_AFTER_MS;
    delete s.zone['_mta-sts.example.com'];
    s.fetcher.answers['example.com'] = { ok: false, reason: 'refused' };
    const kept = enforced(await s.policies.policyFor('example.com'));
    assert.deepEqual([kept.source, kept.id], ['cache', 'id1']);
    assert.equal(s.fetcher.calls.length, 3);
    assert.equal(s.events.at(-1)?.type, 'fetch-failed');
  });

  it('concurrent lookups for one domain share one TXT query and one fetch', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: [sts('id1')] } }, { 'example.com': served(body('enforce', ['mx.example.com'], 600)) });
    const results = await Promise.all([s.policies.policyFor('example.com'), s.policies.policyFor('EXAMPLE.com'), s.policies.policyFor('example.com')]);
    assert.deepEqual(results.map((r) => r.mode), ['enforce', 'enforce', 'enforce']);
    assert.deepEqual(s.dns.asked, ['TXT _mta-sts.example.com']);
    assert.equal(s.fetcher.calls.length, 1);
  });

  it('a cache that cannot be written does not cost the delivery its policy', async () => {
    const s = setup({ '_mta-sts.example.com': { txt: [sts('id1')] } }, { 'example.com': served(body('enforce', ['mx.example.com'], 600)) });
    s.cache.failPut = true;
    assert.equal(enforced(await s.policies.policyFor('example.com')).source, 'fetched');
    assert.deepEqual(s.events.at(-1), { type: 'cache-failed', domain: 'example.com', detail: 'disk full' });
  });

  it('an address literal or malformed domain has no policy and asks nothing', async () => {
    const s = setup({});
    assert.equal((await s.policies.policyFor('[192.0.2.1]') as { reason: string }).reason, 'invalid-domain');
    assert.deepEqual(s.dns.asked, []);
  });

  it('a Unicode domain is looked up by its A-label', async () => {
    const s = setup({ '_mta-sts.xn--bcher-kva.example': { txt: [sts('u')] } }, { 'xn--bcher-kva.example': served(body('enforce', ['mx.xn--bcher-kva.example'], 600)) });
    assert.equal((await s.policies.policyFor('bücher.example')).mode, 'enforce');
    assert.deepEqual(s.fetcher.calls, ['xn--bcher-kva.example']);
  });
});
