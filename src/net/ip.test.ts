import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionLimiter } from './connection-limiter.js';
import { clientKey, isLoopback, normalizeIp } from './ip.js';

describe('client addresses', () => {
  it('normalises IPv4-mapped IPv6 before comparing', () => {
    assert.equal(normalizeIp('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(normalizeIp('::FFFF:127.0.0.1'), '127.0.0.1');
    assert.ok(isLoopback('::ffff:127.0.0.1'));
    assert.ok(!isLoopback('::ffff:192.0.2.7'));
  });

  it('groups IPv6 clients by /64', () => {
    assert.equal(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:2:ffff::9'));
    assert.notEqual(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'));
  });

  it('limits slots per client and frees them', () => {
    const limiter = new ConnectionLimiter(2);
    assert.ok(limiter.acquire('192.0.2.1'));
    assert.ok(limiter.acquire('::ffff:192.0.2.1'));
    assert.equal(limiter.acquire('192.0.2.1'), false, 'mapped form counts as the same client');
    assert.ok(limiter.acquire('192.0.2.2'));
    limiter.release('192.0.2.1');
    assert.ok(limiter.acquire('192.0.2.1'));
  });
});

describe('networks', () => {
  it('matches addresses against CIDR networks, IPv4-mapped included', async () => {
    const { inNetworks, isNetwork } = await import('./ip.js');
    const table: [string, string[], boolean][] = [
      ['127.0.0.1', ['127.0.0.0/8'], true],
      ['::ffff:127.0.0.5', ['127.0.0.0/8'], true],
      ['128.0.0.1', ['127.0.0.0/8'], false],
      ['192.0.2.9', ['192.0.2.9'], true],
      ['192.0.2.9', ['0.0.0.0/0'], true],
      ['::1', ['::1/128'], true],
      ['::2', ['::1/128'], false],
      ['2001:db8:1::5', ['2001:db8::/32'], true],
      ['2001:db9::5', ['2001:db8::/32'], false],
      ['127.0.0.1', ['::1/128'], false],
      ['::1', ['127.0.0.0/8'], false],
    ];
    for (const [ip, nets, expected] of table) assert.equal(inNetworks(ip, nets), expected, `${ip} in ${nets}`);
    assert.ok(isNetwork('10.0.0.0/8') && isNetwork('::1') && isNetwork('2001:db8::/48'));
    assert.ok(!isNetwork('10.0.0.0/33') && !isNetwork('example.com') && !isNetwork('1.2.3.4/x'));
  });
});
