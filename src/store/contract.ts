/*
 * The metadata store contract: one suite that every backend runs unchanged
 * (SQLite now, PostgreSQL when it lands). Call runStoreContract from a
 * backend's test file with a factory that opens a fresh, empty store.
 *
 * Security: test code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeliveryRequest, MetadataStore } from './types.js';

export type StoreFactory = () => Promise<MetadataStore>;

const blob = (n: number, size = 100) => ({ hash: n.toString(16).padStart(64, '0'), size, index: '{"v":1}' });

function request(accountIds: number[], n: number, extra: Partial<DeliveryRequest> = {}): DeliveryRequest {
  return {
    blob: blob(n),
    internalDate: 1_700_000_000_000 + n,
    messageId: `<m${n}@test>`,
    queueId: `Q${n}`,
    local: accountIds.map((accountId) => ({ accountId, mailbox: 'INBOX', enforceQuota: true })),
    ...extra,
  };
}

export function runStoreContract(backend: string, open: StoreFactory): void {
  const withStore = (fn: (s: MetadataStore) => Promise<void>) => async () => {
    const store = await open();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };

  describe(`metadata store contract: ${backend}`, () => {
    it('stores domains as Unicode and finds them by A-label', withStore(async (s) => {
      const d = await s.directory.addDomain({ name: 'bücher.example', ascii: 'xn--bcher-kva.example' });
      assert.equal(d.name, 'bücher.example');
      assert.equal((await s.directory.getDomain('xn--bcher-kva.example'))?.name, 'bücher.example');
      assert.equal(await s.directory.getDomain('bücher.example'), undefined);
      await assert.rejects(s.directory.addDomain({ name: 'x', ascii: 'xn--bcher-kva.example' }));
    }));

    it('links an alias domain to its target and refuses chains', withStore(async (s) => {
      await s.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
      const alias = await s.directory.addDomain({ name: 'example.org', ascii: 'example.org', aliasOf: 'example.com' });
      assert.equal(alias.aliasOf, 'example.com');
      await assert.rejects(s.directory.addDomain({ name: 'example.net', ascii: 'example.net', aliasOf: 'example.org' }));
      await assert.rejects(s.directory.addDomain({ name: 'x.test', ascii: 'x.test', aliasOf: 'missing.test' }));
      await assert.rejects(s.directory.addAccount({ domain: 'example.org', local: 'a', passwordHash: 'h', quotaBytes: 0 }));
    }));

    it('adds, updates, lists and removes accounts', withStore(async (s) => {
      await s.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
      const a = await s.directory.addAccount({ domain: 'example.com', local: 'alice', passwordHash: 'h1', quotaBytes: 1000 });
      const b = await s.directory.addAccount({ domain: 'example.com', local: 'bob', passwordHash: 'h2', quotaBytes: 0 });
      await assert.rejects(s.directory.addAccount({ domain: 'example.com', local: 'alice', passwordHash: 'x', quotaBytes: 0 }));
      await assert.rejects(s.directory.addAccount({ domain: 'nowhere.test', local: 'alice', passwordHash: 'x', quotaBytes: 0 }));
      assert.deepEqual((await s.directory.listAccounts('example.com')).map((x) => x.local), ['alice', 'bob']);
      assert.ok(await s.directory.updateAccount(a.id, { passwordHash: 'h3', enabled: false, quotaBytes: 5 }));
      const again = await s.directory.getAccount('example.com', 'alice');
      assert.equal(again?.passwordHash, 'h3');
      assert.equal(again?.enabled, false);
      assert.equal(again?.quotaBytes, 5);
      assert.equal((await s.directory.getAccountById(b.id))?.local, 'bob');
      assert.ok(await s.directory.removeAccount(b.id));
      assert.equal(await s.directory.getAccount('example.com', 'bob'), undefined);
    }));

    it('keeps alias targets in order, replaces them, and removes with the domain', withStore(async (s) => {
      await s.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
      await s.directory.putAlias({ domain: 'example.com', local: 'team', targets: ['b@example.com', 'a@example.com', 'x@remote.test'] });
      await s.directory.putAlias({ domain: 'example.com', local: '', targets: ['a@example.com'] });
      assert.deepEqual((await s.directory.getAlias('example.com', 'team'))?.targets, ['b@example.com', 'a@example.com', 'x@remote.test']);
      await s.directory.putAlias({ domain: 'example.com', local: 'team', targets: ['c@example.com'] });
      assert.deepEqual((await s.directory.getAlias('example.com', 'team'))?.targets, ['c@example.com']);
      assert.deepEqual((await s.directory.listAliases('example.com')).map((a) => a.local), ['', 'team']);
      assert.ok(await s.directory.removeAlias('example.com', 'team'));
      assert.equal(await s.directory.getAlias('example.com', 'team'), undefined);
      assert.ok(await s.directory.removeDomain('example.com'));
      assert.deepEqual(await s.directory.listAliases(), []);
    }));

    it('creates the default mailboxes at first delivery and assigns increasing UIDs', withStore(async (s) => {
      await s.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
      const a = await s.directory.addAccount({ domain: 'example.com', local: 'alice', passwordHash: 'h', quotaBytes: 0 });
      const results = await s.deliveries.commit([request([a.id], 1), request([a.id], 2), request([a.id], 1)]);
      assert.deepEqual(results.map((r) => r.local.map((l) => l.ok && l.uid)), [[1], [2], [3]]);
      const boxes = await s.mailboxes.listMailboxes(a.id);
      assert.deepEqual(boxes.map((b) => b.name).sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
      assert.equal(boxes.find((b) => b.name === 'Junk')?.specialUse, '\\Junk');
      const uidValidities = new Set(boxes.map((b) => b.uidValidity));
      assert.equal(uidValidities.size, boxes.length, 'UIDVALIDITY differs between mailboxes');
      const inbox = await s.mailboxes.getMailbox(a.id, 'INBOX');
      assert.equal(inbox?.uidNext, 4);
      assert.equal(inbox?.messageCount, 3);
      const messages = await s.mailboxes.listMessages(inbox!.id);
      assert.deepEqual(messages.map((m) => m.uid), [1, 2, 3]);
      assert.ok(messages[0]!.modseq < messages[1]!.modseq && messages[1]!.modseq < messages[2]!.modseq);
      assert.equal(messages[2]!.blobHash, blob(1).hash, 'one blob shared by two deliveries');
      assert.equal(await s.mailboxes.getBlobIndex(blob(1).hash), '{"v":1}');
      assert.equal((await s.directory.getAccountById(a.id))?.usedBytes, 300);
    }));

    it('enforces quota per recipient without failing the others', withStore(async (s) => {
      await s.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
      const small = await s.directory.addAccount({ domain: 'example.com', local: 'small', passwordHash: 'h', quotaBytes: 150 });
      const big = await s.directory.addAccount({ domain: 'example.com', local: 'big', passwordHash: 'h', quotaBytes: 0 });
      const [first] = await s.deliveries.commit([request([small.id, big.id], 1)]);
      assert.deepEqual(first!.local.map((l) => l.ok), [true, true]);
      const [second] = await s.deliveries.commit([request([small.id, big.id], 2)]);
      assert.deepEqual(second!.local, [{ ok: false, reason: 'quota' }, { ok: true, mailboxId: (second!.local[1] as { mailboxId: number }).mailboxId, uid: 2 }]);
      const [forced] = await s.deliveries.commit([{ ...request([], 3), local: [{ accountId: small.id, mailbox: 'INBOX', enforceQuota: false }] }]);
      assert.equal(forced!.local[0]!.ok, true);
    }));

    it('refuses delivery to disabled or missing accounts', withStore(async (s) => {
      await s.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
      const a = await s.directory.addAccount({ domain: 'example.com', local: 'a', passwordHash: 'h', quotaBytes: 0 });
      await s.directory.updateAccount(a.id, { enabled: false });
      const [r] = await s.deliveries.commit([request([a.id, 99999], 1)]);
      assert.deepEqual(r!.local, [{ ok: false, reason: 'disabled' }, { ok: false, reason: 'no-account' }]);
    }));

    it('queues remote recipients with the message and lists them', withStore(async (s) => {
      await s.deliveries.commit([request([], 7, { outbound: { sender: 'a@example.com', recipients: ['x@remote.test', 'y@remote.test', 'x@remote.test'], source: 'submission', accountId: null } })]);
      const list = await s.queue.list();
      assert.equal(list.length, 1);
      assert.equal(list[0]!.queueId, 'Q7');
      assert.deepEqual(list[0]!.recipients.map((r) => [r.recipient, r.status]), [['x@remote.test', 'queued'], ['y@remote.test', 'queued']]);
      assert.ok(await s.isBlobReferenced(blob(7).hash));
      assert.ok(await s.queue.remove('Q7'));
      assert.equal(await s.queue.get('Q7'), undefined);
      assert.equal(await s.isBlobReferenced(blob(7).hash), false);
    }));

    it('rolls a failed batch back whole', withStore(async (s) => {
      await s.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
      const a = await s.directory.addAccount({ domain: 'example.com', local: 'a', passwordHash: 'h', quotaBytes: 0 });
      const dup = request([], 9, { outbound: { sender: '', recipients: ['x@remote.test'], source: 'mx', accountId: null } });
      await assert.rejects(s.deliveries.commit([request([a.id], 8), dup, dup]));
      assert.equal(await s.mailboxes.getMailbox(a.id, 'INBOX'), undefined);
      assert.deepEqual(await s.queue.list(), []);
    }));

    it('serialises concurrent commits so UIDs never collide', withStore(async (s) => {
      await s.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
      const a = await s.directory.addAccount({ domain: 'example.com', local: 'a', passwordHash: 'h', quotaBytes: 0 });
      await Promise.all(Array.from({ length: 20 }, (_, i) => s.deliveries.commit([request([a.id], 100 + i)])));
      const inbox = await s.mailboxes.getMailbox(a.id, 'INBOX');
      const uids = (await s.mailboxes.listMessages(inbox!.id)).map((m) => m.uid);
      assert.deepEqual(uids, Array.from({ length: 20 }, (_, i) => i + 1));
    }));
  });
}
