/*
 * The clamav filter in the pipeline, against a scripted clamd: infected
 * is 554 5.7.1 with the signature in the log and the error's detail but
 * not in the reply; clean adds X-Virus-Scanned and X-Virus-Status; clamd
 * down, an error, the size limit, or a message over max_size (never sent)
 * is 451 4.7.1, or with fail_open an accepted message tagged Unscanned;
 * the facts for the spam scorer; which sessions are scanned.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FilterPipeline } from '../pipeline.js';
import type { ClientInfo, Verdict } from '../types.js';
import { createMemoryLogger } from '../../telemetry/logger.js';
import { scriptedClamd, withScriptedClamd, type Script } from './fake-clamd.js';
import { clamavFilter } from './filter.js';
import { clamavSettingsFrom, DEFAULT_CLAMAV_SETTINGS, type ClamavSettings } from './settings.js';
import { configSchema } from '../../config/schema.js';

const MESSAGE = Buffer.from('From: a@example.net\r\nSubject: hello\r\n\r\nhi\r\n');

async function scan(settings: Partial<ClamavSettings>, role: ClientInfo['role'] = 'mx', bytes = MESSAGE) {
  const log = createMemoryLogger('debug');
  const pipeline = new FilterPipeline([clamavFilter({ ...DEFAULT_CLAMAV_SETTINGS, timeoutMs: 2000, ...settings })]);
  const run = pipeline.begin({ client: { ip: '192.0.2.1', helo: 'mx.example.net', tls: false, user: null, role, trusted: false }, sender: 'a@example.net', queueId: 'Q1', facts: {}, log });
  await run.rcpt({ address: 'bob@example.com', domain: 'example.com' });
  const out = await run.body({ bytes, headerEnd: bytes.indexOf('\r\n\r\n') + 4 });
  run.close();
  return { ...out, log: log.lines.join('\n') };
}

const replyOf = (v: Verdict) => (v.action === 'reject' ? v.error.reply : v.action);
const detailOf = (v: Verdict) => (v.action === 'reject' ? v.error.detail : undefined);

function scanWith(script: Script, settings: Partial<ClamavSettings> = {}) {
  return withScriptedClamd(script, async (s) => ({ ...(await scan({ address: s.address, ...settings })), requests: s.requests }));
}

describe('clamav filter', () => {
  it('infected: 554 5.7.1, the signature in the log and the detail, not the reply', async () => {
    const out = await scanWith({ answer: 'stream: Eicar-Signature FOUND\0' });
    assert.equal(replyOf(out.verdict), '554 5.7.1 Message contains a virus');
    assert.equal(detailOf(out.verdict), 'signature=Eicar-Signature');
    assert.match(out.log, /"virus found" signature=Eicar-Signature/);
    assert.deepEqual(out.facts.virus, { infected: true, signature: 'Eicar-Signature', scanned: true });
    assert.equal(out.requests[0]!.message.toString(), MESSAGE.toString(), 'the message as the pipeline has it');
  });

  it('clean: continues with X-Virus-Scanned and X-Virus-Status: Clean', async () => {
    const out = await scanWith({ answer: 'stream: OK\0' });
    assert.equal(out.verdict.action, 'continue');
    assert.deepEqual(out.headers, ['X-Virus-Scanned: clamd', 'X-Virus-Status: Clean']);
    assert.deepEqual(out.facts.virus, { infected: false, scanned: true });
  });

  it('clamd answering an error or the size limit: 451 4.7.1, the reason in the detail', async () => {
    for (const [answer, reason] of [['stream: Can\'t allocate memory ERROR\0', 'clamd error'], ['INSTREAM size limit exceeded. ERROR\0', 'limits exceeded']]) {
      const out = await scanWith({ answer: answer! });
      assert.equal(replyOf(out.verdict), '451 4.7.1 Virus scan unavailable, try again later');
      assert.ok(detailOf(out.verdict)!.startsWith(`${reason}: `), detailOf(out.verdict));
      assert.deepEqual(out.facts.virus, { infected: false, scanned: false });
      assert.deepEqual(out.headers, []);
    }
  });

  it('clamd down: 451 4.7.1; with fail_open the message goes on, tagged Unscanned', async () => {
    const s = await scriptedClamd({ answer: '' });
    await s.close();
    const closed = await scan({ address: s.address });
    assert.equal(replyOf(closed.verdict), '451 4.7.1 Virus scan unavailable, try again later');
    assert.match(closed.log, /"virus scan failed" reason="clamd unavailable"/);
    const open = await scan({ address: s.address, failOpen: true });
    assert.equal(open.verdict.action, 'continue');
    assert.deepEqual(open.headers, ['X-Virus-Status: Unscanned (clamd unavailable)']);
    assert.deepEqual(open.facts.virus, { infected: false, scanned: false });
  });

  it('clamd silent: 451 4.7.1 within its timeout', async () => {
    const started = Date.now();
    const out = await scanWith({ silent: true }, { timeoutMs: 300 });
    assert.equal(replyOf(out.verdict), '451 4.7.1 Virus scan unavailable, try again later');
    assert.equal(detailOf(out.verdict), 'clamd timed out: no answer within 300 ms');
    assert.ok(Date.now() - started < 2000);
  });

  it('over max_size: not sent at all, limits exceeded, never clean', async () => {
    const out = await scanWith({ answer: 'stream: OK\0' }, { maxSize: 10 });
    assert.equal(out.requests.length, 0);
    assert.equal(detailOf(out.verdict), `limits exceeded: ${MESSAGE.length} octets, over max_size 10`);
    const open = await scanWith({ answer: 'stream: OK\0' }, { maxSize: 10, failOpen: true });
    assert.deepEqual(open.headers, ['X-Virus-Status: Unscanned (limits exceeded)']);
  });

  it('scans the MX and submission by default, not LMTP', async () => {
    const roles = await withScriptedClamd({ answer: 'stream: Eicar-Signature FOUND\0' }, async (s) => {
      const verdicts: Record<string, string> = {};
      for (const role of ['mx', 'submission', 'submissions', 'lmtp'] as const) verdicts[role] = (await scan({ address: s.address }, role)).verdict.action;
      return verdicts;
    });
    assert.deepEqual(roles, { mx: 'reject', submission: 'reject', submissions: 'reject', lmtp: 'continue' });
  });

  it('reads [clamav] from the configuration', () => {
    const config = configSchema.parse({ clamav: { enabled: true, address: '/run/clamav/clamd.ctl', timeout: '20s', fail_open: true, max_size: '10M' } });
    assert.deepEqual(clamavSettingsFrom(config.clamav), {
      address: '/run/clamav/clamd.ctl', timeoutMs: 20_000, connectTimeoutMs: 5000, idleTimeoutMs: 10_000, failOpen: true, maxSize: 10 * 1024 * 1024, roles: ['mx', 'submission', 'submissions'],
    });
    assert.equal(configSchema.parse({}).clamav.enabled, false);
    assert.throws(() => configSchema.parse({ clamav: { address: 'run/clamd.ctl:x' } }), /absolute path/);
  });
});
