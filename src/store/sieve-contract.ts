/*
 * The Sieve script part of the metadata store contract (run by
 * runStoreContract for every backend): one active script at most, the
 * active one never deleted and kept active through PUTSCRIPT and rename,
 * limits checked in the writing transaction (also under concurrent
 * uploads), users kept apart, scripts gone with their account, and the
 * global scripts in the order delivery runs them.
 *
 * Security: test code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetadataStore, SieveScriptInput } from './types.js';

const NO_LIMITS = { maxScripts: 0, maxStorageBytes: 0 };

const script = (name: string, source = 'keep;'): SieveScriptInput => ({ name, source, compiled: JSON.stringify({ version: 1, source }), size: Buffer.byteLength(source) });

export function runSieveStoreContract(backend: string, open: () => Promise<MetadataStore>): void {
  const withStore = (fn: (s: MetadataStore) => Promise<void>) => async () => {
    const store = await open();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };

  const accounts = async (s: MetadataStore) => {
    if (!(await s.directory.getDomain('sieve.test'))) await s.directory.addDomain({ name: 'sieve.test', ascii: 'sieve.test' });
    const a = await s.directory.addAccount({ domain: 'sieve.test', local: 'a', passwordHash: 'h', quotaBytes: 0 });
    const b = await s.directory.addAccount({ domain: 'sieve.test', local: 'b', passwordHash: 'h', quotaBytes: 0 });
    return { a: a.id, b: b.id };
  };

  describe(`metadata store contract, sieve scripts: ${backend}`, () => {
    it('stores, lists in name order, replaces and reads back a script with its compiled form', withStore(async (s) => {
      const { a, b } = await accounts(s);
      assert.deepEqual(await s.sieve.put(a, script('vacation', 'keep;'), NO_LIMITS, 1000), { ok: true, created: true });
      assert.deepEqual(await s.sieve.put(a, script('Ünïcode'), NO_LIMITS, 1001), { ok: true, created: true });
      assert.deepEqual(await s.sieve.put(a, script('main', 'discard;'), NO_LIMITS, 1002), { ok: true, created: true });
      assert.deepEqual(await s.sieve.put(a, script('main', 'stop;'), NO_LIMITS, 2000), { ok: true, created: false });
      assert.deepEqual((await s.sieve.list(a)).map((x) => [x.name, x.size, x.active]), [['main', 5, false], ['vacation', 5, false], ['Ünïcode', 5, false]]);
      const got = await s.sieve.get(a, 'main');
      assert.deepEqual(got, { accountId: a, name: 'main', source: 'stop;', compiled: script('main', 'stop;').compiled, size: 5, active: false, createdAt: 1002, updatedAt: 2000 });
      assert.equal(await s.sieve.get(b, 'main'), undefined, 'another user sees nothing');
      assert.equal(await s.sieve.get(a, 'MAIN'), undefined, 'names are case-sensitive');
      assert.deepEqual(await s.sieve.usage(a), { count: 3, bytes: 15 });
      assert.deepEqual(await s.sieve.usage(b), { count: 0, bytes: 0 });
    }));

    it('keeps at most one script active; "" deactivates; a missing name changes nothing', withStore(async (s) => {
      const { a, b } = await accounts(s);
      await s.sieve.put(a, script('one'), NO_LIMITS, 1);
      await s.sieve.put(a, script('two'), NO_LIMITS, 1);
      await s.sieve.put(b, script('one'), NO_LIMITS, 1);
      assert.equal(await s.sieve.active(a), undefined);
      assert.equal(await s.sieve.setActive(a, 'one', 2), true);
      assert.equal(await s.sieve.setActive(a, 'two', 3), true);
      assert.equal(await s.sieve.setActive(a, 'two', 4), true, 'activating the active script again is fine');
      assert.deepEqual((await s.sieve.list(a)).filter((x) => x.active).map((x) => x.name), ['two']);
      assert.equal((await s.sieve.active(a))?.name, 'two');
      assert.equal(await s.sieve.active(b), undefined, 'per user');
      assert.equal(await s.sieve.setActive(a, 'three', 5), false);
      assert.equal((await s.sieve.active(a))?.name, 'two', 'a failed SETACTIVE leaves the active script');
      await s.sieve.put(a, script('two', 'discard;'), NO_LIMITS, 6);
      assert.equal((await s.sieve.active(a))?.source, 'discard;', 'replacing the active script keeps it active');
      assert.equal(await s.sieve.setActive(a, null, 7), true);
      assert.equal(await s.sieve.active(a), undefined);
      await Promise.all([s.sieve.setActive(a, 'one', 8), s.sieve.setActive(a, 'two', 8), s.sieve.setActive(a, 'one', 8)]);
      assert.equal((await s.sieve.list(a)).filter((x) => x.active).length, 1, 'concurrent activations leave one');
    }));

    it('refuses to delete the active script, deletes others, and renames (active stays active, no overwrite)', withStore(async (s) => {
      const { a } = await accounts(s);
      await s.sieve.put(a, script('one'), NO_LIMITS, 1);
      await s.sieve.put(a, script('two'), NO_LIMITS, 1);
      await s.sieve.setActive(a, 'one', 2);
      assert.equal(await s.sieve.delete(a, 'one'), 'active');
      assert.equal(await s.sieve.delete(a, 'nope'), 'nonexistent');
      assert.equal(await s.sieve.rename(a, 'one', 'two', 3), 'exists');
      assert.equal(await s.sieve.rename(a, 'nope', 'x', 3), 'nonexistent');
      assert.equal(await s.sieve.rename(a, 'one', 'uno', 3), 'renamed');
      assert.equal((await s.sieve.active(a))?.name, 'uno');
      assert.equal(await s.sieve.rename(a, 'uno', 'uno', 4), 'renamed');
      assert.equal(await s.sieve.delete(a, 'two'), 'deleted');
      assert.equal(await s.sieve.delete(a, 'two'), 'nonexistent');
      await s.sieve.setActive(a, null, 5);
      assert.equal(await s.sieve.delete(a, 'uno'), 'deleted');
      assert.deepEqual(await s.sieve.list(a), []);
    }));

    it('checks the script count and the storage quota in the transaction, a replacement counted at its new size', withStore(async (s) => {
      const { a } = await accounts(s);
      const limits = { maxScripts: 2, maxStorageBytes: 20 };
      assert.deepEqual(await s.sieve.put(a, script('one', 'x'.repeat(10)), limits, 1), { ok: true, created: true });
      assert.deepEqual(await s.sieve.put(a, script('two', 'y'.repeat(10)), limits, 1), { ok: true, created: true });
      assert.deepEqual(await s.sieve.put(a, script('three', 'z'), limits, 1), { ok: false, reason: 'max-scripts' });
      assert.deepEqual(await s.sieve.put(a, script('two', 'y'.repeat(11)), limits, 1), { ok: false, reason: 'quota' });
      assert.deepEqual(await s.sieve.put(a, script('two', 'y'.repeat(5)), limits, 1), { ok: true, created: false }, 'replacing is not a new script');
      assert.equal((await s.sieve.get(a, 'two'))?.size, 5);
      await s.sieve.delete(a, 'one');
      const race = await Promise.all(['p', 'q', 'r'].map((n) => s.sieve.put(a, script(n), limits, 2)));
      assert.equal(race.filter((r) => r.ok).length, 1, 'concurrent uploads cannot both take the last slot');
      assert.equal((await s.sieve.usage(a)).count, 2);
    }));

    it('removes a user\'s scripts with the account', withStore(async (s) => {
      const { a } = await accounts(s);
      await s.sieve.put(a, script('one'), NO_LIMITS, 1);
      await s.sieve.setActive(a, 'one', 1);
      assert.equal(await s.directory.removeAccount(a), true);
      assert.deepEqual(await s.sieve.list(a), []);
      await assert.rejects(s.sieve.put(a, script('one'), NO_LIMITS, 1), 'no script for an account that does not exist');
    }));

    it('keeps global scripts in delivery order: before, then after, each by name', withStore(async (s) => {
      assert.deepEqual(await s.sieve.putGlobal('after', script('50-late'), 1), { created: true });
      assert.deepEqual(await s.sieve.putGlobal('before', script('20-spam'), 1), { created: true });
      assert.deepEqual(await s.sieve.putGlobal('before', script('10-lists'), 1), { created: true });
      assert.deepEqual(await s.sieve.putGlobal('before', script('50-late', 'stop;'), 2), { created: false });
      assert.deepEqual((await s.sieve.listGlobal()).map((g) => [g.phase, g.name, g.source]), [['before', '10-lists', 'keep;'], ['before', '20-spam', 'keep;'], ['before', '50-late', 'stop;']]);
      await s.sieve.putGlobal('after', script('50-late', 'stop;'), 3);
      assert.deepEqual((await s.sieve.listGlobal()).map((g) => g.name), ['10-lists', '20-spam', '50-late']);
      assert.equal((await s.sieve.listGlobal())[2]!.phase, 'after');
      assert.equal(await s.sieve.deleteGlobal('20-spam'), true);
      assert.equal(await s.sieve.deleteGlobal('20-spam'), false);
      assert.deepEqual((await s.sieve.listGlobal()).map((g) => g.name), ['10-lists', '50-late']);
    }));
  });
}
