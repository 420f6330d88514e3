/*
 * The sender-auth filter against a real BIND on loopback: every case of
 * src/filters/sender-auth/cases.test.ts (SPF pass, fail, softfail,
 * neutral, none, permerror by 11 lookups and by two records, temperror;
 * DKIM pass, fail, permerror; DMARC none, quarantine, reject, pct,
 * temperror, relaxed and strict alignment, sp=; the From tricks) with its
 * records as zone files, through the DNS client the server uses (the wire
 * client behind the cache, no query(): TXT strings joined by the client).
 * A zone BIND does not serve answers REFUSED: the temporary failures.
 * Then ARC: a message sealed by forwarder.test (arc-seal.ts) validates
 * through the filter with the key BIND serves, and fails once changed.
 * Skipped naming scripts/install-test-deps.sh without named; failed
 * instead under PETREL_REQUIRE_INTEROP=1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { CachingDnsClient } from '../../src/dns/cache.js';
import type { DnsClient } from '../../src/dns/client.js';
import { WireDnsClient } from '../../src/dns/wire-client.js';
import { AUTHSERV_ID, CASES, KEYS, assertCase, bindZones, buildMessage, runCase } from '../../src/filters/sender-auth/cases.test.js';
import { arcSeal } from '../../src/sender-auth/arc-seal.js';
import { startBind, type BindServer } from '../support/bind.js';
import { hasTool, requireTools } from '../support/tools.js';

describe('sender authentication against BIND', () => {
  let bind: BindServer | undefined;
  let dns: DnsClient;
  const ready = (t: TestContext) => requireTools(t, 'named') && bind !== undefined;

  before(async () => {
    if (!hasTool('named')) return;
    bind = await startBind(bindZones());
    dns = new CachingDnsClient(new WireDnsClient({ servers: [bind.address], timeoutMs: 2000, tries: 2 }));
  });
  after(async () => {
    await bind?.stop();
  });

  for (const c of CASES) {
    it(c.name, async (t) => {
      if (!ready(t)) return;
      assertCase(c, await runCase(c, dns));
    });
  }

  it('ARC: a message forwarded and sealed by forwarder.test validates with the key BIND serves; changed after, it fails', async (t) => {
    if (!ready(t)) return;
    // As the forwarder received it: SPF and DKIM of dkim.test pass.
    const original = buildMessage({ from: ['a@dkim.test'], signAs: 'dkim.test' });
    const authResults = `mx.forwarder.test; spf=pass smtp.mailfrom=a@dkim.test; dkim=pass header.d=dkim.test; dmarc=pass header.from=dkim.test; arc=none`;
    const sealed = await arcSeal({ message: original, authResults, chain: 'none', key: { domain: 'forwarder.test', selector: 'arc1', privateKey: KEYS.arc.privateKey } });
    assert.ok(sealed.sealed, sealed.sealed ? '' : sealed.reason);
    // We receive it from the forwarder, whose address dkim.test's SPF does not list: the DKIM signature still passes DMARC.
    const r = await runCase({ sender: 'a@spf-fail.test', message: sealed.message }, dns);
    assert.match(r.header, /;\r\n arc=pass$/, r.header);
    assert.equal(r.body.facts.auth?.arc?.result, 'pass');
    assert.equal(r.body.facts.auth?.dmarc?.result, 'pass');
    assert.ok(r.header.startsWith(`Authentication-Results: ${AUTHSERV_ID};`));
    const changed = Buffer.from(sealed.message.toString('latin1').replace('See you at noon', 'Wire the money'), 'latin1');
    const broken = await runCase({ sender: 'a@spf-fail.test', message: changed }, dns);
    assert.equal(broken.body.facts.auth?.arc?.result, 'fail');
    assert.equal(broken.body.verdict.action, 'reject', 'the DKIM signature broke too: dkim.test\'s p=reject refuses');
  });
});
