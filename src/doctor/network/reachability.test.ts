/*
 * Reachability (A02, A03, A05) over scripted endpoints: the MX answering
 * on each public address, and an outgoing port 25 or smarthost.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Finding, HostFacts } from '../types.js';
import { facts, fakeNetwork } from './fake-network.js';
import { reachabilityChecks } from './reachability.js';
import type { ServiceEndpoint } from './types.js';

const host: HostFacts = { hostname: 'mx.example.net', heloName: 'mx.example.net', ipv4: ['198.51.7.25'], ipv6: ['2a01:4f8::25'], tlsaKeys: { current: '' } };
const mx: ServiceEndpoint = { role: 'mx', host: '127.0.0.1', port: 25, security: 'starttls', protocol: 'smtp' };
const brief = (fs: Finding[]) => fs.map((f) => `${f.id} ${f.severity} ${f.subject}`);

describe('reachability (A02, A03, A05)', () => {
  it('the MX greets on every public address and port 25 goes out: nothing', async () => {
    // The fake answers by port; the address asked is checked through what was probed.
    const deps = fakeNetwork({ 25: { greeting: '220 mx.example.net ESMTP\r\n250 mx.example.net' } }, { 'mx.big.example': { a: ['192.0.2.99'] } });
    assert.deepEqual(await reachabilityChecks(host, [], facts([mx], { outboundProbe: { host: 'mx.big.example', port: 25, smarthost: false } }), deps), []);
    assert.deepEqual(deps.sent, ['QUIT', 'QUIT', 'QUIT']);
    assert.ok((deps.dns as unknown as { asked: string[] }).asked.includes('A mx.big.example'), 'the probe host is looked up through the doctor\'s resolver');
  });

  it('no listener on the public addresses: A02 and A03; blocked outbound: A05 with the smarthost advice', async () => {
    const deps = fakeNetwork({});
    const found = await reachabilityChecks(host, [], facts([mx], { outboundProbe: { host: 'mx.big.example', port: 25, smarthost: false } }), deps);
    assert.deepEqual(brief(found), ['A02 error ip 198.51.7.25', 'A03 error ip 2a01:4f8::25', 'A05 error outbound port 25']);
    assert.match(found[2]!.fix, /smarthost/);
  });

  it('a smarthost that cannot be reached is named as such', async () => {
    const found = await reachabilityChecks({ ...host, ipv4: [], ipv6: [] }, [], facts([mx], { outboundProbe: { host: 'relay.example', port: 587, smarthost: true } }), fakeNetwork({}));
    assert.deepEqual(found.map((f) => f.title), ['the smarthost cannot be reached']);
  });

  it('A04: a resolver that does not answer and a route host that does not greet', async () => {
    const deps = fakeNetwork({ 2525: { greeting: '220 relay.internal ESMTP' } }, {}, {}, { '10.0.0.53:53': 'ETIMEOUT from 10.0.0.53:53' });
    const peers = { resolvers: ['127.0.0.1:53', '10.0.0.53:53'], routes: [{ domain: 'partner.example', host: '10.0.0.25', port: 2525 }, { domain: 'old.example', host: '10.0.0.26', port: 25 }] };
    const found = await reachabilityChecks({ ...host, ipv4: [], ipv6: [] }, [], facts([], { peers }), deps);
    assert.deepEqual(brief(found), ['A04 error resolver 10.0.0.53:53', 'A04 error route old.example']);
    assert.match(found[1]!.fix, /DOCKER-USER/);
  });

  it('private addresses are not probed outside development', async () => {
    assert.deepEqual(await reachabilityChecks({ ...host, ipv4: ['10.0.0.5'], ipv6: [] }, [], facts([mx]), fakeNetwork({})), []);
  });
});
