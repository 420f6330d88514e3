import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientRates, type RateKind } from './client-rates.js';

describe('ClientRates', () => {
  const make = (limits: Partial<Record<RateKind, number>>, start = 1_700_000_040_000) => {
    let now = start;
    const rates = new ClientRates(() => ({ connections: 0, messages: 0, recipients: 0, ...limits }), () => now);
    return { rates, advance: (ms: number) => (now += ms) };
  };

  it('allows up to the limit in a minute, then refuses without counting the refusal', () => {
    const { rates } = make({ messages: 3 });
    assert.deepEqual([1, 2, 3, 4, 5].map(() => rates.take('192.0.2.1', 'messages')), [true, true, true, false, false]);
    assert.equal(rates.rate('192.0.2.1', 'messages'), 3);
    assert.equal(rates.take('192.0.2.2', 'messages'), true, 'another client has its own count');
  });

  it('counts several at once (recipients) and refuses a batch that would go over', () => {
    const { rates } = make({ recipients: 10 });
    assert.equal(rates.take('192.0.2.1', 'recipients', 8), true);
    assert.equal(rates.take('192.0.2.1', 'recipients', 3), false);
    assert.equal(rates.take('192.0.2.1', 'recipients', 2), true);
  });

  it('groups IPv6 clients by /64 and keeps the kinds apart', () => {
    const { rates } = make({ connections: 2, messages: 1 });
    assert.equal(rates.take('2001:db8::1', 'connections'), true);
    assert.equal(rates.take('2001:db8::2', 'connections'), true);
    assert.equal(rates.take('2001:db8::3', 'connections'), false, 'same /64');
    assert.equal(rates.take('2001:db8:0:1::1', 'connections'), true, 'another /64');
    assert.equal(rates.take('2001:db8::1', 'messages'), true);
  });

  it('slides: the previous minute weighs less as the current one goes on, and is forgotten after two', () => {
    const { rates, advance } = make({ messages: 10 }, 1_700_000_040_000); // a minute boundary
    for (let i = 0; i < 10; i++) assert.ok(rates.take('192.0.2.1', 'messages'));
    assert.equal(rates.take('192.0.2.1', 'messages'), false);
    advance(60_000); // next window, at its start: the previous counts whole
    assert.equal(rates.take('192.0.2.1', 'messages'), false);
    advance(30_000); // half way: 10 x 0.5 = 5 counted
    assert.equal(rates.rate('192.0.2.1', 'messages'), 5);
    for (let i = 0; i < 5; i++) assert.ok(rates.take('192.0.2.1', 'messages'));
    assert.equal(rates.take('192.0.2.1', 'messages'), false);
    advance(120_000);
    assert.equal(rates.rate('192.0.2.1', 'messages'), 0);
  });

  it('0 is no limit', () => {
    const { rates } = make({});
    for (let i = 0; i < 1000; i++) assert.ok(rates.take('192.0.2.1', 'connections'));
  });
});
