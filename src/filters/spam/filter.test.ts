/*
 * The spam filter through the pipeline contract: GTUBE refused, the
 * X-Spam-* fields always, thresholds per recipient domain (refused only
 * when every domain would refuse; LMTP per recipient), facts.spam; and
 * the URI blocklists on the fake resolver: listed, not listed, the
 * could-not-tell answers, a list's bit mask, the bound on lookups, a
 * failing lookup that costs nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeDns, type FakeZone } from '../../dns/fake-client.js';
import { silentLogger } from '../../telemetry/logger.js';
import { FilterPipeline } from '../pipeline.js';
import type { ClientInfo, FilterRecipient } from '../types.js';
import { spamFilter } from './filter.js';
import { GTUBE } from './rules/index.js';
import { DEFAULT_SPAM_SETTINGS, type SpamSettings } from './settings.js';

const HEAD = 'From: Alice <alice@sender.example>\r\nTo: bob@petrel.example\r\nSubject: Lunch\r\nDate: Thu, 03 Dec 2026 09:58:00 +0000\r\nMessage-ID: <1@sender.example>\r\n';
const NOW = Date.UTC(2026, 11, 3, 10, 0, 0);

function body(text: string) {
  const bytes = Buffer.from(text);
  return { bytes, headerEnd: bytes.indexOf('\r\n\r\n') + 4 };
}

async function run(text: string, options: { settings?: Partial<SpamSettings>; zone?: FakeZone; recipients?: FilterRecipient[]; role?: ClientInfo['role'] } = {}) {
  const dns = fakeDns(options.zone ?? {});
  const settings = { ...DEFAULT_SPAM_SETTINGS, ...options.settings };
  const pipeline = new FilterPipeline([spamFilter(settings, { dns, now: () => NOW })]);
  const client: ClientInfo = { ip: '192.0.2.1', helo: 'mx.sender.example', tls: true, user: null, role: options.role ?? 'mx', trusted: false };
  const message = pipeline.begin({ client, sender: 'alice@sender.example', queueId: 'Q1', facts: {}, log: silentLogger });
  for (const r of options.recipients ?? [{ address: 'bob@petrel.example', domain: 'petrel.example' }]) await message.rcpt(r);
  const out = await message.body(body(text));
  message.close();
  return { out, dns };
}

const rcpt = (address: string): FilterRecipient => ({ address, domain: address.split('@')[1]! });

describe('spam filter', () => {
  it('refuses GTUBE with 550 5.7.1, a generic reply and the tests in the log detail', async () => {
    const { out } = await run(`${HEAD}\r\n${GTUBE}\r\n`);
    assert.ok(out.verdict.action === 'reject');
    assert.equal(out.verdict.error.code, 550);
    assert.equal(out.verdict.error.enhanced, '5.7.1');
    assert.equal(out.verdict.error.text, 'Message refused as spam');
    assert.match(out.verdict.error.detail ?? '', /score=1000\.0 tests=GTUBE/);
    assert.equal(out.facts.spam?.score, 1000);
    assert.deepEqual(out.facts.spam?.tests, ['GTUBE']);
    assert.deepEqual(out.headers, ['X-Spam-Score: 1000.0', 'X-Spam-Status: Yes, score=1000.0 required=5.0 tests=GTUBE']);
  });

  it('adds X-Spam-Score and X-Spam-Status to clean mail too', async () => {
    const { out } = await run(`${HEAD}\r\nSee you at noon.\r\n`);
    assert.equal(out.verdict.action, 'continue');
    assert.deepEqual(out.headers, ['X-Spam-Score: 0.0', 'X-Spam-Status: No, score=0.0 required=5.0 tests=none']);
  });

  it('folds a long X-Spam-Status at commas, no line over 78 characters', async () => {
    const { out } = await run('Subject: Re: FREE MONEY FOR YOU NOW\r\nX-Mailer: Atomic Mail Sender\r\n\r\nhttp://192.0.2.1/ x\r\n');
    const status = out.headers[1]!;
    assert.ok(status.includes('\r\n\t'), status);
    for (const line of status.split('\r\n')) assert.ok(line.length <= 78, line);
    assert.equal(status.replace(/\r\n\t/g, ''), `X-Spam-Status: Yes, score=${out.headers[0]!.slice(14)} required=5.0 tests=${out.facts.spam!.tests.join(',')}`);
  });

  describe('thresholds per recipient domain', () => {
    const domains = { 'strict.example': { junk: 2, spamAction: 'quarantine' as const }, 'lax.example': { junk: 50, reject: null } };
    const scored = (score: number) => ({ domains, scores: { MISSING_DATE: score, MISSING_MID: 0 } });
    const noDate = `${HEAD.replace(/Date: .*\r\n/, '')}\r\nhello\r\n`;
    const three = [rcpt('a@petrel.example'), rcpt('b@strict.example'), rcpt('c@lax.example')];

    it('each recipient gets what its domain says; the message as a whole the weakest', async () => {
      const { out } = await run(noDate, { settings: scored(8), recipients: three });
      assert.deepEqual(out.perRecipient.map((v) => v.action), ['junk', 'quarantine', 'continue']);
      assert.equal(out.verdict.action, 'continue');
      assert.match(out.headers[1]!, /^X-Spam-Status: Yes, score=8\.0 required=2\.0 /, 'required is the lowest junk threshold among the recipients');
    });

    it('over SMTP a message is refused only when every recipient\'s domain would refuse it; the others take it', async () => {
      const { out } = await run(noDate, { settings: scored(20), recipients: three });
      assert.deepEqual(out.perRecipient.map((v) => v.action), ['junk', 'quarantine', 'continue'], 'the refusing domains\' recipients get their spam action');
      assert.equal(out.verdict.action, 'continue');
      const all = await run(noDate, { settings: scored(20), recipients: [rcpt('a@petrel.example'), rcpt('b@strict.example')] });
      assert.equal(all.out.verdict.action, 'reject');
    });

    it('over LMTP each recipient is refused or not by its own domain', async () => {
      const { out } = await run(noDate, { settings: scored(20), recipients: three, role: 'lmtp' });
      assert.deepEqual(out.perRecipient.map((v) => v.action), ['reject', 'reject', 'continue']);
    });

    it('a domain with reject = null never refuses; a domain key from a recipient cannot reach the prototype', async () => {
      const { out } = await run(`${HEAD}\r\n${GTUBE}\r\n`, { settings: { domains }, recipients: [rcpt('c@lax.example')] });
      assert.equal(out.verdict.action, 'junk');
      const proto = await run(`${HEAD}\r\nhello\r\n`, { recipients: [rcpt('x@__proto__')] });
      assert.equal(proto.out.verdict.action, 'continue');
    });
  });

  describe('URI blocklists on the fake resolver', () => {
    const lists = { uriBlocklists: [{ zone: 'dbl.test', name: 'URIBL_DBL', score: 2.5 }, { zone: 'multi.test', score: 1.5, mask: 2 }] };
    const links = (...urls: string[]) => `${HEAD}\r\n${urls.join('\r\n')}\r\n`;

    it('a listed domain hits once per list, by its registered domain; an unlisted one costs a lookup and nothing else', async () => {
      const { out, dns } = await run(links('http://www.spam.example/a', 'https://click.spam.example/b', 'http://good.example/'), {
        settings: lists,
        zone: { 'spam.example.dbl.test': { a: ['127.0.1.2'] }, 'spam.example.multi.test': { a: ['127.0.0.2'] } },
      });
      assert.deepEqual(out.facts.spam?.tests, ['URIBL_DBL', 'URIBL_MULTI_TEST']);
      assert.equal(out.facts.spam?.score, 4);
      assert.deepEqual(dns.asked.sort(), ['A good.example.dbl.test', 'A good.example.multi.test', 'A spam.example.dbl.test', 'A spam.example.multi.test']);
    });

    it('127.255.255.x, 127.0.0.1 (query refused), answers outside 127/8 and failures could not tell: no hit', async () => {
      const { out } = await run(links('http://a.example/', 'http://b.example/', 'http://c.example/', 'http://d.example/'), {
        settings: { uriBlocklists: [lists.uriBlocklists[0]!] },
        zone: { 'a.example.dbl.test': { a: ['127.255.255.254'] }, 'b.example.dbl.test': { a: ['127.0.0.1'] }, 'c.example.dbl.test': { a: ['192.0.2.1'] }, 'd.example.dbl.test': { a: 'temporary' } },
      });
      assert.deepEqual(out.facts.spam?.tests, []);
    });

    it('a list with a mask lists only answers with its bits', async () => {
      const { out } = await run(links('http://grey.example/'), { settings: { uriBlocklists: [lists.uriBlocklists[1]!] }, zone: { 'grey.example.multi.test': { a: ['127.0.0.4'] } } });
      assert.deepEqual(out.facts.spam?.tests, []);
    });

    it('looks up at most maxUriLookups domain x zone pairs, the first links first', async () => {
      const urls = Array.from({ length: 30 }, (_, i) => `http://d${i}.example/`);
      const { dns } = await run(links(...urls), { settings: { ...lists, maxUriLookups: 5 } });
      assert.deepEqual(dns.asked, ['A d0.example.dbl.test', 'A d0.example.multi.test', 'A d1.example.dbl.test', 'A d1.example.multi.test', 'A d2.example.dbl.test']);
      const capped = await run(links(...urls), { settings: { ...lists, maxUriLookups: 1000 } });
      assert.equal(capped.dns.asked.length, 50, 'MAX_URI_LOOKUPS whatever the settings say');
    });

    it('IP links and two-level public suffixes: an address is not asked; x.co.uk is asked as a registered domain', async () => {
      const { dns } = await run(links('http://192.0.2.9/', 'http://www.shop.co.uk/'), { settings: { uriBlocklists: [lists.uriBlocklists[0]!] } });
      assert.deepEqual(dns.asked, ['A shop.co.uk.dbl.test']);
    });
  });

  it('a spamd that cannot be reached adds nothing and fails nothing', async () => {
    const { out } = await run(`${HEAD}\r\n${GTUBE}\r\n`, { settings: { spamd: { address: '127.0.0.1:1', timeoutMs: 2000, weight: 1, maxBytes: 500_000, user: '' } } });
    assert.deepEqual(out.facts.spam?.tests, ['GTUBE']);
  });
});
