/*
 * DNSBL (RFC 5782) over the fake resolver: a listed client is refused at
 * RCPT naming the zone (postmaster@ still reachable), 127.255.255.x and
 * answers outside 127/8 are could-not-tell, a failed lookup lets mail
 * through, IPv6 nibbles, private and trusted clients are not asked, and
 * with action "score" the listing is only a fact.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeDns, type FakeZone } from '../../dns/fake-client.js';
import { silentLogger } from '../../telemetry/logger.js';
import { FilterPipeline } from '../pipeline.js';
import type { ClientInfo } from '../types.js';
import { dnsblFilter, readDnsblAnswer } from './filter.js';

const client = (ip: string, trusted = false): ClientInfo => ({ ip, helo: 'x', tls: false, user: null, role: 'mx', trusted });

async function session(zone: FakeZone, ip: string, action: 'reject' | 'score' = 'reject', trusted = false) {
  const dns = fakeDns(zone);
  const p = new FilterPipeline([dnsblFilter({ zones: ['zen.example', 'bl.example'], action }, dns)]);
  const c = await p.connect(client(ip, trusted), silentLogger);
  const run = p.begin({ client: client(ip, trusted), sender: 's@x.example', queueId: 'Q', facts: c.facts, log: silentLogger });
  const user = await run.rcpt({ address: 'u@ours.example', domain: 'ours.example' });
  const postmaster = await run.rcpt({ address: 'Postmaster@ours.example', domain: 'ours.example' });
  run.close();
  return { user, postmaster, facts: run.facts, asked: dns.asked };
}

describe('DNSBL', () => {
  it('reads answers as RFC 5782 and Spamhaus say', () => {
    assert.equal(readDnsblAnswer('127.0.0.2'), 'listed');
    assert.equal(readDnsblAnswer('127.0.0.11'), 'listed');
    assert.equal(readDnsblAnswer('127.255.255.254'), 'could-not-tell');
    assert.equal(readDnsblAnswer('127.0.0.1'), 'could-not-tell');
    assert.equal(readDnsblAnswer('198.51.100.7'), 'could-not-tell');
  });

  it('a listed client: RCPT refused with the zone named, postmaster@ still accepted', async () => {
    const r = await session({ '160.69.2.81.zen.example': { a: ['127.0.0.2'] } }, '81.2.69.160');
    assert.ok(r.user.action === 'reject');
    assert.equal(r.user.error.reply, '554 5.7.1 Service unavailable; client host [81.2.69.160] blocked using zen.example');
    assert.equal(r.postmaster.action, 'continue');
    assert.deepEqual(r.facts.dnsbl, [{ zone: 'zen.example', answer: '127.0.0.2' }]);
    assert.deepEqual(r.asked.sort(), ['A 160.69.2.81.bl.example', 'A 160.69.2.81.zen.example']);
  });

  it('could-not-tell answers and failed lookups let mail through', async () => {
    for (const zone of [{ '160.69.2.81.zen.example': { a: ['127.255.255.254'] } }, { '160.69.2.81.zen.example': { a: ['198.51.100.1'] } }, { '160.69.2.81.zen.example': { a: 'temporary' as const } }]) {
      const r = await session(zone, '81.2.69.160');
      assert.equal(r.user.action, 'continue');
      assert.deepEqual(r.facts.dnsbl, []);
    }
  });

  it('IPv6 is asked by nibbles', async () => {
    const r = await session({}, '2a01:4f8::1');
    assert.ok(r.asked.includes('A 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.f.4.0.1.0.a.2.zen.example'), r.asked.join(' '));
  });

  it('private and trusted clients are not asked', async () => {
    assert.deepEqual((await session({}, '10.1.2.3')).asked, []);
    assert.deepEqual((await session({}, '81.2.69.160', 'reject', true)).asked, []);
  });

  it('action "score": the listing is a fact for the spam scorer, nothing is refused', async () => {
    const r = await session({ '160.69.2.81.bl.example': { a: ['127.0.0.4'] } }, '81.2.69.160', 'score');
    assert.equal(r.user.action, 'continue');
    assert.deepEqual(r.facts.dnsbl, [{ zone: 'bl.example', answer: '127.0.0.4' }]);
  });
});
