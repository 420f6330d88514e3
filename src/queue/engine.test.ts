/*
 * The queue manager over a real SQLite queue, with the remote side (the
 * SMTP attempt) and the clock injected: results recorded and messages
 * removed; backoff 5 minutes doubling to the cap; expiry with a fake
 * clock bouncing with 4.4.7; one failure DSN per message for all its
 * bounced recipients, none for NOTIFY=NEVER or the null sender; a
 * "relayed" DSN for NOTIFY=SUCCESS to a server without DSN; one delay
 * warning; poison messages held while the rest flows; per-destination
 * concurrency and rate; a dead destination not tried again for each of
 * its messages; overdue deferred mail spread at restart; DSNs owed by a
 * crashed process sent at start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AttemptJob, AttemptOutcome, AttemptReport } from '../delivery/smtp/attempt.js';
import { nexthopFor, type RouteRule } from '../delivery/smtp/nexthop.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { MetadataStore, OutboundRecipient } from '../store/types.js';
import { silentLogger } from '../telemetry/logger.js';
import { OutboundEngine, type DsnNotice, type EngineOptions } from './engine.js';

const MIN = 60_000;
const OPTIONS: EngineOptions = {
  min: 5 * MIN, max: 70 * MIN, lifetime: 5 * 86_400_000, bounceLifetime: 86_400_000,
  delayWarning: 0, destinationConcurrency: 20, destinationRate: 0, maxConnections: 100, recipientsPerMessage: 50, poisonAfter: 3, restartSpread: 5 * MIN,
};
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

type Script = (job: AttemptJob, domain: string) => Promise<AttemptReport> | AttemptReport;

const outcome = (address: string, kind: AttemptOutcome['outcome'], reply: string, extra: Partial<AttemptOutcome> = {}): AttemptOutcome => ({
  address, outcome: kind, reply, statusCode: /^\d{3} (\d\.\d+\.\d+)/.exec(reply)?.[1] ?? '4.4.1', host: 'mx.remote.test', ip: '192.0.2.1', dsnPassed: false, ...extra,
});
const all = (kind: AttemptOutcome['outcome'], reply: string, extra: Partial<AttemptOutcome> = {}): Script => (job) => ({ answered: true, outcomes: job.recipients.map((r) => outcome(r.address, kind, reply, extra)) });

async function setup(script: Script, options: Partial<EngineOptions> = {}, prepare?: () => Promise<Buffer>, routes: RouteRule[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-engine-'));
  dirs.push(dir);
  const clock = { now: 1_800_000_000_000 };
  const store = await openSqliteStore({ path: join(dir, 'db'), fsync: false, now: () => clock.now });
  const notices: DsnNotice[] = [];
  const attempts: { queueId: string; domain: string; recipients: string[]; at: number }[] = [];
  const engine = new OutboundEngine({ ...OPTIONS, ...options }, {
    store: store.queue,
    prepare: prepare ?? (async () => Buffer.from('Subject: x\r\n\r\nbody\r\n')),
    nexthop: (domain) => nexthopFor(domain, routes, undefined),
    attempt: async (job, nexthop) => {
      const domain = nexthop.kind === 'mx' ? nexthop.domain : nexthop.host;
      attempts.push({ queueId: job.queueId, domain, recipients: job.recipients.map((r) => r.address), at: clock.now });
      return script(job, domain);
    },
    dsn: { send: async (n) => void notices.push(n) },
    now: () => clock.now,
    random: () => 0.5,
    log: silentLogger,
  });
  let n = 0;
  const queue = async (recipients: (string | Partial<OutboundRecipient> & { address: string })[], sender = 'alice@example.com') => {
    const id = `Q${String(++n).padStart(4, '0')}`;
    await store.deliveries.commit([{
      blob: { hash: n.toString(16).padStart(64, '0'), size: 10, index: '{}' },
      internalDate: clock.now, messageId: null, queueId: id, local: [],
      outbound: { sender, source: 'submission', accountId: null, envelope: { ret: null, envid: null, smtpUtf8: false, requireTls: false, body: null }, recipients: recipients.map((r) => (typeof r === 'string' ? { address: r, notify: null, orcpt: null } : { notify: null, orcpt: null, ...r })) },
    }]);
    return id;
  };
  return { store, engine, clock, notices, attempts, queue, dir };
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function done(s: { store: MetadataStore; engine: OutboundEngine }): Promise<void> {
  await s.engine.stop(1000);
  await s.store.close();
}

describe('outbound queue manager', () => {
  it('records a delivery and removes the finished message; nothing is sent twice', async () => {
    const s = await setup(all('delivered', '250 2.0.0 ok'));
    const id = await s.queue(['b@remote.test', 'c@remote.test']);
    await s.engine.start();
    await until(async () => (await s.store.queue.get(id)) === undefined);
    assert.equal(s.attempts.length, 1, 'both recipients of one domain in one job');
    assert.deepEqual(s.attempts[0]!.recipients, ['b@remote.test', 'c@remote.test']);
    s.engine.kick();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(s.attempts.length, 1);
    assert.deepEqual(s.notices, []);
    await done(s);
  });

  it('defers with backoff from 5 minutes doubling up to the 70-minute cap, keeping the last reply', async () => {
    const s = await setup(all('deferred', '451 4.3.0 try later'));
    const id = await s.queue(['b@remote.test']);
    await s.engine.start();
    const waits: number[] = [];
    for (let i = 1; i <= 6; i++) {
      await until(async () => (await s.store.queue.get(id))!.recipients[0]!.attempts === i);
      const r = (await s.store.queue.get(id))!.recipients[0]!;
      assert.equal(r.status, 'deferred');
      assert.equal(r.lastReply, '451 4.3.0 try later');
      waits.push((r.nextAttempt - s.clock.now) / MIN);
      s.clock.now = r.nextAttempt;
      s.engine.kick();
    }
    assert.deepEqual(waits, [5, 10, 20, 40, 70, 70]);
    assert.equal((await s.store.queue.attempts(id)).length, 6, 'every attempt in the history');
    await done(s);
  });

  it('bounces a message that outlived the queue lifetime with 4.4.7 and the last reply, in one DSN', async () => {
    const s = await setup(all('deferred', '421 4.4.2 busy'));
    const id = await s.queue(['b@remote.test']);
    s.clock.now += 5 * 86_400_000;
    await s.engine.start();
    await until(() => s.notices.length === 1);
    const n = s.notices[0]!;
    assert.equal(n.kind, 'failure');
    assert.equal(n.recipients[0]!.result.statusCode, '4.4.7');
    assert.match(n.recipients[0]!.result.reply, /expired: 421 4\.4\.2 busy/);
    await until(async () => (await s.store.queue.get(id)) === undefined);
    await done(s);
  });

  it('sends one failure DSN for all bounced recipients of a message, none for NOTIFY=NEVER or the null sender', async () => {
    const s = await setup((job, domain) => (domain === 'ok.test' ? all('delivered', '250 ok')(job, domain) : all('bounced', '550 5.1.1 no such user')(job, domain)));
    await s.queue(['x@bad.test', 'y@bad.test', 'z@other-bad.test', 'w@ok.test', { address: 'v@bad.test', notify: ['NEVER'] }]);
    await s.queue(['x@bad.test'], '');
    await s.engine.start();
    await until(async () => (await s.store.queue.list()).length === 0);
    assert.equal(s.notices.length, 1);
    assert.equal(s.notices[0]!.kind, 'failure');
    assert.deepEqual(s.notices[0]!.recipients.map((r) => r.recipient.recipient).sort(), ['x@bad.test', 'y@bad.test', 'z@other-bad.test']);
    await done(s);
  });

  it('sends a "relayed" DSN for NOTIFY=SUCCESS when the remote server does not offer DSN, and none when it took NOTIFY', async () => {
    const s = await setup((job, domain) => all('delivered', '250 ok', { dsnPassed: domain === 'dsn.test' })(job, domain));
    await s.queue([{ address: 'a@plain.test', notify: ['SUCCESS'] }, { address: 'b@dsn.test', notify: ['SUCCESS'] }, 'c@plain.test']);
    await s.engine.start();
    await until(async () => (await s.store.queue.list()).length === 0);
    assert.equal(s.notices.length, 1);
    assert.equal(s.notices[0]!.kind, 'success');
    assert.deepEqual(s.notices[0]!.recipients.map((r) => [r.recipient.recipient, r.action]), [['a@plain.test', 'relayed']]);
    await done(s);
  });

  it('warns once that a message is delayed, when delay_warning is set', async () => {
    const s = await setup(all('deferred', '451 4.3.0 later'), { delayWarning: 4 * 60 * MIN });
    const id = await s.queue(['b@remote.test', { address: 'c@remote.test', notify: ['FAILURE'] }]);
    await s.engine.start();
    await until(async () => (await s.store.queue.get(id))!.recipients[0]!.attempts === 1);
    assert.equal(s.notices.length, 0, 'not yet delayed long enough');
    for (let i = 2; i <= 4; i++) {
      s.clock.now += 5 * 60 * MIN;
      s.engine.kick();
      await until(async () => (await s.store.queue.get(id))!.recipients[0]!.attempts === i);
    }
    await until(() => s.notices.length === 1);
    assert.equal(s.notices[0]!.kind, 'delay');
    assert.deepEqual(s.notices[0]!.recipients.map((r) => r.recipient.recipient), ['b@remote.test'], 'NOTIFY=FAILURE asks for no delay notice');
    assert.ok((await s.store.queue.get(id))!.warnedAt !== null);
    await done(s);
  });

  it('holds a poison message after three failures inside Petrel, while other mail keeps flowing', async () => {
    let calls = 0;
    const s = await setup(all('delivered', '250 ok'), {}, async () => {
      calls++;
      throw new Error('message file unreadable');
    });
    const poison = await s.queue(['b@remote.test']);
    await s.engine.start();
    for (let i = 1; i <= 3; i++) {
      await until(async () => (await s.store.queue.get(poison))!.failures === i || (await s.store.queue.get(poison))!.held);
      s.clock.now += 80 * MIN;
      s.engine.kick();
    }
    await until(async () => (await s.store.queue.get(poison))!.held);
    const e = (await s.store.queue.get(poison))!;
    assert.equal(e.holdReason, 'poison: message file unreadable');
    assert.equal(calls, 3);
    assert.equal(s.attempts.length, 0);
    await done(s);

    const t = await setup(all('delivered', '250 ok'), {}, async () => Buffer.from('x'));
    const ok = await t.queue(['b@remote.test']);
    await t.engine.start();
    await until(async () => (await t.store.queue.get(ok)) === undefined);
    await done(t);
  });

  it('runs at most destination_concurrency jobs per destination, and a slow destination does not hold up another', async () => {
    let slowRunning = 0;
    let slowMax = 0;
    const release: (() => void)[] = [];
    const s = await setup(async (job, domain) => {
      if (domain === 'slow.test') {
        slowRunning++;
        slowMax = Math.max(slowMax, slowRunning);
        await new Promise<void>((r) => release.push(r));
        slowRunning--;
      }
      return all('delivered', '250 ok')(job, domain);
    }, { destinationConcurrency: 3 });
    for (let i = 0; i < 10; i++) await s.queue([`u${i}@slow.test`]);
    const fast = await s.queue(['f@fast.test']);
    await s.engine.start();
    await until(async () => (await s.store.queue.get(fast)) === undefined);
    assert.equal(slowRunning, 3);
    while (release.length > 0 || slowRunning > 0) {
      release.splice(0).forEach((r) => r());
      await new Promise((r) => setTimeout(r, 10));
    }
    await until(async () => (await s.store.queue.list()).length === 0);
    assert.equal(slowMax, 3);
    await done(s);
  });

  it('spaces jobs to a destination by destination_rate', async () => {
    const starts: number[] = [];
    const s = await setup(async (job, domain) => {
      starts.push(Date.now());
      return all('delivered', '250 ok')(job, domain);
    }, { destinationRate: 600 });
    for (let i = 0; i < 4; i++) await s.queue([`u${i}@rated.test`]);
    await s.engine.start();
    await until(async () => (await s.store.queue.list()).length === 0);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    assert.ok(gaps.every((g) => g >= 90), `about 100 ms apart at 600 a minute: ${gaps.join(',')}`);
    await done(s);
  });

  it('a destination no host of which answers is marked dead: its other messages are deferred without another try', async () => {
    const s = await setup((job) => ({ answered: false, outcomes: job.recipients.map((r) => outcome(r.address, 'deferred', 'mx.dead.test[192.0.2.9]:25: connection failed: ECONNREFUSED', { statusCode: '4.4.1' })) }), { destinationConcurrency: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await s.queue([`u${i}@dead.test`]));
    await s.engine.start();
    await until(async () => (await Promise.all(ids.map((id) => s.store.queue.get(id)))).every((e) => e!.recipients[0]!.status === 'deferred'));
    assert.equal(s.attempts.length, 1, 'one real try');
    const last = (await s.store.queue.get(ids[4]!))!.recipients[0]!;
    assert.match(last.lastReply!, /^delivery temporarily suspended: .*ECONNREFUSED/);
    await done(s);
  });

  it('at restart, spreads deferred recipients that fell due while it was down, and sends DSNs a crashed process owed', async () => {
    const s = await setup(all('delivered', '250 ok'));
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await s.queue([`u${i}@remote.test`]));
    await s.store.queue.record(ids.map((id, i) => ({ queueId: id, recipient: `u${i}@remote.test`, outcome: 'deferred' as const, at: s.clock.now - 3 * 60 * MIN, reply: '451 later', statusCode: '4.0.0', nextAttempt: s.clock.now - 2 * 60 * MIN })));
    const crashed = await s.queue(['gone@remote.test']);
    await s.store.queue.record([{ queueId: crashed, recipient: 'gone@remote.test', outcome: 'bounced', at: s.clock.now, reply: '550 5.1.1 unknown', statusCode: '5.1.1', dsn: 'failed' }]);
    await s.engine.start();
    await until(() => s.notices.length === 1);
    assert.equal(s.notices[0]!.recipients[0]!.recipient.recipient, 'gone@remote.test');
    assert.equal(await s.store.queue.get(crashed), undefined);
    const times = (await Promise.all(ids.map((id) => s.store.queue.get(id)))).map((e) => e!.recipients[0]!.nextAttempt);
    assert.ok(times.every((t) => t >= s.clock.now && t < s.clock.now + 5 * MIN), 'rescheduled within restart_spread');
    assert.equal(s.attempts.length, 0, 'none sent at once');
    await done(s);
  });

  it('a route can give one destination its own concurrency', async () => {
    let running = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const s = await setup(async (job, domain) => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((r) => release.push(r));
      running--;
      return all('delivered', '250 ok')(job, domain);
    }, { destinationConcurrency: 20 }, undefined, [{ domain: 'careful.test', port: 25, mx: false, tls: 'opportunistic', concurrency: 1 }]);
    for (let i = 0; i < 5; i++) await s.queue([`u${i}@careful.test`]);
    await s.engine.start();
    await until(() => running === 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(running, 1, 'one at a time');
    while ((await s.store.queue.list()).length > 0) {
      release.splice(0).forEach((r) => r());
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(most, 1);
    await done(s);
  });
});
