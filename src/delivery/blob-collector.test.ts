/*
 * The blob garbage collector over a real SQLite store, a real file blob
 * store and the real committer: a message file goes once nothing uses it
 * (expunged, out of the queue) and never while anything does (a mailbox
 * message, a queued message, a learning event), nor one stored within the
 * grace period; above all, never the file of a message being committed
 * with the same bytes, whether its file is being written or written and
 * waiting for its transaction (the race that would lose acknowledged mail).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileBlobStore, sha256 } from '../store/blob/files.js';
import { SqlDeliveryStore } from '../store/sql/deliveries.js';
import { openSqliteStore, SqliteDriver } from '../store/sqlite/index.js';
import type { DeliveryRequest } from '../store/types.js';
import { silentLogger } from '../telemetry/logger.js';
import { BlobCollector } from './blob-collector.js';
import { Committer } from './committer.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function setup(graceMs = 0) {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-gc-'));
  dirs.push(dir);
  const clock = { now: 1_800_000_000_000 };
  const store = await openSqliteStore({ path: join(dir, 'db'), fsync: false, now: () => clock.now });
  const driver = new SqliteDriver({ path: join(dir, 'db'), fsync: false });
  const blobs = await FileBlobStore.open(join(dir, 'blobs'), { fsync: false, blocking: true });
  const committer = new Committer(blobs, new SqlDeliveryStore(driver, () => clock.now), silentLogger);
  const collector = new BlobCollector(store.blobGarbage, (h) => committer.isPinned(h) || blobs.isWriting(h), (h) => blobs.removeSync(h), { intervalMs: 1e9, graceMs, slice: 500 }, silentLogger, () => clock.now);
  await store.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
  const account = await store.directory.addAccount({ domain: 'example.com', local: 'a', passwordHash: 'h', quotaBytes: 0 });
  let n = 0;
  const request = (extra: Partial<DeliveryRequest>): CommitRequest => ({ internalDate: clock.now, messageId: null, queueId: `Q${++n}`, local: [{ accountId: account.id, mailbox: 'INBOX', enforceQuota: false }], ...extra });
  const commit = (bytes: string, extra: Partial<DeliveryRequest> = {}) => committer.commit({ bytes: Buffer.from(bytes), index: '{}', request: request(extra) });
  const file = (bytes: string) => blobs.pathOf(sha256(Buffer.from(bytes)));
  const close = async () => {
    blobs.close();
    await driver.close();
    await store.close();
  };
  return { store, blobs, committer, collector, commit, file, clock, account, close };
}
type CommitRequest = Omit<DeliveryRequest, 'blob'>;

describe('blob garbage collector', () => {
  it('removes the file and rows of a message expunged everywhere, and keeps one still in a mailbox', async () => {
    const s = await setup();
    await s.commit('Subject: gone\r\n\r\nbye\r\n');
    await s.commit('Subject: kept\r\n\r\nstay\r\n');
    const inbox = (await s.store.mailboxes.getMailbox(s.account.id, 'INBOX'))!;
    await s.store.messages.storeFlags(inbox.id, [1], 'add', ['\\Deleted']);
    await s.store.messages.expunge(inbox.id, [1]);
    assert.equal(await s.collector.step(), 1);
    assert.equal(existsSync(s.file('Subject: gone\r\n\r\nbye\r\n')), false);
    assert.equal(existsSync(s.file('Subject: kept\r\n\r\nstay\r\n')), true);
    assert.equal(await s.store.isBlobReferenced(sha256(Buffer.from('Subject: gone\r\n\r\nbye\r\n'))), false);
    assert.equal(await s.collector.step(), 0, 'nothing more to do');
    await s.close();
  });

  it('removes an outbound message once it leaves the queue, not before', async () => {
    const s = await setup();
    const bytes = 'Subject: out\r\n\r\nto the world\r\n';
    await s.commit(bytes, { local: [], outbound: { sender: 'a@example.com', recipients: [{ address: 'x@remote.test', notify: null, orcpt: null }], source: 'submission', accountId: null, envelope: { ret: null, envid: null, smtpUtf8: false, requireTls: false, body: null } } });
    assert.equal(await s.collector.step(), 0, 'queued: kept');
    assert.ok(existsSync(s.file(bytes)));
    await s.store.queue.remove('Q1');
    assert.equal(await s.collector.step(), 1);
    assert.equal(existsSync(s.file(bytes)), false);
    await s.close();
  });

  it('leaves files stored within the grace period for a later pass', async () => {
    const s = await setup(3_600_000);
    await s.commit('Subject: young\r\n\r\nx\r\n', { local: [] });
    assert.equal(await s.collector.step(), 0);
    s.clock.now += 3_600_001;
    assert.equal(await s.collector.step(), 1);
    await s.close();
  });

  it('never removes the file of a message being committed with the same bytes: while written, and while waiting for its transaction', async () => {
    const s = await setup();
    const bytes = 'Subject: again\r\n\r\nsame bytes\r\n';
    // First the bytes are garbage: stored by a message since expunged.
    await s.commit(bytes);
    const inbox = (await s.store.mailboxes.getMailbox(s.account.id, 'INBOX'))!;
    await s.store.messages.storeFlags(inbox.id, [1], 'add', ['\\Deleted']);
    await s.store.messages.expunge(inbox.id, [1]);
    // A new delivery of the same bytes starts; the collector runs at every point of it.
    const delivered = s.commit(bytes);
    const steps: Promise<number>[] = [];
    for (let i = 0; i < 20; i++) {
      steps.push(s.collector.step());
      await new Promise((r) => setImmediate(r));
    }
    await delivered;
    await Promise.all(steps);
    assert.ok(existsSync(s.file(bytes)), 'the file of the new delivery is there');
    assert.equal(await s.store.isBlobReferenced(sha256(Buffer.from(bytes))), true);
    assert.equal((await s.store.mailboxes.getMailbox(s.account.id, 'INBOX'))!.messageCount, 1);
    // And while the delivery's transaction waits: pinned.
    const hash = sha256(Buffer.from('Subject: pinned\r\n\r\nx\r\n'));
    assert.equal(s.committer.isPinned(hash), false);
    const pending = s.commit('Subject: pinned\r\n\r\nx\r\n');
    for (let i = 0; i < 50 && !s.committer.isPinned(hash); i++) await new Promise((r) => setImmediate(r));
    assert.equal(s.committer.isPinned(hash) || s.blobs.isWriting(hash), true);
    await pending;
    assert.equal(s.committer.isPinned(hash), false, 'unpinned once committed');
    await s.close();
  });

  it('keeps a blob a pending learning event still needs', async () => {
    const s = await setup();
    const bytes = 'Subject: spam\r\n\r\nbuy\r\n';
    await s.commit(bytes);
    const inbox = (await s.store.mailboxes.getMailbox(s.account.id, 'INBOX'))!;
    const junk = (await s.store.mailboxes.getMailbox(s.account.id, 'Junk'))!;
    await s.store.messages.move(inbox.id, [1], junk.id);
    await s.store.messages.storeFlags(junk.id, [1], 'add', ['\\Deleted']);
    await s.store.messages.expunge(junk.id, [1]);
    assert.equal(await s.collector.step(), 0, 'the spam event still refers to it');
    const events = await s.store.learning.listLearningEvents(10);
    await s.store.learning.consumeLearningEvents(events.map((e) => e.id));
    assert.equal(await s.collector.step(), 1);
    await s.close();
  });
});
