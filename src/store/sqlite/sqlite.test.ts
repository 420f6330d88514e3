import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runStoreContract } from '../contract.js';
import { indexSearchText, insertSearchKeys } from '../sql/fulltext.js';
import { migrate, migrations, LATEST_VERSION } from '../sql/migrations.js';
import { SqliteDriver } from './driver.js';
import { openSqliteStore } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

runStoreContract('sqlite', () => openSqliteStore({ path: join(dir, `db${n++}.sqlite`), fsync: true }));

describe('sqlite migrations', () => {
  it('applies each version once and records it', async () => {
    const driver = new SqliteDriver({ path: join(dir, 'migrate.sqlite'), fsync: false });
    assert.deepEqual(await migrate(driver), migrations.map((m) => m.version));
    assert.deepEqual(await migrate(driver), []);
    const row = await driver.get<{ v: number }>('SELECT MAX(version) AS v FROM schema_migrations');
    assert.equal(row?.v, LATEST_VERSION);
    await driver.close();
  });

  it('upgrades a version 11 database: DKIM keys made before rotation are active, signing since they were made', async () => {
    const driver = new SqliteDriver({ path: join(dir, 'upgrade-dkim.sqlite'), fsync: false });
    await driver.run('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    for (const m of migrations.filter((m) => m.version <= 11)) {
      for (const statement of m.statements('sqlite')) await driver.run(statement);
      await driver.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)', [m.version, m.name]);
    }
    await driver.run("INSERT INTO domains (name, ascii, created_at) VALUES ('example.com', 'example.com', 0)");
    await driver.run("INSERT INTO dkim_keys (domain_id, selector, algorithm, private_key, public_key, created_at) VALUES (1, 's2026', 'rsa-sha256', 'k', 'p', 1234)");
    assert.deepEqual(await migrate(driver), migrations.filter((m) => m.version > 11).map((m) => m.version));
    assert.deepEqual(await driver.all('SELECT state, activated_at, retired_at FROM dkim_keys'), [{ state: 'active', activated_at: 1234, retired_at: null }]);
    await driver.close();
  });

  it('upgrades a version 1 database: subscriptions from mailboxes.subscribed, UIDVALIDITY counter from the mailboxes', async () => {
    const driver = new SqliteDriver({ path: join(dir, 'upgrade.sqlite'), fsync: false });
    await driver.run('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    for (const statement of migrations[0]!.statements('sqlite')) await driver.run(statement);
    await driver.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'v1', 0)");
    await driver.run("INSERT INTO domains (name, ascii, created_at) VALUES ('example.com', 'example.com', 0)");
    await driver.run("INSERT INTO accounts (domain_id, local, password, created_at) VALUES (1, 'a', 'h', 0)");
    await driver.run("INSERT INTO mailboxes (account_id, name, uidvalidity, subscribed, created_at) VALUES (1, 'INBOX', 5000, 1, 0), (1, 'Hidden', 5001, 0, 0)");
    await driver.run("INSERT INTO blobs (hash, size, mime, created_at) VALUES ('abcdef0123456789abcdef0123456789', 1, '{}', 0)");
    await driver.run("INSERT INTO messages (mailbox_id, uid, modseq, internal_date, save_date, size, blob_hash) VALUES (1, 1, 1, 0, 0, 1, 'abcdef0123456789abcdef0123456789')");
    await driver.run('UPDATE mailboxes SET uidnext = 2 WHERE id = 1');
    assert.deepEqual(await migrate(driver), migrations.slice(1).map((m) => m.version));
    assert.deepEqual(await driver.all('SELECT name FROM subscriptions ORDER BY name'), [{ name: 'INBOX' }]);
    // Schema 5: stored messages get a thread of their own and are not \Recent.
    assert.deepEqual(await driver.get('SELECT thread_id FROM messages'), { thread_id: 'Tabcdef0123456789abcdef0123456789' });
    assert.deepEqual(await driver.all('SELECT recent_uid FROM mailboxes ORDER BY id'), [{ recent_uid: 2 }, { recent_uid: 1 }]);
    assert.deepEqual(await driver.get('SELECT last_uidvalidity FROM accounts'), { last_uidvalidity: 5001 });
    await driver.close();
  });

  it('applies a migration numbered below the newest one the database already has', async () => {
    const driver = new SqliteDriver({ path: join(dir, 'gap.sqlite'), fsync: false });
    await driver.run('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const skipped = migrations[migrations.length - 2]!;
    for (const m of migrations) {
      if (m === skipped) continue;
      for (const statement of m.statements('sqlite')) await driver.run(statement);
      await driver.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)', [m.version, m.name]);
    }
    assert.deepEqual(await migrate(driver), [skipped.version]);
    assert.deepEqual(await migrate(driver), []);
    await driver.close();
  });

  it('removes the full-text row and the queue entry with their blob (FK cascade, then the FTS5 trigger)', async () => {
    const driver = new SqliteDriver({ path: join(dir, 'fts-delete.sqlite'), fsync: false });
    await migrate(driver);
    const text = { header: 'Subject: gone', body: 'vanishing words', subject: 'gone', from: '', to: '', cc: '', bcc: '', sentDate: null, sentDay: null, messageId: null, inReplyTo: null, references: null, fromMailbox: null, toMailbox: null, ccMailbox: null };
    const match = "SELECT rowid FROM blob_text WHERE blob_text MATCH '\"vanishing\"'";
    for (const hash of ['h1', 'h2']) {
      await driver.run('INSERT INTO blobs (hash, size, mime, created_at) VALUES (?, 1, ?, 0)', [hash, '{}']);
      await driver.transaction((tx) => insertSearchKeys(tx, hash, text));
    }
    assert.deepEqual(await driver.all('SELECT id FROM search_queue ORDER BY id'), [{ id: 1 }, { id: 2 }], 'delivery queues the blob');
    await driver.transaction((tx) => indexSearchText(tx, 1, text));
    assert.deepEqual(await driver.all(match), [{ rowid: 1 }]);
    assert.deepEqual(await driver.all('SELECT id FROM search_queue'), [{ id: 2 }], 'indexed, off the queue');
    await driver.run("DELETE FROM blobs WHERE hash IN ('h1', 'h2')");
    assert.deepEqual(await driver.all('SELECT id FROM blob_search'), []);
    assert.deepEqual(await driver.all(match), []);
    assert.deepEqual(await driver.all('SELECT id FROM search_queue'), []);
    await driver.close();
  });

  it('queues the blobs stored before the search index (migration 6)', async () => {
    const driver = new SqliteDriver({ path: join(dir, 'queue-old.sqlite'), fsync: false });
    await driver.run('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    for (const m of migrations.filter((m) => m.version < 6)) {
      for (const statement of m.statements('sqlite')) await driver.run(statement);
      await driver.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)', [m.version, m.name]);
    }
    await driver.run("INSERT INTO blobs (hash, size, mime, created_at) VALUES ('old', 1, '{}', 0), ('indexed', 1, '{}', 0)");
    await driver.run("INSERT INTO blob_search (hash, subject) VALUES ('indexed', 'x')");
    await driver.run("INSERT INTO blob_text (rowid, subject, from_text, to_text, cc_text, bcc_text, header, body) VALUES (1, 'x', '', '', '', '', '', '')");
    assert.deepEqual(await migrate(driver), migrations.filter((m) => m.version >= 6).map((m) => m.version));
    assert.deepEqual(await driver.all('SELECT s.hash FROM search_queue q JOIN blob_search s ON s.id = q.id'), [{ hash: 'old' }]);
    await driver.close();
  });

  it('refuses a database from a newer Petrel', async () => {
    const driver = new SqliteDriver({ path: join(dir, 'newer.sqlite'), fsync: false });
    await migrate(driver);
    await driver.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [LATEST_VERSION + 1, 'future', 0]);
    await assert.rejects(migrate(driver), /newer than this Petrel/);
    await driver.close();
  });

  it('lets a second process open the same file while the first holds it (CLI next to server)', async () => {
    const path = join(dir, 'shared.sqlite');
    const server = await openSqliteStore({ path, fsync: true });
    const cli = await openSqliteStore({ path, fsync: true });
    await cli.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
    assert.equal((await server.directory.getDomain('example.com'))?.ascii, 'example.com');
    await cli.close();
    await server.close();
  });
});

describe('sqlite durability', () => {
  it('resolves a write only after a WAL fsync that started after its commit, sharing fsyncs between concurrent commits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'petrel-walsync-'));
    const driver = new SqliteDriver({ path: join(dir, 'db.sqlite'), fsync: true });
    try {
      await driver.run('CREATE TABLE t (x INTEGER)');
      const before = driver.walSyncs;
      await driver.transaction(async (tx) => void (await tx.run('INSERT INTO t VALUES (1)')));
      assert.equal(driver.walSyncs, before + 1, 'a transaction waits for its own fsync');
      await driver.run('INSERT INTO t VALUES (2)');
      assert.equal(driver.walSyncs, before + 2, 'an autocommit write waits for its own fsync');
      const n = 20;
      await Promise.all(Array.from({ length: n }, (_, i) => driver.transaction(async (tx) => void (await tx.run('INSERT INTO t VALUES (?)', [i])))));
      const shared = driver.walSyncs - before - 2;
      assert.ok(shared >= 1 && shared < n, `${n} concurrent commits took ${shared} fsyncs`);
      const reader = new SqliteDriver({ path: join(dir, 'db.sqlite'), fsync: false });
      assert.equal((await reader.get<{ c: number }>('SELECT count(*) AS c FROM t'))!.c, n + 2);
      await reader.close();
    } finally {
      await driver.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never fsyncs without fsync', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'petrel-walsync-'));
    const driver = new SqliteDriver({ path: join(dir, 'db.sqlite'), fsync: false });
    await driver.run('CREATE TABLE t (x INTEGER)');
    await driver.transaction(async (tx) => void (await tx.run('INSERT INTO t VALUES (1)')));
    assert.equal(driver.walSyncs, 0);
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
