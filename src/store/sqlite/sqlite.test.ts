import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runStoreContract } from '../contract.js';
import { migrate, LATEST_VERSION } from '../sql/migrations.js';
import { SqliteDriver } from './driver.js';
import { openSqliteStore } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

runStoreContract('sqlite', () => openSqliteStore({ path: join(dir, `db${n++}.sqlite`), fsync: true }));

describe('sqlite migrations', () => {
  it('applies each version once and records it', async () => {
    const driver = new SqliteDriver({ path: join(dir, 'migrate.sqlite'), fsync: false });
    assert.deepEqual(await migrate(driver), [1, 2]);
    assert.deepEqual(await migrate(driver), []);
    const row = await driver.get<{ v: number }>('SELECT MAX(version) AS v FROM schema_migrations');
    assert.equal(row?.v, LATEST_VERSION);
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
