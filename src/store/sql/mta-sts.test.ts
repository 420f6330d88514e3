import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '../sqlite/index.js';
import type { MtaStsCachedPolicy } from '../types.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-mta-sts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 0, 1);
const enforce: MtaStsCachedPolicy = {
  id: '20260101T000000', mode: 'enforce', mx: ['mx1.example.com', '*.example.net'], maxAge: 31_557_600, fetchedAt: T0, expiresAt: T0 + 31_557_600_000,
};

describe('SqlMtaStsCache on SQLite', () => {
  it('puts, gets, overwrites and deletes a domain\'s policy, and keeps it across a reopen', async () => {
    const path = join(dir, 'cache.sqlite');
    const store = await openSqliteStore({ path, fsync: false });
    assert.equal(await store.mtaSts.get('example.com'), undefined);
    await store.mtaSts.put('example.com', enforce);
    assert.deepEqual(await store.mtaSts.get('example.com'), enforce);
    assert.deepEqual(await store.mtaSts.get('EXAMPLE.com'), enforce, 'domains are keyed in lower case');

    const off: MtaStsCachedPolicy = { id: 'off', mode: 'none', mx: [], maxAge: 86_400, fetchedAt: T0 + 1000, expiresAt: T0 + 1000 + 86_400_000 };
    await store.mtaSts.put('example.com', off);
    assert.deepEqual(await store.mtaSts.get('example.com'), off, 'mode none with no mx survives the round trip');
    await store.mtaSts.put('other.example', { ...enforce, mode: 'testing' });
    await store.close();

    const reopened = await openSqliteStore({ path, fsync: false });
    assert.deepEqual(await reopened.mtaSts.get('example.com'), off);
    assert.equal((await reopened.mtaSts.get('other.example'))?.mode, 'testing');
    await reopened.mtaSts.delete!('example.com');
    assert.equal(await reopened.mtaSts.get('example.com'), undefined);
    assert.equal((await reopened.mtaSts.get('other.example'))?.mode, 'testing', 'delete touches only its domain');
    await reopened.close();
  });
});
