/*
 * The delivery transaction carrying a Sieve run's results (migration 17):
 * companion messages committed with the message, duplicate marks with
 * :last and expiry, and a vacation reply sent once per sender per period
 * even when two deliveries race for it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '../sqlite/index.js';
import type { DeliveryRequest, MetadataStore, SieveMark } from '../types.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-sieve-marks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let clock = 1_000_000;
let n = 0;
async function open(): Promise<{ store: MetadataStore; account: number }> {
  const store = await openSqliteStore({ path: join(dir, `s${n++}.sqlite`), fsync: false, now: () => clock });
  await store.directory.addDomain({ name: 'm.test', ascii: 'm.test' });
  const a = await store.directory.addAccount({ domain: 'm.test', local: 'a', passwordHash: 'h', quotaBytes: 0 });
  return { store, account: a.id };
}

const blob = (i: number) => ({ hash: i.toString(16).padStart(64, '0'), size: 10, index: '{}' });
const request = (i: number, over: Partial<DeliveryRequest> = {}): DeliveryRequest => ({ blob: blob(i), internalDate: clock, messageId: null, queueId: `Q${i}`, local: [], ...over });

describe('Sieve marks and companion messages in the delivery transaction', () => {
  it('commits the companions (an edited copy, a queued redirect) with the message and reports their outcomes', async () => {
    const { store, account } = await open();
    const [r] = await store.deliveries.commit([
      request(1, {
        local: [{ accountId: account, mailbox: 'INBOX', enforceQuota: false, flags: ['\\Flagged'] }],
        also: [
          request(2, { local: [{ accountId: account, mailbox: 'Work', enforceQuota: false }] }),
          request(3, { queueId: 'R1', outbound: { sender: 'b@x.test', recipients: [{ address: 'c@y.test', notify: null, orcpt: 'rfc822;a@m.test' }], source: 'mx', accountId: null, envelope: { ret: null, envid: null, smtpUtf8: false, requireTls: false, body: null } } }),
        ],
      }),
    ]);
    assert.equal(r!.local[0]!.ok, true);
    assert.equal(r!.also![0]!.local[0]!.ok, true);
    assert.deepEqual((await store.mailboxes.listMailboxes(account)).map((m) => m.name).includes('Work'), true);
    const q = await store.queue.get('R1');
    assert.deepEqual(q?.recipients.map((x) => x.recipient), ['c@y.test']);
    await store.close();
  });

  it('duplicate marks expire; :last restarts the period at each sighting', async () => {
    const { store, account } = await open();
    const mark = (m: string, last: boolean): SieveMark => ({ accountId: account, kind: 'duplicate', mark: m, seconds: 10, last });
    await store.deliveries.commit([request(1, { marks: [mark('first', false), mark('last', true)] })]);
    assert.deepEqual([...(await store.sieveMarks.unexpired(account, 'duplicate', ['first', 'last', 'other'], clock))].sort(), ['first', 'last']);
    clock += 8000;
    await store.deliveries.commit([request(2, { marks: [mark('first', false), mark('last', true)] })]);
    clock += 5000;
    assert.deepEqual([...(await store.sieveMarks.unexpired(account, 'duplicate', ['first', 'last'], clock))], ['last']);
    assert.equal((await store.sieveMarks.unexpired(account, 'vacation', ['last'], clock)).size, 0, 'kinds are apart');
    await store.close();
  });

  it('onlyOnce: a vacation reply goes once per sender per period, also when two deliveries share a transaction', async () => {
    const { store, account } = await open();
    const once: SieveMark = { accountId: account, kind: 'vacation', mark: 'h-bob', seconds: 60, last: false };
    const reply = (i: number) => request(i, { onlyOnce: once, local: [{ accountId: account, mailbox: 'INBOX', enforceQuota: false }] });
    const results = await store.deliveries.commit([request(10, { also: [reply(11)] }), request(12, { also: [reply(13)] })]);
    assert.deepEqual(results.map((r) => r.also![0]!.skipped ?? false), [false, true]);
    clock += 61_000;
    const [later] = await store.deliveries.commit([request(14, { also: [reply(15)] })]);
    assert.equal(later!.also![0]!.skipped, undefined, 'answered again after the period');
    await store.close();
  });
});
