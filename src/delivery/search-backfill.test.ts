/*
 * The search-text backfill over a real SQLite store and file blobs: blobs
 * stored without search text become searchable; a blob whose file or
 * index cannot be read is marked once and never retried in a loop.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { DEFAULT_MAILBOXES } from '../core/mailbox-names.js';
import { indexMessage } from '../mime/index.js';
import { FileBlobStore } from '../store/blob/files.js';
import { SqlSearchBackfill } from '../store/sql/search.js';
import { openSqlStore } from '../store/sql/store.js';
import { SqliteDriver } from '../store/sqlite/driver.js';
import { createLogger } from '../telemetry/logger.js';
import { BACKFILL_BATCH, EMPTY_SEARCH_TEXT, INDEX_CHUNK, SearchBackfill } from './search-backfill.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-backfill-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('indexes blobs stored without search text, in batches, each once', async () => {
  const driver = new SqliteDriver({ path: join(dir, 'db.sqlite'), fsync: false });
  const store = await openSqlStore(driver);
  const blobs = await FileBlobStore.open(join(dir, 'blobs'), { fsync: false });
  try {
    await store.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
    const a = await store.directory.addAccount({ domain: 'example.com', local: 'a', passwordHash: 'h', quotaBytes: 0 });
    await store.mailboxes.ensureMailboxes(a.id, DEFAULT_MAILBOXES);
    const count = BACKFILL_BATCH + 10;
    for (let n = 0; n < count; n++) {
      const bytes = Buffer.from(`Subject: old message ${n}\r\n\r\nWord${n}x stored before the index.\r\n`);
      const hash = await blobs.put(bytes);
      await store.deliveries.commit([{ blob: { hash, size: bytes.length, index: JSON.stringify(indexMessage(bytes)) }, internalDate: n, messageId: null, queueId: `Q${n}`, local: [{ accountId: a.id, mailbox: 'INBOX', enforceQuota: false }] }]);
    }
    // A row whose file is gone and one whose index is not JSON.
    await store.deliveries.commit([{ blob: { hash: 'f'.repeat(64), size: 1, index: '{"v":1}' }, internalDate: 0, messageId: null, queueId: 'Qmissing', local: [{ accountId: a.id, mailbox: 'INBOX', enforceQuota: false }] }]);
    const junk = Buffer.from('Subject: junk index\r\n\r\nx\r\n');
    await store.deliveries.commit([{ blob: { hash: await blobs.put(junk), size: junk.length, index: 'not json' }, internalDate: 0, messageId: null, queueId: 'Qjunk', local: [{ accountId: a.id, mailbox: 'INBOX', enforceQuota: false }] }]);

    const inbox = (await store.mailboxes.getMailbox(a.id, 'INBOX'))!;
    assert.deepEqual(await store.messages.matchText(inbox.id, 'body', 'word7x'), [], 'not searchable before');
    const errors: string[] = [];
    const logger = createLogger({ level: 'error', write: (line) => errors.push(line) });
    const backfill = new SearchBackfill(new SqlSearchBackfill(driver), blobs, logger);
    assert.equal(await backfill.run(), count + 2);
    assert.deepEqual(await store.messages.matchText(inbox.id, 'body', 'word7x'), [8]);
    assert.deepEqual(await store.messages.matchText(inbox.id, 'subject', 'old message 59'), [60]);
    assert.equal((await store.messages.searchFields(inbox.id, [1]))[0]!.subject, 'old message 0');
    assert.equal(errors.length, 2, errors.join('\n'));
    assert.equal(await backfill.run(), 0, 'nothing is tried twice');
  } finally {
    blobs.close();
    await store.close();
  }
});

it('indexes delivered text once deliveries pause, and between deliveries past the backlog', async () => {
  const driver = new SqliteDriver({ path: join(dir, 'mover.sqlite'), fsync: false });
  const store = await openSqlStore(driver);
  const blobs = await FileBlobStore.open(join(dir, 'mover-blobs'), { fsync: false });
  const pending = async () => (await driver.get<{ n: number }>('SELECT count(*) AS n FROM blob_text_pending'))!.n;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  try {
    await store.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
    const a = await store.directory.addAccount({ domain: 'example.com', local: 'a', passwordHash: 'h', quotaBytes: 0 });
    await store.mailboxes.ensureMailboxes(a.id, DEFAULT_MAILBOXES);
    const inbox = (await store.mailboxes.getMailbox(a.id, 'INBOX'))!;
    let n = 0;
    const deliver = async (count: number) => {
      const batch = [];
      for (let i = 0; i < count; i++, n++) {
        const search = { ...EMPTY_SEARCH_TEXT, body: `delivered word${n}x` };
        batch.push({ blob: { hash: n.toString(16).padStart(64, '0'), size: 1, index: '{"v":1}', search }, internalDate: n, messageId: null, queueId: `Q${n}`, local: [{ accountId: a.id, mailbox: 'INBOX', enforceQuota: false }] });
      }
      await store.deliveries.commit(batch);
    };
    const indexer = new SearchBackfill(store.searchIndex, blobs, createLogger({ write: () => {} }), { idleMs: 400, backlog: 300 });

    // Steady deliveries: nothing is indexed while they keep coming, and all is searchable.
    for (let round = 0; round < 5; round++) {
      await deliver(2);
      indexer.committed(2);
      await sleep(50);
    }
    assert.equal(await pending(), 10, 'indexing waits for a pause');
    assert.deepEqual(await store.messages.matchText(inbox.id, 'body', 'word3x'), [4], 'pending text is searchable');
    await sleep(800);
    assert.equal(await pending(), 0, 'indexed once deliveries paused');
    assert.deepEqual(await store.messages.matchText(inbox.id, 'body', 'word3x'), [4]);

    // Past the backlog the index keeps up between deliveries, a chunk at a time, without a pause.
    await deliver(INDEX_CHUNK * 3);
    indexer.committed(INDEX_CHUNK * 3);
    await sleep(30);
    const left = await pending();
    assert.ok(left > 0 && left < 300, `indexed down to the backlog limit without a pause (${left} left)`);
    await sleep(800);
    assert.equal(await pending(), 0);
    assert.deepEqual(await store.messages.matchText(inbox.id, 'body', `word${n - 1}x`), [n]);
    await indexer.stop();
  } finally {
    blobs.close();
    await store.close();
  }
});
