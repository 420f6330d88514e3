/*
 * The search indexer over a real SQLite store and file blobs: queued blobs
 * become indexed from their files, each once; a blob whose file or index
 * cannot be read is indexed empty once and never retried in a loop;
 * indexing waits for deliveries to pause unless the backlog is too long.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { DEFAULT_MAILBOXES } from '../core/mailbox-names.js';
import { indexMessage } from '../mime/index.js';
import { EMPTY_SEARCH_DOCUMENT, searchKeys } from '../mime/search-text.js';
import { FileBlobStore } from '../store/blob/files.js';
import { openSqlStore } from '../store/sql/store.js';
import { SqliteDriver } from '../store/sqlite/driver.js';
import type { MetadataStore } from '../store/types.js';
import { createLogger } from '../telemetry/logger.js';
import { INDEX_CHUNK, SearchIndexer } from './search-indexer.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-indexer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function open(name: string) {
  const driver = new SqliteDriver({ path: join(dir, `${name}.sqlite`), fsync: false });
  const store = await openSqlStore(driver);
  const blobs = await FileBlobStore.open(join(dir, `${name}-blobs`), { fsync: false });
  await store.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
  const a = await store.directory.addAccount({ domain: 'example.com', local: 'a', passwordHash: 'h', quotaBytes: 0 });
  await store.mailboxes.ensureMailboxes(a.id, DEFAULT_MAILBOXES);
  const inbox = (await store.mailboxes.getMailbox(a.id, 'INBOX'))!;
  let n = 0;
  /** Delivers count messages as the committer does: blob file, then rows with the sort keys (queued for indexing). */
  const deliver = async (count: number) => {
    const batch = [];
    for (let i = 0; i < count; i++, n++) {
      const bytes = Buffer.from(`Subject: message ${n}\r\n\r\nWord${n}x delivered.\r\n`);
      const index = indexMessage(bytes);
      batch.push({ blob: { hash: await blobs.put(bytes), size: bytes.length, index: JSON.stringify(index), search: searchKeys(bytes, index) }, internalDate: n, messageId: null, queueId: `Q${n}`, local: [{ accountId: a.id, mailbox: 'INBOX', enforceQuota: false }] });
    }
    await store.deliveries.commit(batch);
  };
  const queued = async () => (await store.searchQueue.queued(100_000)).length;
  return { store, blobs, inbox, deliver, queued, close: async () => (blobs.close(), await store.close()) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('indexes queued blobs from their files, a chunk per transaction, each once', async () => {
  const { store, blobs, inbox, deliver, queued, close } = await open('chunks');
  try {
    const count = INDEX_CHUNK + 10;
    await deliver(count);
    // A row whose file is gone and one whose index is not JSON.
    const lost = { hash: 'f'.repeat(64), size: 1, index: '{"v":1}', search: EMPTY_SEARCH_DOCUMENT };
    await store.deliveries.commit([{ blob: lost, internalDate: 0, messageId: null, queueId: 'Qmissing', local: [{ accountId: inbox.accountId, mailbox: 'INBOX', enforceQuota: false }] }]);
    const junk = Buffer.from('Subject: junk index\r\n\r\nx\r\n');
    await store.deliveries.commit([{ blob: { hash: await blobs.put(junk), size: junk.length, index: 'not json', search: EMPTY_SEARCH_DOCUMENT }, internalDate: 0, messageId: null, queueId: 'Qjunk', local: [{ accountId: inbox.accountId, mailbox: 'INBOX', enforceQuota: false }] }]);

    assert.deepEqual(await store.messages.matchText(inbox.id, 'body', 'word7x'), [], 'not in the index before');
    assert.equal((await store.messages.unindexed(inbox.id)).length, count + 2);
    const errors: string[] = [];
    const indexer = new SearchIndexer(store.searchQueue, blobs, createLogger({ level: 'error', write: (line) => errors.push(line) }));
    await indexer.drain();
    assert.equal(indexer.indexed, count + 2);
    assert.equal(await queued(), 0);
    assert.deepEqual(await store.messages.matchText(inbox.id, 'body', 'word7x'), [8]);
    assert.deepEqual(await store.messages.matchText(inbox.id, 'subject', 'message 59'), [60]);
    assert.equal((await store.messages.searchFields(inbox.id, [1]))[0]!.subject, 'message 0');
    assert.equal(errors.length, 2, errors.join('\n'));
    await indexer.drain();
    assert.equal(indexer.indexed, count + 2, 'nothing is tried twice');
    await indexer.stop();
  } finally {
    await close();
  }
});

it('indexes deliveries soon (gathered for INDEX_GATHER_MS) while deliveries are few', async () => {
  const { store, blobs, inbox, deliver, queued, close } = await open('eager');
  try {
    const indexer = new SearchIndexer(store.searchQueue, blobs, createLogger({ write: () => {} }), { idleMs: 5000 });
    for (let round = 0; round < 3; round++) {
      const started = Date.now();
      await deliver(1);
      indexer.committed(1);
      await deliver(1);
      indexer.committed(1);
      await until(async () => (await queued()) === 0, 4000);
      assert.equal(await queued(), 0, 'indexed without waiting for a pause');
      assert.ok(Date.now() - started < 4000, 'well before the idle time of 5 s');
    }
    assert.deepEqual(await store.messages.matchText(inbox.id, 'body', 'word4x'), [5]);
    await indexer.stop();
  } finally {
    await close();
  }
});

/** Polls cond every 20 ms until it holds or timeoutMs passes. */
async function until(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond()) && Date.now() < deadline) await sleep(20);
}

it('during a burst indexes once deliveries pause, and between deliveries past the backlog', async () => {
  const { store, blobs, inbox, deliver, queued, close } = await open('schedule');
  try {
    // A burst, scaled down: 2 deliveries every 50 ms over an eager rate of 10 a second.
    // The pause is long (1.5 s) next to the waits below, so a loaded machine (CI runs test files two at a time) cannot blur the two.
    const indexer = new SearchIndexer(store.searchQueue, blobs, createLogger({ write: () => {} }), { idleMs: 1500, eagerRate: 10, backlog: 300 });
    await deliver(5);
    indexer.committed(5);
    await until(async () => (await queued()) === 0, 1200);
    assert.equal(await queued(), 0, 'the first deliveries, below the rate, are indexed soon, before any pause');
    await deliver(10);
    indexer.committed(10);
    for (let round = 0; round < 5; round++) {
      await sleep(50);
      await deliver(2);
      indexer.committed(2);
    }
    assert.equal(await queued(), 20, 'over the rate, indexing waits for a pause');
    await until(async () => (await queued()) === 0, 6000);
    assert.equal(await queued(), 0, 'indexed once deliveries paused');
    assert.deepEqual(await store.messages.matchText(inbox.id, 'body', 'word13x'), [14]);

    // Past the backlog the index keeps up between deliveries, a chunk at a time, without a pause.
    await deliver(INDEX_CHUNK * 3);
    const committedAt = Date.now();
    indexer.committed(INDEX_CHUNK * 3);
    await until(async () => (await queued()) < 300, 1200);
    const left = await queued();
    assert.ok(left > 0 && left < 300 && Date.now() - committedAt < 1500, `indexed down to the backlog limit without a pause (${left} left)`);
    await until(async () => (await queued()) === 0, 6000);
    assert.equal(await queued(), 0);
    await indexer.stop();
  } finally {
    await close();
  }
});
