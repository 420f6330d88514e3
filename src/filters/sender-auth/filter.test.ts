/*
 * The sender-auth filter over the fake resolver: every case of
 * cases.test.ts (SPF results, DKIM, DMARC policies, pct, alignment
 * relaxed and strict, sp=, broken From fields); then the settings
 * (dns_error, dmarc_quarantine, spf_fail_reject), the DNS bounds (a
 * silent resolver costs at most dns_timeout, a zone of many questions at
 * most max_dns_queries), pct sampling, trusted and authenticated clients,
 * the facts the spam filter reads and the exact Authentication-Results.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DnsAnswer, DnsClient } from '../../dns/client.js';
import { fakeDns } from '../../dns/fake-client.js';
import { silentLogger } from '../../telemetry/logger.js';
import { FilterPipeline } from '../pipeline.js';
import { CASES, CLIENT_IP, assertCase, buildMessage, fakeZone, runCase, settingsWith, type Case } from './cases.test.js';
import { senderAuthFilter } from './filter.js';

const dns = () => fakeDns(fakeZone());
/** The first 8 characters of the DKIM-Signature's b= (header.b). */
const bOf = (message: Buffer) => /[;\s]b=([^;]+)/.exec(message.toString('latin1').replace(/\r\n[ \t]+/g, ' '))![1]!.replace(/\s+/g, '').slice(0, 8);

describe('sender-auth over the fake resolver', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      assertCase(c, await runCase(c, dns()));
    });
  }
});

const find = (name: string): Case => CASES.find((c) => c.name.startsWith(name))!;

describe('Authentication-Results', () => {
  it('a DKIM and SPF pass, written out exactly', async () => {
    const c: Case = { ...find('DKIM pass'), sender: 'a@spf-pass.test', message: { from: ['Alice <a@dkim.test>'], signAs: 'dkim.test' } };
    const r = await runCase(c, dns());
    const b = bOf(buildMessage(c.message));
    assert.equal(r.header, [
      'Authentication-Results: mx.petrel.test;',
      ' spf=pass smtp.mailfrom=a@spf-pass.test;',
      ` dkim=pass header.d=dkim.test header.s=s1 header.b=${/[/=]/.test(b) ? `"${b}"` : b};`,
      ' dmarc=pass (p=reject dis=none) header.from=dkim.test;',
      ' arc=none',
    ].join('\r\n'));
    assert.equal(r.body.headers.length, 1, 'exactly one field');
  });

  it('a refusal, the null sender (smtp.helo) and an unsigned message', async () => {
    const r = await runCase({ sender: '', helo: 'mx.relay.test', message: { from: ['a@p-reject.test'] } }, dns());
    assert.equal(r.header, [
      'Authentication-Results: mx.petrel.test;',
      ' spf=pass smtp.helo=mx.relay.test;',
      ' dkim=none;',
      ' dmarc=fail (p=reject dis=reject) header.from=p-reject.test;',
      ' arc=none',
    ].join('\r\n'));
  });

  it('a failing signature says why; several From addresses fail without a header.from of their own choosing', async () => {
    const r = await runCase({ sender: 'a@spf-fail.test', message: { from: ['a@sender.test, b@spf-neutral.test'], signAs: 'dkim.test', tamper: true } }, dns());
    const unfolded = r.header.replace(/\r\n /g, ' ');
    assert.match(unfolded, / dkim=fail \(body hash did not verify\) header\.d=dkim\.test header\.s=s1 header\.b=\S+;/);
    // Folded where the line would pass 78 characters.
    assert.ok(r.header.split('\r\n').every((l) => l.length <= 78), r.header);
    assert.match(unfolded, / spf=fail smtp\.mailfrom=a@spf-fail\.test;/);
    // sender.test publishes p=none: that is the strictest of the two, and the domain named.
    assert.match(unfolded, / dmarc=fail \(several From addresses\) header\.from=sender\.test;/);
  });

  it('a trusted client and an authenticated user are not checked: "none", no facts, no DNS', async () => {
    for (const client of [{ trusted: true }, { user: 'alice@petrel.test' }]) {
      const d = dns();
      const r = await runCase(find('DMARC p=reject'), d, settingsWith(), {}, client);
      assert.deepEqual(r.body.headers, ['Authentication-Results: mx.petrel.test; none']);
      assert.equal(r.body.verdict.action, 'continue');
      assert.equal(r.body.facts.auth, undefined);
      assert.deepEqual(d.asked, []);
    }
  });
});

describe('settings', () => {
  it('dns_error = "temperror": recorded, accepted; never a permanent refusal', async () => {
    const r = await runCase(find('DMARC temperror'), dns(), settingsWith({ dnsError: 'temperror' }));
    assert.equal(r.body.verdict.action, 'continue');
    assert.match(r.header, /dmarc=temperror \(DNS failure\) header\.from=dmarc-temp\.test/);
    assert.equal(r.body.facts.auth?.dmarc?.result, 'temperror');
  });

  it('an aligned identifier that met DNS trouble makes DMARC temperror, not fail (the domain may have passed)', async () => {
    const zone = fakeZone();
    zone['s1._domainkey.dkim.test'] = { txt: 'temporary' };
    const r = await runCase({ sender: 'a@spf-fail.test', message: { from: ['a@dkim.test'], signAs: 'dkim.test' } }, fakeDns(zone));
    assert.equal(r.body.facts.auth?.dkim?.[0]?.result, 'temperror');
    assert.equal(r.body.facts.auth?.dmarc?.result, 'temperror');
    assert.ok(r.body.verdict.action === 'reject' && r.body.verdict.error.reply.startsWith('451 4.4.3 '));
  });

  it('DNS trouble under p=none changes nothing: accepted even with dns_error = "tempfail"', async () => {
    const zone = fakeZone();
    zone['s1._domainkey.nokey.test'] = { txt: 'temporary' };
    const r = await runCase({ sender: 'a@spf-fail.test', message: { from: ['a@nokey.test'], signAs: 'nokey.test' } }, fakeDns(zone));
    assert.equal(r.body.facts.auth?.dkim?.[0]?.result, 'temperror');
    assert.equal(r.body.verdict.action, 'continue');
  });

  it('dmarc_quarantine = "quarantine" holds p=quarantine failures', async () => {
    const r = await runCase(find('DMARC p=quarantine'), dns(), settingsWith({ dmarcQuarantine: 'quarantine' }));
    assert.deepEqual(r.body.verdict, { action: 'quarantine', reason: 'DMARC policy of p-quar.test: quarantine' });
  });

  it('spf_fail_reject refuses an SPF fail at MAIL FROM (550 5.7.1), an SPF temperror with 451 4.4.3', async () => {
    const settings = settingsWith({ spfFailReject: true });
    const fail = await runCase(find('SPF fail'), dns(), settings);
    assert.ok(fail.mailFrom.action === 'reject');
    assert.equal(fail.mailFrom.error.reply, '550 5.7.1 Message rejected by the sender domain\'s SPF policy');
    const temp = await runCase(find('SPF temperror'), dns(), settings);
    assert.ok(temp.mailFrom.action === 'reject' && temp.mailFrom.error.reply.startsWith('451 4.4.3 '));
    const soft = await runCase(find('SPF softfail'), dns(), settings);
    assert.equal(soft.mailFrom.action, 'continue');
  });

  it('pct: inside the sample the policy applies, outside it the next weaker one', async () => {
    const zone = fakeZone();
    zone['_dmarc.pct.test'] = { txtStrings: [['v=DMARC1; p=reject; pct=50']] };
    const c = find('DMARC pct=0');
    const inside = await runCase(c, fakeDns(zone), settingsWith(), { random: () => 0.49 });
    assert.equal(inside.body.verdict.action, 'reject');
    const outside = await runCase(c, fakeDns(zone), settingsWith(), { random: () => 0.5 });
    assert.equal(outside.body.verdict.action, 'junk');
    assert.equal(outside.body.facts.auth?.dmarc?.disposition, 'quarantine');
    assert.match(outside.header, /dmarc=fail \(p=reject dis=quarantine pct=50\)/);
  });

  it('an invalid p= with a rua= is p=none; without one, no DMARC at all (RFC 7489 6.6.3 step 6)', async () => {
    const zone = fakeZone();
    zone['_dmarc.p-reject.test'] = { txtStrings: [['v=DMARC1; p=bogus; rua=mailto:d@p-reject.test']] };
    const withRua = await runCase(find('DMARC p=reject'), fakeDns(zone));
    assert.equal(withRua.body.facts.auth?.dmarc?.result, 'fail');
    assert.equal(withRua.body.verdict.action, 'continue');
    zone['_dmarc.p-reject.test'] = { txtStrings: [['v=DMARC1; p=bogus']] };
    const without = await runCase(find('DMARC p=reject'), fakeDns(zone));
    assert.equal(without.body.facts.auth?.dmarc?.result, 'none');
  });
});

/** A resolver that never answers, counting the questions. */
function silentDns(): DnsClient & { asked: number } {
  const never = <T>(): Promise<DnsAnswer<T>> => new Promise(() => {});
  const d = { asked: 0, mx: () => never(), a: () => never(), aaaa: () => never(), tlsa: () => never(), txt: () => (d.asked++, never<string>()) };
  return d as DnsClient & { asked: number };
}

describe('DNS bounds per message', () => {
  it('a silent resolver costs at most dns_timeout for the identifiers and as much for the policy, and gives 451 4.4.3', async () => {
    const started = Date.now();
    const r = await runCase(find('DKIM pass'), silentDns(), settingsWith({ dnsTimeoutMs: 300 }));
    const took = Date.now() - started;
    assert.ok(took < 1500, `took ${took} ms`);
    assert.equal(r.body.facts.auth?.spf?.result, 'temperror');
    assert.equal(r.body.facts.auth?.dmarc?.result, 'temperror');
    assert.ok(r.body.verdict.action === 'reject' && r.body.verdict.error.reply.startsWith('451 4.4.3 '));
  });

  it('MAIL FROM is answered without waiting for SPF unless spf_fail_reject (the check runs while RCPT and DATA come)', async () => {
    const stage = async (settings: ReturnType<typeof settingsWith>) => {
      const pipeline = new FilterPipeline([senderAuthFilter(settings, { dns: silentDns() })]);
      const run = pipeline.begin({ client: { ip: CLIENT_IP, helo: 'mx.relay.test', tls: false, user: null, role: 'mx', trusted: false }, sender: 'a@spf-pass.test', queueId: 'Q1', facts: {}, log: silentLogger });
      const started = Date.now();
      const verdict = await run.mailFrom();
      run.close();
      return { verdict, took: Date.now() - started };
    };
    const background = await stage(settingsWith({ dnsTimeoutMs: 400 }));
    assert.equal(background.verdict.action, 'continue');
    assert.ok(background.took < 200, `answered after ${background.took} ms`);
    const waited = await stage(settingsWith({ dnsTimeoutMs: 400, spfFailReject: true }));
    assert.ok(waited.took >= 350, `spf_fail_reject waits for the result (${waited.took} ms)`);
  });

  it('a temporary failure inside an include: is temperror, not the fail mailauth would go on to (then p=reject would refuse)', async () => {
    const zone = fakeZone();
    zone['spf-reject.test'] = { txt: ['v=spf1 include:down.spf-reject.test -all'] };
    zone['down.spf-reject.test'] = { txt: 'temporary' };
    zone['_dmarc.spf-reject.test'] = { txt: ['v=DMARC1; p=reject'] };
    const r = await runCase({ sender: 'a@spf-reject.test', message: { from: ['a@spf-reject.test'] } }, fakeDns(zone));
    assert.equal(r.body.facts.auth?.spf?.result, 'temperror');
    assert.ok(r.body.verdict.action === 'reject' && r.body.verdict.error.temporary, 'never a permanent refusal for DNS trouble');
  });

  it('max_dns_queries bounds what one message may ask: past it every question is a temperror', async () => {
    const d = dns();
    const r = await runCase(find('SPF permerror: 11 lookups'), d, settingsWith({ maxDnsQueries: 5 }));
    // The From domain's policy has its own allowance.
    assert.ok(d.asked.filter((q) => !q.includes('_dmarc.')).length <= 5, d.asked.join(' '));
    assert.equal(r.body.facts.auth?.spf?.result, 'temperror');
  });
});

describe('hostile messages', () => {
  const signedBy = (domain: string, from: string) => {
    const m = buildMessage({ from: [from], signAs: domain });
    return m.subarray(0, m.indexOf('From: '));
  };

  it('fifty DKIM signatures: the topmost ten verified within max_dns_queries, the first aligned pass still counts', async () => {
    const signed = buildMessage({ from: ['a@dkim.test'], signAs: 'dkim.test' });
    const message = Buffer.concat([...Array.from({ length: 49 }, () => signedBy('dkim.test', 'a@dkim.test')), signed]);
    const d = dns();
    const r = await runCase({ sender: 'a@spf-fail.test', message }, d, settingsWith({ maxDnsQueries: 20 }));
    assert.ok(d.asked.filter((q) => !q.includes('_dmarc.')).length <= 20, `${d.asked.length} questions`);
    assert.equal(r.body.facts.auth?.dkim?.length, 10);
    assert.equal((r.header.match(/ dkim=/g) ?? []).length, 10);
    assert.equal(r.body.facts.auth?.dmarc?.result, 'pass');
  });

  it('slow zones of the sender\'s own use up their allowance, not the From domain\'s: p=reject still refuses, even with dns_error = "temperror"', async () => {
    // Five signatures under a zone that never answers, then one claiming the From domain (which has no such key).
    const zone = fakeDns(fakeZone());
    const slow: DnsClient = { ...zone, txt: (name) => (name.endsWith('.slow.test') ? new Promise(() => {}) : zone.txt(name)) };
    const unsigned = buildMessage({ from: ['boss@p-reject.test'] });
    const message = Buffer.concat([...Array.from({ length: 5 }, (_, i) => signedBy(`s${i}.slow.test`, 'boss@p-reject.test')), signedBy('p-reject.test', 'boss@p-reject.test'), unsigned]);
    const r = await runCase({ sender: 'a@spf-fail.test', message }, slow, settingsWith({ dnsTimeoutMs: 200, dnsError: 'temperror' }));
    assert.deepEqual(r.body.facts.auth?.dkim?.map((d) => d.result), ['temperror', 'temperror', 'temperror', 'temperror', 'temperror', 'permerror']);
    assert.equal(r.body.facts.auth?.dmarc?.result, 'fail');
    assert.ok(r.body.verdict.action === 'reject' && r.body.verdict.error.code === 550);
  });
});

describe('facts for the spam filter', () => {
  it('publishes SPF at MAIL FROM, everything after the body, with DKIM alignment', async () => {
    const r = await runCase({ sender: 'a@spf-fail.test', message: { from: ['a@relaxed.test'], signAs: 'mail.relaxed.test' } }, dns());
    assert.deepEqual(r.body.facts.auth, {
      spf: { result: 'fail', domain: 'spf-fail.test', identity: 'mailfrom' },
      dkim: [{ result: 'pass', domain: 'mail.relaxed.test', aligned: true, selector: 's1' }],
      dmarc: { result: 'pass', domain: 'relaxed.test', policy: 'reject', disposition: 'none' },
      arc: { result: 'none' },
    });
  });

  it('the client address checked is the session\'s', async () => {
    const r = await runCase(find('SPF pass'), dns(), settingsWith(), {}, { ip: '198.51.100.99' });
    assert.equal(r.body.facts.auth?.spf?.result, 'fail', `not ${CLIENT_IP}`);
  });
});
