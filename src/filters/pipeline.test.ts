/*
 * The pipeline's rules: stages in filter order, the first reject answers,
 * facts flow to later filters, junk and quarantine combine per recipient,
 * a throwing or silent filter is a temporary failure, close always runs,
 * roles select filters.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../telemetry/logger.js';
import { FilterPipeline } from './pipeline.js';
import { CONTINUE, reject, type ClientInfo, type Filter, type StageResult } from './types.js';

const client: ClientInfo = { ip: '192.0.2.1', helo: 'client.example', tls: false, user: null, role: 'mx', trusted: false };
const body = { bytes: Buffer.from('Subject: x\r\n\r\nhi\r\n'), headerEnd: 14 };

function filter(name: string, stages: { mailFrom?: StageResult; body?: StageResult | (() => Promise<StageResult>) }, closed: string[] = [], roles?: ClientInfo['role'][]): Filter {
  return {
    name,
    roles,
    begin: () => ({
      mailFrom: stages.mailFrom ? async () => stages.mailFrom! : undefined,
      body: stages.body ? (typeof stages.body === 'function' ? stages.body : async () => stages.body as StageResult) : undefined,
      close: () => closed.push(name),
    }),
  };
}

const start = (p: FilterPipeline, role: ClientInfo['role'] = 'mx') => p.begin({ client: { ...client, role }, sender: 'a@b.example', queueId: 'Q1', facts: {}, log: silentLogger });

describe('filter pipeline', () => {
  it('the first reject at MAIL answers, and every filter is closed once', async () => {
    const closed: string[] = [];
    const p = new FilterPipeline([filter('one', { mailFrom: CONTINUE }, closed), filter('two', { mailFrom: reject(550, '5.7.1', 'no', 'two') }, closed), filter('three', { mailFrom: reject(451, '4.7.1', 'later', 'three') }, closed)]);
    const run = start(p);
    const v = await run.mailFrom();
    assert.equal(v.action === 'reject' && v.error.code, 550);
    run.close();
    run.close();
    assert.deepEqual(closed, ['one', 'two', 'three']);
  });

  it('facts published by one filter are seen by the next', async () => {
    let seen: unknown;
    const spf: Filter = { name: 'spf', begin: () => ({ body: async () => ({ ...CONTINUE, facts: { auth: { spf: { result: 'fail', domain: 'b.example' } } } }) }) };
    const spam: Filter = { name: 'spam', begin: (ctx) => ({ body: async () => { seen = ctx.facts.auth?.spf?.result; return CONTINUE; } }) };
    const out = await start(new FilterPipeline([spf, spam])).body(body);
    assert.equal(seen, 'fail');
    assert.equal(out.facts.auth?.spf?.result, 'fail');
  });

  it('junk and quarantine combine, per recipient too; a later reject still wins and stops the rest', async () => {
    const p = new FilterPipeline([
      filter('spam', { body: { verdict: { action: 'junk', reason: 'score 7' }, headers: ['X-Spam-Score: 7'], perRecipient: [{ action: 'continue' }, { action: 'quarantine', reason: 'domain threshold' }] } }),
      filter('attachments', { body: { verdict: { action: 'continue' }, headers: ['X-Petrel-Attachments: ok'] } }),
    ]);
    const run = start(p);
    await run.rcpt({ address: 'a@x.example', domain: 'x.example' });
    await run.rcpt({ address: 'b@y.example', domain: 'y.example' });
    const out = await run.body(body);
    assert.equal(out.verdict.action, 'junk');
    assert.deepEqual(out.perRecipient.map((v) => v.action), ['junk', 'quarantine']);
    assert.deepEqual(out.headers, ['X-Spam-Score: 7', 'X-Petrel-Attachments: ok']);

    let ranAfter = false;
    const q = new FilterPipeline([filter('spam', { body: { verdict: { action: 'junk', reason: 'x' } } }), filter('clamav', { body: reject(554, '5.7.1', 'virus', 'clamav') }), filter('after', { body: async () => { ranAfter = true; return CONTINUE; } })]);
    const out2 = await start(q).body(body);
    assert.equal(out2.verdict.action, 'reject');
    assert.equal(ranAfter, false);
  });

  it('a filter that throws or does not answer is a temporary failure, never an acceptance', async () => {
    const thrown = await start(new FilterPipeline([filter('broken', { body: async () => { throw new Error('boom'); } })])).body(body);
    assert.ok(thrown.verdict.action === 'reject' && thrown.verdict.error.code === 451 && thrown.verdict.error.module === 'filter:broken');
    const silent = await start(new FilterPipeline([filter('silent', { body: () => new Promise<StageResult>(() => {}) })], { stageTimeoutMs: 50 })).body(body);
    assert.ok(silent.verdict.action === 'reject' && silent.verdict.error.temporary && /50 ms/.test(silent.verdict.error.detail ?? ''));
  });

  it('a filter runs only for its roles (the MX by default) and its time is recorded', async () => {
    const p = new FilterPipeline([filter('spam', { body: reject(550, '5.7.1', 'spam', 'spam') }), filter('clamav', { body: CONTINUE }, [], ['mx', 'submission'])]);
    const run = start(p, 'submission');
    const out = await run.body(body);
    assert.equal(out.verdict.action, 'continue');
    assert.deepEqual([...run.timings.keys()], ['clamav']);
  });

  it('a connect reject ends the connection; connect facts start every message', async () => {
    const dnsbl: Filter = { name: 'dnsbl', connect: async () => ({ ...CONTINUE, facts: { dnsbl: [{ zone: 'zen.example', answer: '127.0.0.2' }] } }), begin: () => ({}) };
    const p = new FilterPipeline([dnsbl]);
    const c = await p.connect(client, silentLogger);
    assert.equal(c.verdict.action, 'continue');
    const run = p.begin({ client, sender: '', queueId: 'Q2', facts: c.facts, log: silentLogger });
    assert.deepEqual(run.facts.dnsbl, [{ zone: 'zen.example', answer: '127.0.0.2' }]);
  });
});
