/*
 * Greylisting on a real SQLite store with a fake clock, through the
 * pipeline: a first attempt is deferred with 451 4.7.1, an early retry
 * still is, a retry after the delay passes and keeps passing; a retry
 * past the window starts over; a /24 neighbour counts as the same client;
 * a network retried auto_allowlist times is no longer greylisted; trusted,
 * authenticated and postmaster@ are never deferred; expiry forgets.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore } from '../../store/sqlite/index.js';
import type { MetadataStore } from '../../store/types.js';
import { silentLogger } from '../../telemetry/logger.js';
import { FilterPipeline } from '../pipeline.js';
import type { ClientInfo, Verdict } from '../types.js';
import { greylistFilter, greylistNetwork, type GreylistSettings } from './filter.js';

const MIN = 60_000;
const SETTINGS: GreylistSettings = { enabled: true, delayMs: 5 * MIN, retryWindowMs: 48 * 60 * MIN, maxAgeMs: 35 * 24 * 60 * MIN, autoAllowAfter: 3 };

const dir = mkdtempSync(join(tmpdir(), 'petrel-greylist-'));
let store: MetadataStore;
let now = 1_700_000_000_000;
let n = 0;
before(async () => {
  store = await openSqliteStore({ path: join(dir, 'db.sqlite'), fsync: false });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function attempt(ip: string, sender: string, to: string, over: Partial<ClientInfo> = {}, settings = SETTINGS): Promise<Verdict> {
  const client: ClientInfo = { ip, helo: 'mta.example', tls: false, user: null, role: 'mx', trusted: false, ...over };
  const p = new FilterPipeline([greylistFilter(settings, store.greylist, () => now)]);
  const run = p.begin({ client, sender, queueId: `Q${n++}`, facts: {}, log: silentLogger });
  const v = await run.rcpt({ address: to, domain: to.split('@')[1]! });
  run.close();
  return v;
}
const deferred = (v: Verdict) => v.action === 'reject' && v.error.code === 451 && v.error.enhanced === '4.7.1';

describe('greylisting', () => {
  it('groups IPv4 by /24 and IPv6 by /64', () => {
    assert.equal(greylistNetwork('192.0.2.77'), '192.0.2.0/24');
    assert.equal(greylistNetwork('::ffff:192.0.2.77'), '192.0.2.0/24');
    assert.equal(greylistNetwork('2001:db8:1:2:3:4:5:6'), '2001:0db8:0001:0002::/64');
  });

  it('defers a first attempt and an early retry, passes a retry after the delay and from then on', async () => {
    const first = await attempt('192.0.2.10', 'a@sender.example', 'u@ours.example');
    assert.ok(deferred(first), JSON.stringify(first));
    assert.match((first as { error: Error }).error.message, /451 4\.7\.1 <u@ours\.example>: Recipient address rejected: Greylisted, please try again in 300 seconds/);
    now += 2 * MIN;
    assert.ok(deferred(await attempt('192.0.2.10', 'a@sender.example', 'u@ours.example')), 'too early');
    now += 4 * MIN;
    assert.equal((await attempt('192.0.2.99', 'A@Sender.example', 'U@ours.example')).action, 'continue', 'the retry, from a /24 neighbour, case aside');
    now += 3 * 24 * 60 * MIN;
    assert.equal((await attempt('192.0.2.10', 'a@sender.example', 'u@ours.example')).action, 'continue', 'remembered');
    assert.ok(deferred(await attempt('192.0.2.10', 'other@sender.example', 'u@ours.example')), 'another sender is another triplet');
    assert.ok(deferred(await attempt('198.51.100.10', 'a@sender.example', 'u@ours.example')), 'another network is another triplet');
  });

  it('starts over when the retry comes after the retry window', async () => {
    assert.ok(deferred(await attempt('203.0.113.5', 'late@sender.example', 'u@ours.example')));
    now += 49 * 60 * MIN;
    assert.ok(deferred(await attempt('203.0.113.5', 'late@sender.example', 'u@ours.example')), 'too late: a new first attempt');
    now += 6 * MIN;
    assert.equal((await attempt('203.0.113.5', 'late@sender.example', 'u@ours.example')).action, 'continue');
  });

  it('stops greylisting a network whose mail retried auto_allowlist times', async () => {
    const ip = '198.18.0.1';
    for (let i = 0; i < 3; i++) {
      const sender = `s${i}@pool.example`;
      assert.ok(deferred(await attempt(ip, sender, 'u@ours.example')));
      now += 6 * MIN;
      assert.equal((await attempt(ip, sender, 'u@ours.example')).action, 'continue');
    }
    assert.equal((await attempt(ip, 'brand-new@pool.example', 'someone@ours.example')).action, 'continue', 'allowlisted');
    assert.ok(deferred(await attempt(ip, 'brand-new2@pool.example', 'someone@ours.example', {}, { ...SETTINGS, autoAllowAfter: 0 })), 'auto_allowlist 0 turns it off');
  });

  it('never defers trusted clients, logged-in users or postmaster@', async () => {
    assert.equal((await attempt('192.0.2.200', 'x@y.example', 'u@ours.example', { trusted: true })).action, 'continue');
    assert.equal((await attempt('192.0.2.201', 'x@y.example', 'u@ours.example', { user: 'ann@ours.example' })).action, 'continue');
    assert.equal((await attempt('192.0.2.202', 'x@y.example', 'Postmaster@ours.example')).action, 'continue');
  });

  it('expires unretried triplets after the window and idle ones after max_age', async () => {
    assert.ok(deferred(await attempt('100.64.0.1', 'gone@sender.example', 'u@ours.example')));
    now += 49 * 60 * MIN;
    assert.ok((await store.greylist.expire(now, SETTINGS)) >= 1);
    now += 36 * 24 * 60 * MIN;
    assert.ok((await store.greylist.expire(now, SETTINGS)) >= 1, 'the passed ones and the allowlisted network');
    assert.equal(await store.greylist.expire(now, SETTINGS), 0);
    assert.ok(deferred(await attempt('198.18.0.1', 'brand-new@pool.example', 'someone@ours.example')), 'the network was forgotten');
  });
});
