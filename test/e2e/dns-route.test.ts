/*
 * MX routing against a real BIND serving test zones, through the DNS client
 * the server uses (Petrel's wire client pointed at the configured server): MX
 * order and addresses, implicit MX, null MX, NXDOMAIN, MX to this host, and
 * a server that refuses (recursion off, a name outside its zones) or does
 * not answer, which must defer and never bounce.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WireDnsClient } from '../../src/dns/wire-client.js';
import { resolveRoute, type Route, type SelfIdentity } from '../../src/dns/mx.js';
import { startBind, type BindServer } from '../support/bind.js';
import { freePorts } from '../support/petrel.js';
import { hasTool, requireTools } from '../support/tools.js';

const self: SelfIdentity = { names: new Set(['mx.petrel.test']), addresses: new Set(['127.0.0.99']) };
const summary = (r: Route) => (r.kind === 'hosts' ? r.hosts.map((h) => `${h.preference} ${h.name} ${h.addresses.join(',')}`) : `${r.temporary ? 'temp' : 'perm'} ${r.status}`);

describe('MX routing against a real BIND', () => {
  let bind: BindServer | undefined;
  let dns: WireDnsClient;

  before(async () => {
    if (!hasTool('named')) return;
    bind = await startBind({
      'route.test': [
        'multi IN MX 20 mx2.route.test.',
        'multi IN MX 10 mx1.route.test.',
        'mx1 IN A 127.0.0.11',
        'mx1 IN AAAA ::1',
        'mx2 IN A 127.0.0.12',
        'implicit IN A 127.0.0.13',
        'nullmx IN MX 0 .',
        'nullmx IN A 127.0.0.14',
        'self IN MX 10 mx.petrel.test.',
        'backup IN MX 5 mx1.route.test.',
        'backup IN MX 10 mx.petrel.test.',
        'byaddress IN MX 10 ours.route.test.',
        'ours IN A 127.0.0.99',
        'noaddress IN MX 10 nothing.route.test.',
        'nothing IN TXT "no address here"',
      ].join('\n'),
    });
    dns = new WireDnsClient({ servers: [bind.address], timeoutMs: 1000, tries: 1 });
  });
  after(() => bind?.stop());

  const cases: [string, string[] | string][] = [
    ['multi.route.test', ['10 mx1.route.test ::1,127.0.0.11', '20 mx2.route.test 127.0.0.12']],
    ['implicit.route.test', ['0 implicit.route.test 127.0.0.13']],
    ['nullmx.route.test', 'perm 5.1.10'],
    ['missing.route.test', 'perm 5.4.4'],
    ['self.route.test', 'perm 5.4.6'],
    ['backup.route.test', ['5 mx1.route.test ::1,127.0.0.11']],
    ['byaddress.route.test', 'perm 5.4.6'],
    ['noaddress.route.test', 'perm 5.4.4'],
    // Recursion is off: a name outside the server's zones is REFUSED.
    ['example.org', 'temp 4.4.3'],
  ];
  for (const [domain, want] of cases) {
    it(`${domain} -> ${Array.isArray(want) ? want.join('; ') : want}`, async (t) => {
      if (!requireTools(t, 'named')) return;
      assert.deepEqual(summary(await resolveRoute(domain, dns, self)), want);
    });
  }

  it('a resolver that does not answer defers (4.4.3) within its timeout', async (t) => {
    if (!requireTools(t, 'named')) return;
    const [silent] = await freePorts(1);
    const started = Date.now();
    const r = await resolveRoute('multi.route.test', new WireDnsClient({ servers: [`127.0.0.1:${silent}`], timeoutMs: 300, tries: 1 }), self);
    assert.deepEqual(summary(r), 'temp 4.4.3');
    assert.ok(Date.now() - started < 5000);
  });
});
