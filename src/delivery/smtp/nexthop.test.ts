/*
 * Where mail for a domain goes next, as a table: the domain's MX hosts,
 * an exact route over a subdomain route whatever their order, a
 * subdomain route not matching the parent, the relay for everything
 * else, a route without a host keeping the MX hosts with its own limits,
 * bracketed IP literals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nexthopFor, type RelaySettings, type RouteRule } from './nexthop.js';

const route = (domain: string, extra: Partial<RouteRule> = {}): RouteRule => ({ domain, host: 'gw.example.net', port: 25, mx: false, tls: 'opportunistic', ...extra });
const relay: RelaySettings = { host: 'smtp.isp.test', port: 587, security: 'starttls', username: 'u', password: 'p' };
const routes = [route('.corp.test', { host: 'sub-gw.test' }), route('a.corp.test', { host: '[10.0.0.5]', port: 2525 }), route('slow.test', { host: undefined, concurrency: 2, rate: 30 })];

describe('next hop', () => {
  const cases: [string, RelaySettings | undefined, string][] = [
    ['example.org', undefined, 'mx:example.org'],
    ['EXAMPLE.org.', undefined, 'mx:example.org'],
    ['example.org', relay, 'relay:smtp.isp.test:587'],
    ['a.corp.test', relay, 'route:10.0.0.5:2525:host'],
    ['b.corp.test', relay, 'route:sub-gw.test:25:host'],
    ['corp.test', undefined, 'mx:corp.test'],
    ['slow.test', relay, 'mx:slow.test'],
  ];
  for (const [domain, r, key] of cases) it(`${domain}${r ? ' with a relay' : ''} -> ${key}`, () => assert.equal(nexthopFor(domain, routes, r).key, key));

  it('the relay requires verified TLS and carries its credentials; a route keeps its own TLS setting', () => {
    const viaRelay = nexthopFor('example.org', [], relay);
    assert.ok(viaRelay.kind === 'host' && viaRelay.tls === 'required' && viaRelay.auth?.user === 'u' && viaRelay.relay);
    const routed = nexthopFor('a.corp.test', routes, relay);
    assert.ok(routed.kind === 'host' && routed.host === '10.0.0.5' && routed.tls === 'opportunistic' && !routed.relay && !routed.auth);
  });

  it('a route without a host keeps the MX hosts, with its limits', () => {
    assert.deepEqual(nexthopFor('slow.test', routes, undefined), { kind: 'mx', key: 'mx:slow.test', domain: 'slow.test', limits: { concurrency: 2, rate: 30 } });
  });
});
