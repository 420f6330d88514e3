/*
 * A real SpamAssassin spamd (Debian's spamassassin package), started by
 * the test on loopback with local rules only (test/support/spamd.ts): the
 * GTUBE string comes back as spam through our client's SYMBOLS and
 * REPORT, a plain message as ham, and through the spam filter spamd's
 * score joins ours as the SPAMD test. Skipped with a message naming
 * scripts/install-test-deps.sh when spamd is missing; failed instead
 * under PETREL_REQUIRE_INTEROP=1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fakeDns } from '../../src/dns/fake-client.js';
import { SpamdClient } from '../../src/filters/spam/external/spamd-client.js';
import { DEFAULT_SPAM_SETTINGS, DEFAULT_SPAMD, GTUBE, spamFilter } from '../../src/filters/spam/index.js';
import { FilterPipeline } from '../../src/filters/pipeline.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { startSpamd, type SpamdServer } from '../support/spamd.js';
import { hasTool, requireTools } from '../support/tools.js';

const HEAD = 'From: Alice <alice@sender.example>\r\nTo: bob@petrel.example\r\nSubject: Lunch\r\nDate: Thu, 03 Dec 2026 09:58:00 +0000\r\nMessage-ID: <1@sender.example>\r\n';
const GTUBE_MESSAGE = Buffer.from(`${HEAD}\r\n${GTUBE}\r\n`);
const HAM = Buffer.from(`${HEAD}\r\nSee you at noon in the usual place.\r\n`);

let spamd: SpamdServer | undefined;

describe('a real spamd', () => {
  before(async () => {
    if (hasTool('spamd')) spamd = await startSpamd();
  });
  after(async () => {
    await spamd?.stop();
  });

  it('scores GTUBE as spam (SYMBOLS and REPORT) and a plain message as ham', async (t) => {
    if (!requireTools(t, 'spamd')) return;
    const client = new SpamdClient(spamd!.address, 30_000);
    const symbols = await client.request('SYMBOLS', GTUBE_MESSAGE);
    assert.ok(symbols.ok && !symbols.pong, JSON.stringify(symbols));
    assert.equal(symbols.spam, true);
    assert.ok(symbols.score >= 1000, String(symbols.score));
    assert.equal(symbols.threshold, 5);
    assert.ok(symbols.symbols.includes('GTUBE'), symbols.symbols.join(','));
    const report = await client.request('REPORT', GTUBE_MESSAGE);
    assert.ok(report.ok && !report.pong && /GTUBE/.test(report.report));
    const ham = await client.request('CHECK', HAM);
    assert.ok(ham.ok && !ham.pong && ham.spam === false && ham.score < 5, JSON.stringify(ham));
  });

  it('joins our score through the spam filter as SPAMD, scaled and weighted', async (t) => {
    if (!requireTools(t, 'spamd')) return;
    const settings = { ...DEFAULT_SPAM_SETTINGS, spamd: { ...DEFAULT_SPAMD, address: spamd!.address, timeoutMs: 30_000, weight: 0.01 } };
    const pipeline = new FilterPipeline([spamFilter(settings, { dns: fakeDns({}) })]);
    const run = pipeline.begin({ client: { ip: '192.0.2.1', helo: 'mx.sender.example', tls: false, user: null, role: 'mx', trusted: false }, sender: 'alice@sender.example', queueId: 'Q1', facts: {}, log: silentLogger });
    await run.rcpt({ address: 'bob@petrel.example', domain: 'petrel.example' });
    const out = await run.body({ bytes: GTUBE_MESSAGE, headerEnd: GTUBE_MESSAGE.indexOf('\r\n\r\n') + 4 });
    run.close();
    assert.deepEqual(out.facts.spam?.tests, ['GTUBE', 'SPAMD']);
    const spamdPart = out.facts.spam!.score - 1000;
    assert.ok(spamdPart >= 10 && spamdPart < 11, `spamd's ~1000 at weight 0.01: ${spamdPart}`);
    assert.equal(out.verdict.action, 'reject');
  });
});
