/*
 * The shared failed-login counter: free tries, the doubling tarpit, the
 * ban and its end, fading counts, IPv6 grouped by /64, the per-account
 * delay that never bans, lifting a ban, bounded memory.
 *
 * Security: test only (a fake clock).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthFailures, type AuthFailurePolicy } from './auth-failures.js';

const policy: AuthFailurePolicy = { freeFailures: 2, baseDelayMs: 100, maxDelayMs: 800, banFailures: 6, banMs: 60_000, windowMs: 10_000, accountFreeFailures: 3 };

function tracker() {
  const clock = { t: 1_000_000, now() { return this.t; } };
  return { f: new AuthFailures(policy, clock), clock };
}

describe('AuthFailures', () => {
  it('password guessing from one address: free tries, then a doubling delay capped, then a ban', () => {
    const { f } = tracker();
    const delays = Array.from({ length: 6 }, (_, i) => f.fail('192.0.2.1', `user${i}`));
    assert.deepEqual(delays, [0, 0, 100, 200, 400, 800]);
    assert.equal(f.banned('192.0.2.1'), true);
    assert.equal(f.banned('192.0.2.2'), false);
    assert.deepEqual(f.bans().map((b) => b.client), ['192.0.2.1']);
  });

  it('the start of a ban is reported once (the server logs it for the administrator)', () => {
    const bans: string[] = [];
    const f = new AuthFailures(policy, { now: () => 5 }, undefined, (b) => bans.push(`${b.client} ${b.failures} ${b.until}`));
    for (let i = 0; i < 8; i++) f.fail('2001:db8::1', 'x');
    assert.deepEqual(bans, ['2001:0db8:0000:0000::/64 6 60005']);
  });

  it('the ban ends after banMs and the counts fade after a quiet window', () => {
    const { f, clock } = tracker();
    for (let i = 0; i < 6; i++) f.fail('192.0.2.1', 'alice');
    clock.t += 59_000;
    assert.equal(f.banned('192.0.2.1'), true);
    clock.t += 2_000;
    assert.equal(f.banned('192.0.2.1'), false);
    clock.t += 10_001;
    assert.equal(f.failures('192.0.2.1'), 0);
  });

  it('IPv6 clients are counted by /64 and IPv4-mapped addresses as IPv4', () => {
    const { f } = tracker();
    for (let i = 0; i < 6; i++) f.fail(`2001:db8:1:2::${i + 1}`, 'x');
    assert.equal(f.banned('2001:db8:1:2:ffff::9'), true);
    assert.equal(f.banned('2001:db8:1:3::1'), false);
    f.fail('::ffff:198.51.100.7', 'x');
    assert.equal(f.failures('198.51.100.7'), 1);
  });

  it('a distributed guesser against one account is slowed but never bans the account: another address is not banned', () => {
    const { f } = tracker();
    const delays = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5'].map((ip) => f.fail(ip, 'Alice@example.com'));
    assert.deepEqual(delays, [0, 0, 0, 100, 200]);
    assert.equal(f.banned('198.51.100.1'), false);
  });

  it('an administrator lifts a ban', () => {
    const { f } = tracker();
    for (let i = 0; i < 6; i++) f.fail('192.0.2.1', 'a');
    assert.equal(f.lift('192.0.2.1'), true);
    assert.equal(f.banned('192.0.2.1'), false);
    assert.equal(f.failures('192.0.2.1'), 0);
  });

  it('a flood of addresses and names stays bounded', () => {
    const { f } = tracker();
    for (let i = 0; i < 120_000; i++) f.fail(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `u${i}`);
    assert.equal(f.failures('10.0.0.0'), 0, 'the oldest entries were forgotten');
    assert.equal(f.failures('10.1.212.191'), 1);
  });
});

describe('AuthFailures exemptions', () => {
  it('an exempt client (a webmail on loopback) is never counted nor banned', () => {
    const f = new AuthFailures(policy, { now: () => 0 }, (ip) => ip === '127.0.0.1');
    for (let i = 0; i < 10; i++) assert.equal(f.fail('127.0.0.1', 'a'), 0);
    assert.equal(f.banned('127.0.0.1'), false);
    assert.equal(f.failures('127.0.0.1'), 0);
  });
});
