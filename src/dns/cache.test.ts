/*
 * The answer cache over a counting DNS client (the declarative fake
 * resolver; the cache is the thing under test): TTLs and their cap,
 * negative caching by the SOA or the default, temporary failures never
 * kept, the LRU bound, shared in-flight lookups, counted-down TTLs, and
 * answers a caller cannot change for the next one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CachingDnsClient } from './cache.js';
import type { DnsAnswer, DnsClient } from './client.js';
import { DEFAULT_NEGATIVE_TTL_SECONDS, MAX_CACHE_TTL_SECONDS } from './limits.js';

/** A client answering every A lookup with `answer(name)`, counting questions; `gate` holds answers back until released. */
function counting(answer: (name: string) => DnsAnswer<string>) {
  const asked: string[] = [];
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const client: DnsClient = {
    a: async (name) => {
      asked.push(`A ${name}`);
      if (gate) await gate;
      return answer(name);
    },
    aaaa: async (name) => (asked.push(`AAAA ${name}`), answer(name)),
    mx: async (name) => (asked.push(`MX ${name}`), { ok: false, kind: 'nodata', detail: 'none' }),
    txt: async (name) => (asked.push(`TXT ${name}`), answer(name)),
    tlsa: async (name) => (asked.push(`TLSA ${name}`), { ok: false, kind: 'nxdomain', detail: 'none' }),
  };
  return {
    client,
    asked,
    hold() {
      gate = new Promise((resolve) => (release = resolve));
    },
    release() {
      gate = undefined;
      release?.();
    },
  };
}

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (seconds: number) => (now += seconds * 1000) };
}

const records = (ttl?: number): DnsAnswer<string> => ({ ok: true, records: ['192.0.2.1'], authenticated: true, ...(ttl === undefined ? {} : { ttl }) });

describe('CachingDnsClient', () => {
  it('keeps records for their TTL, keyed by type and name (case and trailing dot ignored)', async () => {
    const inner = counting(() => records(300));
    const time = clock();
    const dns = new CachingDnsClient(inner.client, { clock: time });
    await dns.a('mx.example.net');
    await dns.a('MX.Example.NET.');
    await dns.aaaa('mx.example.net');
    time.advance(299);
    await dns.a('mx.example.net');
    assert.deepEqual(inner.asked, ['A mx.example.net', 'AAAA mx.example.net']);
    time.advance(1);
    await dns.a('mx.example.net');
    assert.equal(inner.asked.length, 3);
  });

  it('a cached answer says how much of its TTL is left, and keeps its AD bit', async () => {
    const time = clock();
    const dns = new CachingDnsClient(counting(() => records(300)).client, { clock: time });
    await dns.a('mx.example.net');
    time.advance(100);
    assert.deepEqual(await dns.a('mx.example.net'), { ok: true, records: ['192.0.2.1'], authenticated: true, ttl: 200 });
  });

  it(`caps a long TTL at ${MAX_CACHE_TTL_SECONDS} s`, async () => {
    const inner = counting(() => records(86_400));
    const time = clock();
    const dns = new CachingDnsClient(inner.client, { clock: time });
    await dns.a('mx.example.net');
    time.advance(MAX_CACHE_TTL_SECONDS);
    await dns.a('mx.example.net');
    assert.equal(inner.asked.length, 2);
  });

  const notKept: [string, DnsAnswer<string>][] = [
    ['a temporary failure', { ok: false, kind: 'temporary', detail: 'SERVFAIL' }],
    ['records with TTL 0', records(0)],
    ['records without a TTL (a client that cannot tell)', records()],
    ['a denial whose SOA says 0', { ok: false, kind: 'nxdomain', detail: 'gone', ttl: 0 }],
  ];
  for (const [what, answer] of notKept) {
    it(`${what} is not kept`, async () => {
      const inner = counting(() => answer);
      const dns = new CachingDnsClient(inner.client, { clock: clock() });
      await dns.a('mx.example.net');
      await dns.a('mx.example.net');
      assert.equal(inner.asked.length, 2);
    });
  }

  it('keeps a denial for its SOA-derived TTL, or the default when it has none', async () => {
    const time = clock();
    const inner = counting((name) => (name.startsWith('soa') ? { ok: false, kind: 'nodata', detail: 'none', ttl: 600 } : { ok: false, kind: 'nxdomain', detail: 'gone' }));
    const dns = new CachingDnsClient(inner.client, { clock: time });
    await dns.a('soa.example.net');
    await dns.a('bare.example.net');
    time.advance(DEFAULT_NEGATIVE_TTL_SECONDS);
    await dns.a('soa.example.net');
    await dns.a('bare.example.net');
    assert.deepEqual(inner.asked, ['A soa.example.net', 'A bare.example.net', 'A bare.example.net']);
    time.advance(600);
    await dns.a('soa.example.net');
    assert.equal(inner.asked.length, 4);
  });

  it('concurrent identical lookups share one query; different ones do not', async () => {
    const inner = counting(() => records(300));
    const dns = new CachingDnsClient(inner.client, { clock: clock() });
    inner.hold();
    const all = Promise.all([dns.a('mx.example.net'), dns.a('mx.example.net'), dns.a('MX.example.net'), dns.a('other.example.net')]);
    await new Promise((resolve) => setImmediate(resolve));
    inner.release();
    const answers = await all;
    assert.deepEqual(inner.asked, ['A mx.example.net', 'A other.example.net']);
    assert.ok(answers.every((a) => a.ok));
  });

  it('a temporary failure is shared by the lookups waiting on it, and the next lookup asks again', async () => {
    const inner = counting(() => ({ ok: false, kind: 'temporary', detail: 'timeout' }));
    const dns = new CachingDnsClient(inner.client, { clock: clock() });
    inner.hold();
    const both = Promise.all([dns.a('mx.example.net'), dns.a('mx.example.net')]);
    await new Promise((resolve) => setImmediate(resolve));
    inner.release();
    assert.deepEqual((await both).map((a) => !a.ok && a.kind), ['temporary', 'temporary']);
    await dns.a('mx.example.net');
    assert.equal(inner.asked.length, 2);
  });

  it('a lookup that throws reaches every waiter and is not kept', async () => {
    let calls = 0;
    const throwing: DnsClient = { ...counting(() => records(300)).client, a: async () => { calls++; throw new Error('boom'); } };
    const dns = new CachingDnsClient(throwing, { clock: clock() });
    await assert.rejects(Promise.all([dns.a('x.example'), dns.a('x.example')]), /boom/);
    await assert.rejects(dns.a('x.example'), /boom/);
    assert.equal(calls, 2);
  });

  it('holds at most maxEntries answers, dropping the least recently used', async () => {
    const inner = counting(() => records(300));
    const dns = new CachingDnsClient(inner.client, { clock: clock(), maxEntries: 2 });
    await dns.a('one.example');
    await dns.a('two.example');
    await dns.a('one.example'); // one is now the most recently used
    await dns.a('three.example'); // two goes
    assert.equal(dns.size, 2);
    inner.asked.length = 0;
    await dns.a('one.example');
    await dns.a('three.example');
    await dns.a('two.example');
    assert.deepEqual(inner.asked, ['A two.example']);
  });

  it("one caller changing its records does not change the next caller's", async () => {
    const dns = new CachingDnsClient(counting(() => records(300)).client, { clock: clock() });
    const first = await dns.a('mx.example.net');
    if (first.ok) first.records.push('203.0.113.9');
    const second = await dns.a('mx.example.net');
    assert.deepEqual(second.ok && second.records, ['192.0.2.1']);
  });

  it('clear() forgets every answer', async () => {
    const inner = counting(() => records(300));
    const dns = new CachingDnsClient(inner.client, { clock: clock() });
    await dns.a('mx.example.net');
    dns.clear();
    await dns.a('mx.example.net');
    assert.equal(inner.asked.length, 2);
  });
});
