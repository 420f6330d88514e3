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
import { BACKFILL_BATCH, SearchBackfill } from './search-backfill.js';

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
