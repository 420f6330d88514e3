/*
 * The metadata store contract: one suite that every backend runs unchanged
 * (SQLite now, PostgreSQL when it lands). Call runStoreContract from a
 * backend's test file with a factory that opens a fresh, empty store.
 * The mailbox cases cover what IMAP needs: STORE with UNCHANGEDSINCE,
 * EXPUNGE and VANISHED, COPY/MOVE with UIDPLUS mapping and quota, APPEND,
 * CREATE/RENAME/DELETE rules and subscriptions. The search cases cover
 * text matching (substring, case-insensitive, short needles, per field,
 * per mailbox, shared blobs) and the stored sort keys.
 *
 * Security: test code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MAILBOXES } from '../core/mailbox-names.js';
import { runSieveStoreContract } from './sieve-contract.js';
import type { BlobSearchText, DeliveryRequest, MetadataStore } from './types.js';

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

    it('stores a domain\'s DKIM keys with it, one per selector, and removes them with it', withStore(async (s) => {
      const key = (selector: string, algorithm: 'rsa-sha256' | 'ed25519-sha256') => ({ selector, algorithm, privateKey: `-----BEGIN PRIVATE KEY-----\n${selector}\n`, publicKey: `P${selector}` });
      await s.directory.addDomain({ name: 'keys.test', ascii: 'keys.test', dkimKeys: [key('s2026', 'rsa-sha256'), key('s2026-ed', 'ed25519-sha256')] });
      await s.directory.addDomain({ name: 'bare.test', ascii: 'bare.test' });
      const keys = await s.directory.dkimKeys('keys.test');
      assert.deepEqual(keys.map((k) => [k.domain, k.selector, k.algorithm, k.publicKey]), [['keys.test', 's2026', 'rsa-sha256', 'Ps2026'], ['keys.test', 's2026-ed', 'ed25519-sha256', 'Ps2026-ed']]);
      assert.equal(keys[0]!.privateKey, '-----BEGIN PRIVATE KEY-----\ns2026\n');
      assert.deepEqual(await s.directory.dkimKeys('bare.test'), []);
      await assert.rejects(s.directory.addDomain({ name: 'dup.test', ascii: 'dup.test', dkimKeys: [key('a', 'rsa-sha256'), key('a', 'ed25519-sha256')] }));
      assert.equal(await s.directory.getDomain('dup.test'), undefined, 'the domain and its keys are added together or not at all');
      await s.directory.removeDomain('keys.test');
      assert.deepEqual(await s.directory.dkimKeys('keys.test'), []);
    }));

    it('rotates DKIM keys: new ones pending, activation retires the active key of the same algorithm only, retirement after the grace', withStore(async (s) => {
      const key = (selector: string, algorithm: 'rsa-sha256' | 'ed25519-sha256') => ({ selector, algorithm, privateKey: `K${selector}`, publicKey: `P${selector}` });
      await s.directory.addDomain({ name: 'rot.test', ascii: 'rot.test', dkimKeys: [key('s2026', 'rsa-sha256'), key('s2026-ed', 'ed25519-sha256')] });
      const first = await s.directory.dkimKeys('rot.test');
      assert.deepEqual(first.map((k) => k.state), ['active', 'active'], 'keys made with the domain sign at once');
      assert.ok(first.every((k) => k.activatedAt !== null && k.retiredAt === null));
      await assert.rejects(s.directory.addDkimKeys('rot.test', [key('s2026', 'rsa-sha256')]), 'a selector is never reused');
      await assert.rejects(s.directory.addDkimKeys('none.test', [key('x', 'rsa-sha256')]));
      const added = await s.directory.addDkimKeys('rot.test', [key('s202612', 'rsa-sha256'), key('s202612-ed', 'ed25519-sha256')]);
      assert.deepEqual(added.map((k) => [k.selector, k.state, k.activatedAt]), [['s202612', 'pending', null], ['s202612-ed', 'pending', null]]);
      assert.deepEqual((await s.directory.dkimKeys('rot.test', ['active'])).map((k) => k.selector), ['s2026', 's2026-ed']);
      assert.deepEqual((await s.directory.dkimKeysIn(['pending'])).map((k) => [k.domain, k.selector]), [['rot.test', 's202612'], ['rot.test', 's202612-ed']]);

      const retired = await s.directory.activateDkimKey(added[0]!.id);
      assert.deepEqual(retired?.map((k) => [k.selector, k.state]), [['s2026', 'retiring']]);
      assert.equal(await s.directory.activateDkimKey(added[0]!.id), undefined, 'only a pending key is activated');
      const now = await s.directory.dkimKeys('rot.test');
      assert.deepEqual(now.map((k) => [k.selector, k.state]), [['s2026', 'retiring'], ['s2026-ed', 'active'], ['s202612', 'active'], ['s202612-ed', 'pending']]);
      const stoppedAt = now[0]!.retiredAt!;
      assert.ok(stoppedAt > 0 && now[2]!.activatedAt! > 0);
      assert.deepEqual(await s.directory.dkimKeys('rot.test', []), []);

      assert.deepEqual(await s.directory.retireDkimKeys(stoppedAt - 1), [], 'not before the grace has passed');
      assert.deepEqual((await s.directory.retireDkimKeys(stoppedAt)).map((k) => [k.selector, k.state]), [['s2026', 'retired']]);
      assert.deepEqual((await s.directory.dkimKeys('rot.test', ['pending', 'active', 'retiring'])).map((k) => k.selector), ['s2026-ed', 's202612', 's202612-ed']);
      await assert.rejects(s.directory.addDkimKeys('rot.test', [key('s2026', 'rsa-sha256')]), 'not even a retired one');
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
      assert.deepEqual(second!.local[0], { ok: false, reason: 'quota' });
      assert.ok(second!.local[1]!.ok && second!.local[1]!.uid === 2);
      const [forced] = await s.deliveries.commit([{ ...request([], 3), local: [{ accountId: small.id, mailbox: 'INBOX', enforceQuota: false }] }]);
      assert.equal(forced!.local[0]!.ok, true);
    }));

    it('delivers with flags into a mailbox that must exist, and reports UIDVALIDITY and MODSEQ (IMAP APPEND)', withStore(async (s) => {
      await s.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
      const a = await s.directory.addAccount({ domain: 'example.com', local: 'alice', passwordHash: 'h', quotaBytes: 0 });
      await s.mailboxes.ensureMailboxes(a.id, DEFAULT_MAILBOXES);
      const target = (mailbox: string) => ({ accountId: a.id, mailbox, enforceQuota: true, mustExist: true, flags: ['\\seen', '$Label', '$label'] });
      const [r] = await s.deliveries.commit([{ ...request([], 1), local: [target('Drafts'), target('Nowhere')] }]);
      const drafts = (await s.mailboxes.getMailbox(a.id, 'Drafts'))!;
      assert.deepEqual(r!.local, [{ ok: true, mailboxId: drafts.id, uidValidity: drafts.uidValidity, uid: 1, modseq: drafts.highestModseq }, { ok: false, reason: 'no-mailbox' }]);
      assert.equal(await s.mailboxes.getMailbox(a.id, 'Nowhere'), undefined, 'a mailbox that must exist is not created');
      assert.deepEqual((await s.mailboxes.listMessages(drafts.id))[0]!.flags, ['\\Seen', '$Label']);
    }));

    it('commits a group all or nothing (MULTIAPPEND)', withStore(async (s) => {
      await s.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
      const a = await s.directory.addAccount({ domain: 'example.com', local: 'alice', passwordHash: 'h', quotaBytes: 250 });
      await s.mailboxes.ensureMailboxes(a.id, DEFAULT_MAILBOXES);
      const to = (n: number) => ({ ...request([], n), local: [{ accountId: a.id, mailbox: 'INBOX', enforceQuota: true, mustExist: true }] });
      const ok = await s.deliveries.commitAtomic([to(1), to(2)]);
      assert.equal(ok.committed, true);
      assert.deepEqual(ok.results.map((r) => r.local[0]!.ok && r.local[0]!.uid), [1, 2]);
      const refused = await s.deliveries.commitAtomic([to(3), to(4)]);
      assert.equal(refused.committed, false);
      assert.deepEqual(refused.results.map((r) => r.local[0]!.ok ? 'ok' : r.local[0]!.reason), ['quota']);
      const inbox = (await s.mailboxes.getMailbox(a.id, 'INBOX'))!;
      assert.equal(inbox.messageCount, 2, 'nothing of the refused group remains');
      assert.equal(inbox.uidNext, 3);
      assert.equal((await s.directory.getAccountById(a.id))!.usedBytes, 200);
      const half = await s.deliveries.commitAtomic([{ ...to(5), blob: blob(5, 10) }, { ...to(6), blob: blob(6, 10), local: [{ accountId: a.id, mailbox: 'Nowhere', enforceQuota: true, mustExist: true }] }]);
      assert.equal(half.committed, false);
      assert.equal((await s.mailboxes.getMailbox(a.id, 'INBOX'))!.messageCount, 2, 'the first message of a failed group is rolled back');
    }));

    it('refuses delivery to disabled or missing accounts', withStore(async (s) => {
      await s.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
      const a = await s.directory.addAccount({ domain: 'example.com', local: 'a', passwordHash: 'h', quotaBytes: 0 });
      await s.directory.updateAccount(a.id, { enabled: false });
      const [r] = await s.deliveries.commit([request([a.id, 99999], 1)]);
      assert.deepEqual(r!.local, [{ ok: false, reason: 'disabled' }, { ok: false, reason: 'no-account' }]);
    }));

    it('queues remote recipients with the message, its MAIL parameters and their RCPT parameters, and lists them', withStore(async (s) => {
      const envelope = { ret: 'HDRS' as const, envid: 'env+2B1', smtpUtf8: true, requireTls: true, body: '8bitmime' };
      const recipients = [
        { address: 'x@remote.test', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;list@example.com' },
        { address: 'y@remote.test', notify: null, orcpt: null },
        { address: 'x@remote.test', notify: ['NEVER'], orcpt: null },
      ];
      await s.deliveries.commit([request([], 7, { outbound: { sender: 'a@example.com', recipients, source: 'submission', accountId: null, envelope } })]);
      const list = await s.queue.list();
      assert.equal(list.length, 1);
      assert.equal(list[0]!.queueId, 'Q7');
      assert.deepEqual(list[0]!.envelope, envelope);
      assert.deepEqual(list[0]!.recipients.map((r) => [r.recipient, r.status, r.notify, r.orcpt]), [
        ['x@remote.test', 'queued', ['SUCCESS', 'FAILURE'], 'rfc822;list@example.com'],
        ['y@remote.test', 'queued', null, null],
      ]);
      assert.ok(await s.isBlobReferenced(blob(7).hash));
      assert.equal(list[0]!.held, false);
      assert.ok(await s.queue.setHeld('Q7', true));
      assert.equal((await s.queue.get('Q7'))!.held, true);
      assert.ok(await s.queue.setHeld('Q7', false));
      assert.equal((await s.queue.get('Q7'))!.held, false);
      assert.equal(await s.queue.setHeld('NOPE', true), false);
      assert.ok(await s.queue.remove('Q7'));
      assert.equal(await s.queue.get('Q7'), undefined);
      assert.equal(await s.isBlobReferenced(blob(7).hash), false);
    }));

    describe('outbound queue bookkeeping', () => {
      const envelope = { ret: null, envid: null, smtpUtf8: false, requireTls: false, body: null };
      const queue = (s: MetadataStore, n: number, to: string[]) =>
        s.deliveries.commit([request([], n, { outbound: { sender: 'a@example.com', recipients: to.map((address) => ({ address, notify: null, orcpt: null })), source: 'submission', accountId: null, envelope } })]);
      const result = (queueId: string, recipient: string, outcome: 'delivered' | 'deferred' | 'bounced', at: number, extra = {}) => ({
        queueId, recipient, outcome, at, reply: `${outcome === 'delivered' ? '250 2.0.0' : outcome === 'deferred' ? '451 4.3.0' : '550 5.1.1'} reply`, statusCode: outcome === 'delivered' ? '2.0.0' : outcome === 'deferred' ? '4.3.0' : '5.1.1', host: 'mx.remote.test', address: '192.0.2.1', ...extra,
      });

      it('sweeps due messages in queue id order after a cursor, skipping held ones and ones not yet due', withStore(async (s) => {
        for (const n of [1, 2, 3]) await queue(s, n, [`r${n}@remote.test`]);
        await s.queue.setHeld('Q2', true, 'operator');
        assert.deepEqual(await s.queue.dueIds(Date.now() + 1000, '', 10), ['Q1', 'Q3']);
        assert.deepEqual(await s.queue.dueIds(Date.now() + 1000, 'Q1', 10), ['Q3']);
        assert.deepEqual(await s.queue.dueIds(Date.now() + 1000, '', 1), ['Q1']);
        assert.deepEqual(await s.queue.dueIds(0, '', 10), [], 'nothing is due before it was queued');
        assert.deepEqual((await s.queue.getMany(['Q3', 'Q1', 'NOPE'])).map((e) => [e.queueId, e.recipients.length]), [['Q1', 1], ['Q3', 1]]);
        assert.equal((await s.queue.get('Q2'))!.holdReason, 'operator');
        await s.queue.record([result('Q1', 'r1@remote.test', 'deferred', 1000, { nextAttempt: 9_999_999_999_999 })]);
        assert.deepEqual(await s.queue.dueIds(Date.now() + 1000, '', 10), ['Q3'], 'a deferred recipient waits for its next attempt');
        const next = await s.queue.nextDue();
        assert.ok(next !== null && next <= Date.now());
      }));

      it('records results with their history, and removes a message once every recipient is final and no DSN is owed', withStore(async (s) => {
        await queue(s, 4, ['x@remote.test', 'y@remote.test']);
        assert.deepEqual(await s.queue.record([result('Q4', 'x@remote.test', 'delivered', 1000), result('Q4', 'y@remote.test', 'deferred', 1000, { nextAttempt: 5000 })]), []);
        let e = (await s.queue.get('Q4'))!;
        assert.deepEqual(e.recipients.map((r) => [r.recipient, r.status, r.attempts, r.lastReply, r.statusCode, r.remoteHost, r.doneAt, r.nextAttempt]), [
          ['x@remote.test', 'delivered', 1, '250 2.0.0 reply', '2.0.0', 'mx.remote.test', 1000, 1000],
          ['y@remote.test', 'deferred', 1, '451 4.3.0 reply', '4.3.0', 'mx.remote.test', null, 5000],
        ]);
        assert.deepEqual((await s.queue.attempts('Q4')).map((a) => [a.recipient, a.outcome, a.address]), [['x@remote.test', 'delivered', '192.0.2.1'], ['y@remote.test', 'deferred', '192.0.2.1']]);
        // The last recipient bounces and owes a DSN: the message stays until the DSN is sent.
        assert.deepEqual(await s.queue.record([result('Q4', 'y@remote.test', 'bounced', 6000, { dsn: 'failed' })]), []);
        e = (await s.queue.get('Q4'))!;
        assert.equal(e.recipients[1]!.dsnPending, 'failed');
        assert.deepEqual((await s.queue.dsnOwed(10)).map((q) => q.queueId), ['Q4']);
        assert.deepEqual(await s.queue.dueIds(Date.now() + 1000, '', 10), [], 'nothing pending');
        assert.equal(await s.queue.dsnSent('Q4', ['y@remote.test']), true);
        assert.equal(await s.queue.get('Q4'), undefined);
        assert.deepEqual(await s.queue.attempts('Q4'), [], 'the history goes with the message');
        assert.equal(await s.isBlobReferenced(blob(4).hash), false);
        await queue(s, 5, ['z@remote.test']);
        assert.deepEqual(await s.queue.record([result('Q5', 'z@remote.test', 'delivered', 1000)]), ['Q5'], 'done at once without a DSN');
        assert.deepEqual(await s.queue.record([result('Q5', 'z@remote.test', 'delivered', 1000)]), [], 'a result for a message already removed is ignored');
      }));

      it('counts failures inside Petrel and holds a poison message with its error; release clears the count', withStore(async (s) => {
        await queue(s, 6, ['p@remote.test']);
        assert.equal(await s.queue.failed('Q6', 'blob unreadable', 5000, 3), false);
        assert.equal(await s.queue.failed('Q6', 'blob unreadable', 6000, 3), false);
        let e = (await s.queue.get('Q6'))!;
        assert.equal(e.failures, 2);
        assert.equal(e.recipients[0]!.nextAttempt, 6000);
        assert.equal(e.recipients[0]!.status, 'queued', 'a failure of ours is not an attempt');
        assert.equal(await s.queue.failed('Q6', 'blob unreadable', 7000, 3), true);
        e = (await s.queue.get('Q6'))!;
        assert.equal(e.held, true);
        assert.equal(e.holdReason, 'poison: blob unreadable');
        assert.ok(await s.queue.setHeld('Q6', false));
        e = (await s.queue.get('Q6'))!;
        assert.deepEqual([e.held, e.holdReason, e.failures], [false, null, 0]);
        await s.queue.failed('Q6', 'x', 1, 3);
        await s.queue.clearFailures('Q6');
        assert.equal((await s.queue.get('Q6'))!.failures, 0);
        await s.queue.markWarned('Q6', 1234);
        assert.equal((await s.queue.get('Q6'))!.warnedAt, 1234);
      }));

      it('retries one message or flushes all now, spreads overdue deferred recipients, and counts the queue', withStore(async (s) => {
        await queue(s, 7, ['a@one.test', 'b@two.test']);
        await queue(s, 8, ['c@two.test']);
        await s.queue.record([result('Q7', 'a@one.test', 'deferred', 10, { nextAttempt: 1e15 }), result('Q7', 'b@two.test', 'deferred', 10, { nextAttempt: 1e15 }), result('Q8', 'c@two.test', 'deferred', 10, { nextAttempt: 1e15 })]);
        assert.equal(await s.queue.retryNow('Q7', 100), 2);
        assert.deepEqual((await s.queue.get('Q7'))!.recipients.map((r) => r.nextAttempt), [100, 100]);
        assert.equal(await s.queue.retryNow(null, 200), 1, 'flush moves what is not yet due');
        assert.equal((await s.queue.get('Q8'))!.recipients[0]!.nextAttempt, 200);
        assert.equal(await s.queue.spreadOverdue(1000, 600, () => 0.5), 3);
        assert.deepEqual((await s.queue.get('Q7'))!.recipients.map((r) => r.nextAttempt), [1300, 1300], 'one time per message');
        const stats = await s.queue.stats();
        assert.equal(stats.messages, 2);
        assert.equal(stats.recipients.deferred, 3);
        assert.deepEqual(stats.domains, [{ domain: 'two.test', recipients: 2 }, { domain: 'one.test', recipients: 1 }]);
        assert.ok(stats.oldest !== null);
      }));
    });

    it('keeps the ACME account per directory and serves HTTP-01 challenges until they expire', withStore(async (s) => {
      assert.equal(await s.acme.account('https://ca.test/dir'), undefined);
      await s.acme.saveAccount('https://ca.test/dir', { accountKey: 'KEY', accountUrl: null, email: 'a@b.test' });
      await s.acme.saveAccount('https://ca.test/dir', { accountKey: 'KEY', accountUrl: 'https://ca.test/acct/1', email: 'a@b.test' });
      assert.deepEqual(await s.acme.account('https://ca.test/dir'), { accountKey: 'KEY', accountUrl: 'https://ca.test/acct/1', email: 'a@b.test' });
      const t = Date.now();
      await s.acme.setChallenge('tok1', 'tok1.thumb', t + 60_000);
      assert.equal(await s.acme.challenge('tok1', t), 'tok1.thumb');
      assert.equal(await s.acme.challenge('tok1', t + 60_000), undefined, 'expired');
      assert.equal(await s.acme.challenge('nope', t), undefined);
      await s.acme.removeChallenge('tok1');
      assert.equal(await s.acme.challenge('tok1', t), undefined);
    }));

    it('rolls a failed batch back whole', withStore(async (s) => {
      await s.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
      const a = await s.directory.addAccount({ domain: 'example.com', local: 'a', passwordHash: 'h', quotaBytes: 0 });
      const dup = request([], 9, { outbound: { sender: '', recipients: [{ address: 'x@remote.test', notify: null, orcpt: null }], source: 'mx', accountId: null, envelope: { ret: null, envid: null, smtpUtf8: false, requireTls: false, body: null } } });
      await assert.rejects(s.deliveries.commit([request([a.id], 8), dup, dup]));
      assert.equal(await s.mailboxes.getMailbox(a.id, 'INBOX'), undefined);
      assert.deepEqual(await s.queue.list(), []);
    }));

    it('holds recipients in the quarantine in the delivery transaction, releases them once, and keeps the blob referenced', withStore(async (s) => {
      await s.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
      const a = await s.directory.addAccount({ domain: 'example.com', local: 'a', passwordHash: 'h', quotaBytes: 0 });
      const envelope = { ret: null, envid: null, smtpUtf8: false, requireTls: false, body: null };
      const hold = { sender: 'x@remote.test', recipients: ['b@example.com', 'c@example.com'], reason: 'spam score 7.5', source: 'mx' as const, clientIp: '192.0.2.1', subject: 'Offer', envelope };
      // a@ is delivered, b@ and c@ held: one entry, in the same commit.
      const [r] = await s.deliveries.commit([request([a.id], 30, { quarantine: hold })]);
      assert.ok(r!.local[0]!.ok);
      const [held] = await s.quarantine.list(10);
      assert.deepEqual({ ...held!, id: 0, createdAt: 0 }, { ...hold, id: 0, queueId: 'Q30', blobHash: blob(30).hash, size: 100, messageId: '<m30@test>', createdAt: 0, releaseRequestedAt: null });
      assert.equal(await s.quarantine.count(), 1);
      assert.deepEqual(await s.quarantine.get(held!.id), held);
      assert.equal(await s.quarantine.get(held!.id + 100), undefined);
      assert.ok(await s.isBlobReferenced(blob(30).hash));

      assert.deepEqual(await s.quarantine.pendingReleases(10), []);
      assert.equal(await s.quarantine.requestRelease(held!.id, 1_700_000_000_500), true);
      assert.equal(await s.quarantine.requestRelease(held!.id + 100, 1), false);
      assert.deepEqual((await s.quarantine.pendingReleases(10)).map((e) => e.releaseRequestedAt), [1_700_000_000_500]);
      assert.equal(await s.quarantine.expire(Number.MAX_SAFE_INTEGER), 0, 'an entry waiting for release does not expire');

      const [released] = await s.deliveries.commit([request([a.id], 30, { releasesQuarantine: held!.id, queueId: 'Q30r' })]);
      assert.ok(released!.local[0]!.ok);
      assert.equal(await s.quarantine.count(), 0);
      const [again] = await s.deliveries.commit([request([a.id], 30, { releasesQuarantine: held!.id })]);
      assert.deepEqual(again, { local: [], releaseGone: true }, 'released once');
      const inbox = await s.mailboxes.getMailbox(a.id, 'INBOX');
      assert.equal((await s.mailboxes.listMessages(inbox!.id)).length, 2);
    }));

    it('deletes and expires quarantine entries; an entry alone keeps its blob from the collector', withStore(async (s) => {
      const envelope = { ret: null, envid: null, smtpUtf8: false, requireTls: false, body: null };
      const hold = { sender: '', recipients: ['b@example.com'], reason: 'virus', source: 'lmtp' as const, clientIp: null, subject: null, envelope };
      await s.deliveries.commit([request([], 31, { quarantine: hold }), request([], 32, { quarantine: hold })]);
      const unreferenced = async () => (await s.blobGarbage.unreferenced('', 100, Number.MAX_SAFE_INTEGER)).hashes;
      assert.deepEqual(await unreferenced(), []);
      const [newest, oldest] = await s.quarantine.list(10);
      assert.equal(newest!.queueId, 'Q32', 'newest first');
      assert.deepEqual((await s.quarantine.list(1, 1)).map((e) => e.queueId), ['Q31']);
      assert.equal(await s.quarantine.delete(oldest!.id), true);
      assert.equal(await s.quarantine.delete(oldest!.id), false);
      assert.deepEqual(await unreferenced(), [blob(31).hash]);
      assert.equal(await s.quarantine.expire(newest!.createdAt), 0);
      assert.equal(await s.quarantine.expire(newest!.createdAt + 1), 1);
      assert.equal(await s.quarantine.count(), 0);
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

  /** A domain, an account with the default mailboxes, and a message appender. */
  async function account(s: MetadataStore, quotaBytes = 0, local = 'alice') {
    if (!(await s.directory.getDomain('example.com'))) await s.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
    const a = await s.directory.addAccount({ domain: 'example.com', local, passwordHash: 'h', quotaBytes });
    await s.mailboxes.ensureMailboxes(a.id, DEFAULT_MAILBOXES);
    const box = async (name: string) => (await s.mailboxes.getMailbox(a.id, name))!;
    const append = async (mailbox: string, n: number, flags: string[] = [], size = 100) => {
      const r = await s.messages.append(a.id, mailbox, blob(n, size), flags, 1_700_000_000_000 + n);
      assert.ok(r.ok, `append ${n} to ${mailbox}`);
      return r;
    };
    const used = async () => (await s.directory.getAccountById(a.id))!.usedBytes;
    return { id: a.id, box, append, used };
  }

  describe(`metadata store contract, mailboxes and messages: ${backend}`, () => {
    it('appends with increasing UIDs, normalised flags, counters and quota', withStore(async (s) => {
      const a = await account(s, 250);
      const inbox = await a.box('INBOX');
      const first = await a.append('INBOX', 1, ['\\seen', '$Label1', '\\SEEN', '\\Recent', '$label1']);
      assert.deepEqual(first, { ok: true, mailboxId: inbox.id, uidValidity: inbox.uidValidity, uid: 1, modseq: first.ok ? first.modseq : 0 });
      const second = await a.append('INBOX', 2);
      assert.ok(second.ok && first.ok && second.uid === 2 && second.modseq > first.modseq);
      const [m1] = await s.messages.getMessages(inbox.id, [1]);
      assert.deepEqual(m1!.flags, ['\\Seen', '$Label1']);
      assert.equal(m1!.internalDate, 1_700_000_000_001);
      assert.equal(await s.mailboxes.getBlobIndex(blob(1).hash), '{"v":1}');
      const after = await a.box('INBOX');
      assert.equal(after.messageCount, 2);
      assert.equal(after.totalSize, 200);
      assert.equal(after.uidNext, 3);
      assert.equal(after.highestModseq, second.ok ? second.modseq : -1);
      assert.equal(await a.used(), 200);
      assert.deepEqual(await s.messages.append(a.id, 'INBOX', blob(3), [], 0), { ok: false, reason: 'quota' });
      assert.equal((await a.box('INBOX')).uidNext, 3, 'a refused APPEND takes no UID');
      assert.deepEqual(await s.messages.append(a.id, 'Nowhere', blob(3, 1), [], 0), { ok: false, reason: 'no-mailbox' });
      assert.deepEqual(await s.messages.append(99999, 'INBOX', blob(3, 1), [], 0), { ok: false, reason: 'no-account' });
      assert.deepEqual(await s.messages.countUnseen(inbox.id), { unseen: 1, firstUnseenUid: 2 });
      await a.append('Sent', 4, [], 1);
      const sent = await a.box('Sent');
      assert.deepEqual([...(await s.messages.unseenByMailbox(a.id))].sort(), [[inbox.id, 1], [sent.id, 1]]);
    }));

    it('keeps UIDs strictly increasing under concurrent appends and deliveries', withStore(async (s) => {
      const a = await account(s);
      await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? s.deliveries.commit([request([a.id], 200 + i)]) : a.append('INBOX', 200 + i))));
      const inbox = await a.box('INBOX');
      const messages = await s.mailboxes.listMessages(inbox.id);
      assert.deepEqual(messages.map((m) => m.uid), Array.from({ length: 30 }, (_, i) => i + 1));
      assert.equal(new Set(messages.map((m) => m.modseq)).size, 30, 'each append has its own MODSEQ');
      assert.equal(inbox.uidNext, 31);
      assert.equal(inbox.messageCount, 30);
    }));

    it('adds, removes and replaces flags, bumping MODSEQ only for real changes', withStore(async (s) => {
      const a = await account(s);
      for (let n = 1; n <= 3; n++) await a.append('INBOX', n);
      const inbox = await a.box('INBOX');
      const added = await s.messages.storeFlags(inbox.id, [[1, 2], 99], 'add', ['\\Seen', '$Work']);
      assert.deepEqual(added.failed, []);
      assert.deepEqual(added.updated.map((u) => [u.uid, u.flags, u.changed]), [[1, ['\\Seen', '$Work'], true], [2, ['\\Seen', '$Work'], true]]);
      const m1 = added.updated[0]!.modseq;
      assert.ok(m1 > inbox.highestModseq);
      assert.equal(added.highestModseq, m1);
      const again = await s.messages.storeFlags(inbox.id, [1], 'add', ['\\seen']);
      assert.deepEqual(again.updated, [{ uid: 1, flags: ['\\Seen', '$Work'], modseq: m1, changed: false }]);
      assert.equal(again.highestModseq, m1, 'a STORE that changes nothing leaves HIGHESTMODSEQ');
      const removed = await s.messages.storeFlags(inbox.id, [1], 'remove', ['$WORK']);
      assert.deepEqual(removed.updated[0]!.flags, ['\\Seen']);
      assert.ok(removed.updated[0]!.modseq > m1);
      const replaced = await s.messages.storeFlags(inbox.id, [[1, 3]], 'replace', ['\\Flagged', '\\Answered']);
      assert.deepEqual(replaced.updated.map((u) => u.flags), [['\\Flagged', '\\Answered'], ['\\Flagged', '\\Answered'], ['\\Flagged', '\\Answered']]);
      assert.ok(replaced.updated.every((u) => u.modseq === replaced.highestModseq && u.modseq > removed.highestModseq));
      assert.equal((await a.box('INBOX')).highestModseq, replaced.highestModseq);
      assert.deepEqual(await s.messages.countUnseen(inbox.id), { unseen: 3, firstUnseenUid: 1 });
      const none = await s.messages.storeFlags(inbox.id, [50], 'add', ['\\Seen']);
      assert.deepEqual(none, { updated: [], failed: [], highestModseq: replaced.highestModseq });
    }));

    it('refuses STORE UNCHANGEDSINCE on messages modified since, and applies it to the rest', withStore(async (s) => {
      const a = await account(s);
      for (let n = 1; n <= 3; n++) await a.append('INBOX', n);
      const inbox = await a.box('INBOX');
      const seen = inbox.highestModseq;
      await s.messages.storeFlags(inbox.id, [2], 'add', ['$Other']);
      const r = await s.messages.storeFlags(inbox.id, [[1, 3]], 'add', ['\\Deleted'], seen);
      assert.deepEqual(r.failed, [2]);
      assert.deepEqual(r.updated.map((u) => u.uid), [1, 3]);
      const [, m2] = await s.messages.getMessages(inbox.id, [[1, 3]]);
      assert.deepEqual(m2!.flags, ['$Other'], 'the conflicting message is untouched');
      const zero = await s.messages.storeFlags(inbox.id, [1], 'remove', ['\\Deleted'], 0);
      assert.deepEqual(zero.failed, [1], 'UNCHANGEDSINCE 0 always fails (RFC 7162 3.1.3)');
    }));

    it('expunges only \\Deleted messages, optionally within a UID set, and reports them as vanished', withStore(async (s) => {
      const a = await account(s);
      for (let n = 1; n <= 5; n++) await a.append('INBOX', n, n % 2 === 1 ? ['\\Deleted'] : [], 10 * n);
      const inbox = await a.box('INBOX');
      const before = inbox.highestModseq;
      assert.equal(await a.used(), 150);
      const some = await s.messages.expunge(inbox.id, [[2, 3]]);
      assert.deepEqual(some.uids, [3]);
      assert.ok(some.modseq > before);
      const rest = await s.messages.expunge(inbox.id);
      assert.deepEqual(rest.uids, [1, 5]);
      assert.ok(rest.modseq > some.modseq);
      const nothing = await s.messages.expunge(inbox.id);
      assert.deepEqual(nothing, { uids: [], modseq: 0 });
      const after = await a.box('INBOX');
      assert.equal(after.highestModseq, rest.modseq, 'an empty EXPUNGE leaves HIGHESTMODSEQ');
      assert.equal(after.messageCount, 2);
      assert.equal(after.totalSize, 60);
      assert.equal(await a.used(), 60, 'quota released');
      assert.deepEqual((await s.mailboxes.listMessages(inbox.id)).map((m) => m.uid), [2, 4]);
      await s.messages.storeFlags(inbox.id, [4], 'add', ['\\Seen']);
      assert.deepEqual(await s.mailboxes.listMessageFlags(inbox.id), [{ uid: 2, flags: [] }, { uid: 4, flags: ['\\Seen'] }]);
      const changes = await s.messages.changedSince(inbox.id, before);
      assert.deepEqual(changes.vanished, [1, 3, 5]);
      assert.deepEqual(changes.changed.map((c) => [c.uid, c.flags]), [[4, ['\\Seen']]]);
      assert.equal(changes.highestModseq, (await a.box('INBOX')).highestModseq);
      const later = await s.messages.changedSince(inbox.id, some.modseq);
      assert.deepEqual(later.vanished, [1, 5]);
      assert.deepEqual((await s.messages.changedSince(inbox.id, changes.highestModseq)), { changed: [], vanished: [], highestModseq: changes.highestModseq });
    }));

    it('copies with a UIDPLUS mapping, keeps flags, and charges quota all or nothing', withStore(async (s) => {
      const a = await account(s, 700);
      for (let n = 1; n <= 3; n++) await a.append('INBOX', n, n === 2 ? ['\\Flagged'] : []);
      await a.append('Archive', 9);
      const inbox = await a.box('INBOX');
      const archive = await a.box('Archive');
      const copied = await s.messages.copy(inbox.id, [[2, 3], 1, 77], archive.id);
      assert.deepEqual(copied, { ok: true, uidValidity: archive.uidValidity, mapping: [{ from: 1, to: 2 }, { from: 2, to: 3 }, { from: 3, to: 4 }] });
      const [c2] = await s.messages.getMessages(archive.id, [3]);
      assert.deepEqual(c2!.flags, ['\\Flagged']);
      assert.equal(c2!.internalDate, 1_700_000_000_002);
      assert.equal(await a.used(), 700);
      const box = await a.box('Archive');
      assert.equal(box.messageCount, 4);
      assert.equal(box.uidNext, 5);
      assert.equal(box.totalSize, 400);
      assert.equal((await a.box('INBOX')).messageCount, 3, 'the source keeps its messages');
      const refused = await s.messages.copy(inbox.id, [[1, 3]], archive.id);
      assert.deepEqual(refused, { ok: false, reason: 'quota' });
      assert.equal((await a.box('Archive')).uidNext, 5, 'nothing of a refused COPY remains');
      assert.equal(await a.used(), 700);
      assert.deepEqual(await s.messages.copy(inbox.id, [1], 99999), { ok: false, reason: 'no-mailbox' });
    }));

    it('moves in one step: new UIDs in the target, vanished from the source, no quota needed', withStore(async (s) => {
      const a = await account(s, 300);
      for (let n = 1; n <= 3; n++) await a.append('INBOX', n);
      const inbox = await a.box('INBOX');
      const trash = await a.box('Trash');
      const before = inbox.highestModseq;
      const moved = await s.messages.move(inbox.id, [[1, 2]], trash.id);
      assert.ok(moved.ok);
      assert.equal(moved.uidValidity, trash.uidValidity);
      assert.deepEqual(moved.mapping, [{ from: 1, to: 1 }, { from: 2, to: 2 }]);
      assert.deepEqual(moved.expunged.uids, [1, 2]);
      assert.equal(await a.used(), 300, 'a move within the account uses no more quota, even when full');
      assert.deepEqual((await s.mailboxes.listMessages(inbox.id)).map((m) => m.uid), [3]);
      assert.deepEqual((await s.messages.changedSince(inbox.id, before)).vanished, [1, 2]);
      const t = await a.box('Trash');
      assert.equal(t.messageCount, 2);
      assert.equal(t.totalSize, 200);
      assert.equal((await a.box('INBOX')).totalSize, 100);
      const self = await s.messages.move(trash.id, [1], trash.id);
      assert.ok(self.ok && self.mapping[0]!.to === 3 && self.expunged.uids[0] === 1);
      assert.deepEqual((await s.mailboxes.listMessages(trash.id)).map((m) => m.uid), [2, 3]);
    }));

    it('keeps MODSEQs and UIDs consistent when appends, stores, copies and expunges run at once', withStore(async (s) => {
      const a = await account(s);
      for (let n = 1; n <= 10; n++) await a.append('INBOX', n);
      const inbox = await a.box('INBOX');
      const archive = await a.box('Archive');
      await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => a.append('INBOX', 100 + i)),
        ...Array.from({ length: 10 }, (_, i) => s.messages.storeFlags(inbox.id, [i + 1], 'add', ['\\Deleted'])),
        ...Array.from({ length: 5 }, () => s.messages.copy(inbox.id, [[1, 3]], archive.id)),
        s.messages.expunge(inbox.id, [[1, 5]]),
      ]);
      const box = await a.box('INBOX');
      const messages = await s.mailboxes.listMessages(inbox.id);
      assert.equal(box.messageCount, messages.length);
      assert.equal(box.totalSize, messages.reduce((sum, m) => sum + m.size, 0));
      assert.ok(messages.every((m) => m.modseq <= box.highestModseq));
      assert.equal(box.uidNext, 21);
      const copies = await s.mailboxes.listMessages(archive.id);
      assert.equal(new Set(copies.map((m) => m.uid)).size, copies.length, 'no UID given twice');
      const all = [...messages, ...copies];
      const everyBox = await s.mailboxes.listMailboxes(a.id);
      assert.equal(await a.used(), everyBox.reduce((sum, b) => sum + b.totalSize, 0), 'quota usage matches the mailboxes');
      assert.ok(all.length > 0);
    }));

    it('reads UID sets with many ranges the same as with few', withStore(async (s) => {
      const a = await account(s);
      for (let n = 1; n <= 250; n++) await a.append('INBOX', n, [], 1);
      const inbox = await a.box('INBOX');
      const odd = Array.from({ length: 125 }, (_, i) => 2 * i + 1);
      assert.deepEqual((await s.messages.getMessages(inbox.id, odd)).map((m) => m.uid), odd);
      assert.deepEqual((await s.messages.getMessages(inbox.id, [[10, 12], [11, 14], 300])).map((m) => m.uid), [10, 11, 12, 13, 14]);
      const r = await s.messages.storeFlags(inbox.id, odd, 'add', ['\\Deleted']);
      assert.equal(r.updated.length, 125);
      assert.deepEqual((await s.messages.expunge(inbox.id, odd.slice(0, 110))).uids, odd.slice(0, 110));
      assert.equal((await a.box('INBOX')).messageCount, 140);
    }));

    it('creates mailboxes with their superiors and a fresh UIDVALIDITY each', withStore(async (s) => {
      const a = await account(s);
      const created = await s.mailboxes.createMailbox(a.id, 'Projects/2026/Q1', '\\Archive');
      assert.ok(created.ok);
      assert.equal(created.mailbox.specialUse, '\\Archive');
      assert.equal(created.mailbox.uidNext, 1);
      assert.equal(created.mailbox.subscribed, false, 'CREATE does not subscribe');
      const names = (await s.mailboxes.listMailboxes(a.id)).map((b) => b.name);
      assert.ok(names.includes('Projects') && names.includes('Projects/2026'));
      assert.deepEqual(await s.mailboxes.createMailbox(a.id, 'Projects/2026'), { ok: false, reason: 'exists' });
      const all = await s.mailboxes.listMailboxes(a.id);
      assert.equal(new Set(all.map((b) => b.uidValidity)).size, all.length);
    }));

    it('renames a mailbox with its hierarchy and subscriptions, keeping UIDVALIDITY', withStore(async (s) => {
      const a = await account(s);
      await s.mailboxes.createMailbox(a.id, 'Work/Clients/Acme');
      await s.mailboxes.createMailbox(a.id, 'Workshop');
      await s.subscriptions.subscribe(a.id, 'Work/Clients');
      await a.append('Work/Clients', 1);
      const validity = (await a.box('Work/Clients')).uidValidity;
      const r = await s.mailboxes.renameMailbox(a.id, 'Work', 'Old/Work');
      assert.ok(r.ok);
      assert.deepEqual(r.renamed.map((x) => [x.from, x.to]).sort(), [['Work', 'Old/Work'], ['Work/Clients', 'Old/Work/Clients'], ['Work/Clients/Acme', 'Old/Work/Clients/Acme']]);
      const names = (await s.mailboxes.listMailboxes(a.id)).map((b) => b.name);
      assert.ok(names.includes('Workshop'), 'a name merely starting with the same letters is not an inferior');
      assert.ok(names.includes('Old'), 'the new superior is created');
      assert.ok(!names.some((n) => n === 'Work' || n.startsWith('Work/')));
      const moved = await a.box('Old/Work/Clients');
      assert.equal(moved.uidValidity, validity);
      assert.equal(moved.messageCount, 1);
      assert.equal(moved.subscribed, true);
      assert.deepEqual((await s.subscriptions.listSubscriptions(a.id)).filter((n) => n.includes('Work')), ['Old/Work/Clients']);
      assert.deepEqual(await s.mailboxes.renameMailbox(a.id, 'Old/Work', 'Workshop'), { ok: false, reason: 'exists' });
      assert.deepEqual(await s.mailboxes.renameMailbox(a.id, 'Old/Work', 'Old/Work/Sub'), { ok: false, reason: 'into-itself' });
      assert.deepEqual(await s.mailboxes.renameMailbox(a.id, 'Missing', 'Other'), { ok: false, reason: 'not-found' });
      assert.deepEqual(await s.mailboxes.renameMailbox(a.id, 'Workshop', 'Workshop'), { ok: false, reason: 'exists' });
    }));

    it('renames INBOX by moving its messages to a new mailbox and leaving INBOX empty with its inferiors', withStore(async (s) => {
      const a = await account(s);
      await s.mailboxes.createMailbox(a.id, 'INBOX/Lists');
      for (let n = 1; n <= 2; n++) await a.append('INBOX', n, ['\\Seen']);
      const inbox = await a.box('INBOX');
      const r = await s.mailboxes.renameMailbox(a.id, 'INBOX', 'Old Mail');
      assert.deepEqual(r, { ok: true, renamed: [{ from: 'INBOX', to: 'Old Mail' }] });
      const after = await a.box('INBOX');
      assert.equal(after.messageCount, 0);
      assert.equal(after.totalSize, 0);
      assert.equal(after.uidValidity, inbox.uidValidity);
      assert.equal(after.uidNext, 3, 'INBOX never reuses a UID');
      assert.deepEqual((await s.messages.changedSince(inbox.id, inbox.highestModseq)).vanished, [1, 2]);
      const old = await a.box('Old Mail');
      assert.notEqual(old.uidValidity, inbox.uidValidity);
      assert.equal(old.messageCount, 2);
      assert.deepEqual((await s.mailboxes.listMessages(old.id)).map((m) => [m.uid, m.flags]), [[1, ['\\Seen']], [2, ['\\Seen']]]);
      assert.ok(await a.box('INBOX/Lists'), 'inferiors of INBOX stay');
      assert.equal(await a.used(), 200);
      const next = await a.append('INBOX', 3);
      assert.ok(next.ok && next.uid === 3);
      const nested = await s.mailboxes.renameMailbox(a.id, 'INBOX', 'INBOX/Old');
      assert.ok(nested.ok, 'INBOX may be renamed to one of its inferiors');
      assert.equal((await a.box('INBOX/Old')).messageCount, 1);
      assert.equal((await a.box('INBOX')).messageCount, 0);
    }));

    it('deletes a mailbox with its messages, leaves inferiors and subscriptions, refuses INBOX', withStore(async (s) => {
      const a = await account(s);
      await s.mailboxes.createMailbox(a.id, 'Lists/Node');
      await s.subscriptions.subscribe(a.id, 'Lists');
      await a.append('Lists', 1, [], 40);
      await a.append('INBOX', 2, [], 60);
      const old = await a.box('Lists');
      assert.deepEqual(await s.mailboxes.deleteMailbox(a.id, 'INBOX'), { ok: false, reason: 'inbox' });
      assert.deepEqual(await s.mailboxes.deleteMailbox(a.id, 'Missing'), { ok: false, reason: 'not-found' });
      assert.deepEqual(await s.mailboxes.deleteMailbox(a.id, 'Lists'), { ok: true, expunged: 1 });
      assert.equal(await s.mailboxes.getMailbox(a.id, 'Lists'), undefined);
      assert.ok(await a.box('Lists/Node'), 'inferiors stay');
      assert.equal(await a.used(), 60, 'quota released');
      assert.ok((await s.subscriptions.listSubscriptions(a.id)).includes('Lists'), 'the subscription outlives the mailbox');
      const again = await s.mailboxes.createMailbox(a.id, 'Lists');
      assert.ok(again.ok);
      assert.notEqual(again.mailbox.uidValidity, old.uidValidity, 'a re-created name gets a new UIDVALIDITY');
      assert.equal(again.mailbox.subscribed, true);
      assert.equal(again.mailbox.messageCount, 0);
      assert.deepEqual(await s.mailboxes.listMessages(again.mailbox.id), []);
    }));

    it('keeps METADATA entries per server and mailbox, all or nothing, bounded per account, and with the mailbox', withStore(async (s) => {
      const a = await account(s);
      const b = await account(s, 0, 'bob');
      const inbox = await a.box('INBOX');
      const v = (t: string) => Buffer.from(t);
      assert.deepEqual(await s.annotations.setAnnotations(a.id, null, [{ entry: '/private/vendor/x', value: v('1') }, { entry: '/shared/comment', value: v('srv') }], 4), { ok: true });
      assert.deepEqual(await s.annotations.setAnnotations(a.id, inbox.id, [{ entry: '/shared/comment', value: Buffer.from([0, 1, 2]) }], 4), { ok: true });
      assert.deepEqual((await s.annotations.listAnnotations(a.id, null)).map((e) => [e.entry, e.value.toString()]), [['/private/vendor/x', '1'], ['/shared/comment', 'srv']]);
      assert.deepEqual((await s.annotations.listAnnotations(a.id, inbox.id)).map((e) => [...e.value]), [[0, 1, 2]]);
      assert.deepEqual(await s.annotations.listAnnotations(b.id, inbox.id), [], "another account cannot read this mailbox's entries");
      assert.deepEqual(await s.annotations.setAnnotations(b.id, inbox.id, [{ entry: '/shared/x', value: v('no') }], 4), { ok: false, reason: 'no-mailbox' });
      const refused = await s.annotations.setAnnotations(a.id, inbox.id, [{ entry: '/private/a', value: v('a') }, { entry: '/private/b', value: v('b') }], 4);
      assert.deepEqual(refused, { ok: false, reason: 'too-many' });
      assert.equal((await s.annotations.listAnnotations(a.id, inbox.id)).length, 1, 'a refused SETMETADATA changes nothing');
      assert.deepEqual(await s.annotations.setAnnotations(a.id, null, [{ entry: '/private/vendor/x', value: null }, { entry: '/shared/comment', value: v('new') }], 4), { ok: true });
      assert.deepEqual((await s.annotations.listAnnotations(a.id, null)).map((e) => [e.entry, e.value.toString()]), [['/shared/comment', 'new']]);
      await s.mailboxes.createMailbox(a.id, 'Work');
      const work = (await s.mailboxes.getMailbox(a.id, 'Work'))!;
      await s.annotations.setAnnotations(a.id, work.id, [{ entry: '/private/comment', value: v('w') }], 10);
      assert.ok((await s.mailboxes.renameMailbox(a.id, 'Work', 'Job')).ok);
      assert.deepEqual((await s.annotations.listAnnotations(a.id, work.id)).map((e) => e.entry), ['/private/comment'], 'entries go with RENAME');
      assert.ok((await s.mailboxes.deleteMailbox(a.id, 'Job')).ok);
      assert.deepEqual(await s.annotations.listAnnotations(a.id, work.id), []);
      await s.mailboxes.createMailbox(a.id, 'Job');
      const again = (await s.mailboxes.getMailbox(a.id, 'Job'))!;
      assert.deepEqual(await s.annotations.listAnnotations(a.id, again.id), [], 'a re-created name starts without entries');
    }));

    it('records spam and ham learning events with COPY and MOVE into and out of Junk, in the same transaction', withStore(async (s) => {
      const a = await account(s);
      for (let n = 1; n <= 4; n++) await a.append('INBOX', n);
      const [inbox, junk, trash, archive] = [await a.box('INBOX'), await a.box('Junk'), await a.box('Trash'), await a.box('Archive')];
      assert.ok((await s.messages.move(inbox.id, [[1, 2]], junk.id)).ok);
      assert.ok((await s.messages.copy(inbox.id, [3], junk.id)).ok);
      assert.ok((await s.messages.move(junk.id, [1], inbox.id)).ok, 'out of Junk: ham');
      assert.ok((await s.messages.move(junk.id, [2], trash.id)).ok, 'into Trash: no verdict');
      assert.ok((await s.messages.move(inbox.id, [4], archive.id)).ok, 'neither side Junk: nothing');
      assert.ok((await s.messages.move(junk.id, [3], junk.id)).ok, 'within Junk: nothing');
      const events = await s.learning.listLearningEvents(100);
      assert.deepEqual(events.map((e) => [e.kind, e.blobHash, e.accountId]), [
        ['spam', blob(1).hash, a.id],
        ['spam', blob(2).hash, a.id],
        ['spam', blob(3).hash, a.id],
        ['ham', blob(1).hash, a.id],
      ]);
      assert.ok(events.every((e) => e.createdAt > 0));
      assert.deepEqual((await s.learning.listLearningEvents(2, events[1]!.id)).map((e) => e.id), [events[2]!.id, events[3]!.id]);
      // A pending event keeps its blob from garbage collection even once no message holds it.
      await s.messages.storeFlags(trash.id, [1], 'add', ['\\Deleted']);
      await s.messages.expunge(trash.id);
      assert.equal(await s.isBlobReferenced(blob(2).hash), true);
      assert.equal(await s.learning.consumeLearningEvents(events.map((e) => e.id).filter((id) => id !== events[3]!.id)), 3);
      assert.equal(await s.isBlobReferenced(blob(2).hash), false);
      assert.deepEqual((await s.learning.listLearningEvents(100)).map((e) => e.kind), ['ham']);
      const refused = await account(s, 1, 'full');
      await s.messages.append(refused.id, 'INBOX', blob(9, 1), [], 0);
      const [fi, fj] = [await refused.box('INBOX'), await refused.box('Junk')];
      assert.ok((await s.messages.move(fi.id, [1], fj.id)).ok);
      assert.equal((await s.learning.listLearningEvents(100)).filter((e) => e.accountId === refused.id).length, 1);
    }));

    it('keeps Bayes counts per table: a message learned once, relearned ham <-> spam, forgotten; per account apart from global, gone with the account', withStore(async (s) => {
      const a = await account(s);
      const b = await account(s, 0, 'bob');
      const key = blob(1).hash;
      assert.deepEqual(await s.bayes.totals(null), { spam: 0, ham: 0 });
      assert.equal(await s.bayes.learn(null, key, 'spam', ['t1', 't2', 't2'], 10), 'learned');
      assert.equal(await s.bayes.learn(null, key, 'spam', ['t1', 't2'], 11), 'unchanged', 'not learned twice');
      assert.equal(await s.bayes.learn(null, blob(2).hash, 'ham', ['t2', 't3'], 12), 'learned');
      assert.deepEqual(await s.bayes.totals(null), { spam: 1, ham: 1 });
      const counts = await s.bayes.tokenCounts(null, ['t1', 't2', 't3', 'never', '']);
      assert.deepEqual(Object.fromEntries(counts), { t1: { spam: 1, ham: 0 }, t2: { spam: 1, ham: 1 }, t3: { spam: 0, ham: 1 } }, 'distinct tokens counted once; the totals row is not a token');
      assert.equal(await s.bayes.learn(null, key, 'ham', ['t1', 't2'], 13), 'relearned');
      assert.deepEqual(await s.bayes.totals(null), { spam: 0, ham: 2 });
      assert.deepEqual(Object.fromEntries(await s.bayes.tokenCounts(null, ['t1', 't2'])), { t1: { spam: 0, ham: 1 }, t2: { spam: 0, ham: 2 } });
      assert.equal(await s.bayes.forget(null, key, ['t1', 't2'], 14), true);
      assert.equal(await s.bayes.forget(null, key, ['t1', 't2'], 15), false, 'forgotten once');
      assert.deepEqual(Object.fromEntries(await s.bayes.tokenCounts(null, ['t1', 't2'])), { t2: { spam: 0, ham: 1 } }, 'a token at zero is removed');
      assert.equal(await s.bayes.forget(null, blob(2).hash, ['t2', 't3', 'extra'], 16), true);
      assert.deepEqual(Object.fromEntries(await s.bayes.tokenCounts(null, ['t2', 't3', 'extra'])), {}, 'never below zero');

      assert.equal(await s.bayes.learn(a.id, key, 'spam', ['u1'], 20), 'learned');
      assert.equal(await s.bayes.learn(b.id, key, 'ham', ['u1'], 21), 'learned', 'each account has its own verdict');
      assert.deepEqual(await s.bayes.totals(a.id), { spam: 1, ham: 0 });
      assert.deepEqual(await s.bayes.totals(b.id), { spam: 0, ham: 1 });
      assert.deepEqual(await s.bayes.totals(null), { spam: 0, ham: 0 }, 'the global table is apart');
      assert.deepEqual(Object.fromEntries(await s.bayes.tokenCounts(a.id, ['u1'])), { u1: { spam: 1, ham: 0 } });
      assert.equal(await s.directory.removeAccount(a.id), true);
      assert.deepEqual(await s.bayes.totals(a.id), { spam: 0, ham: 0 }, 'an account\'s table goes with it');
      assert.deepEqual(await s.bayes.totals(b.id), { spam: 0, ham: 1 });
    }));

    it('subscribes to names with or without a mailbox, per account', withStore(async (s) => {
      const a = await account(s);
      const b = await account(s, 0, 'bob');
      assert.deepEqual(await s.subscriptions.listSubscriptions(a.id), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
      assert.ok((await s.mailboxes.listMailboxes(a.id)).every((m) => m.subscribed));
      await s.subscriptions.subscribe(a.id, 'Not/There');
      await s.subscriptions.subscribe(a.id, 'Not/There');
      assert.ok((await s.subscriptions.listSubscriptions(a.id)).includes('Not/There'));
      assert.equal((await s.subscriptions.listSubscriptions(b.id)).includes('Not/There'), false);
      assert.equal(await s.subscriptions.unsubscribe(a.id, 'Junk'), true);
      assert.equal(await s.subscriptions.unsubscribe(a.id, 'Junk'), false);
      assert.equal((await a.box('Junk')).subscribed, false);
      assert.equal((await s.mailboxes.getMailbox(b.id, 'Junk'))!.subscribed, true);
    }));

    it('hands each message to one \\Recent claim only, even when claims race', withStore(async (s) => {
      const a = await account(s);
      const inbox = await a.box('INBOX');
      assert.equal(inbox.recentUid, 1);
      for (let n = 1; n <= 3; n++) await a.append('INBOX', n);
      const claims = await Promise.all([s.mailboxes.claimRecent(inbox.id), s.mailboxes.claimRecent(inbox.id), s.mailboxes.claimRecent(inbox.id)]);
      const covered = claims.flatMap((c) => Array.from({ length: c.to - c.from }, (_, i) => c.from + i)).sort();
      assert.deepEqual(covered, [1, 2, 3]);
      assert.equal((await a.box('INBOX')).recentUid, 4);
      await s.deliveries.commit([request([a.id], 9)]);
      assert.deepEqual(await s.mailboxes.claimRecent(inbox.id), { from: 4, to: 5 });
      assert.deepEqual(await s.mailboxes.claimRecent(inbox.id), { from: 5, to: 5 });
    }));

    it('gives THREADIDs by Message-ID within the account, keeps them on COPY, and EMAILID by content', withStore(async (s) => {
      const a = await account(s);
      const b = await account(s, 0, 'bob');
      await s.deliveries.commit([request([a.id, b.id], 1, { messageId: '<root@t>' })]);
      await s.deliveries.commit([request([a.id], 2, { messageId: '<reply@t>', threadRefs: ['<root@t>'] })]);
      await s.deliveries.commit([request([a.id], 3, { messageId: '<other@t>' })]);
      await s.deliveries.commit([request([b.id], 4, { messageId: '<reply2@t>', threadRefs: ['<reply@t>'] })]);
      const inbox = await a.box('INBOX');
      const [m1, m2, m3] = await s.messages.getMessages(inbox.id, [[1, 3]]);
      assert.ok(m1!.threadId && m1!.threadId === m2!.threadId && m3!.threadId !== m1!.threadId);
      assert.notEqual(m1!.emailId, m2!.emailId);
      const [bRoot, bReply] = await s.messages.getMessages((await s.mailboxes.getMailbox(b.id, 'INBOX'))!.id, [[1, 2]]);
      assert.equal(bRoot!.emailId, m1!.emailId, 'the same bytes: the same EMAILID');
      assert.notEqual(bReply!.threadId, bRoot!.threadId, 'threads never reach into another account');
      const copied = await s.messages.copy(inbox.id, [2], (await a.box('Archive')).id);
      assert.ok(copied.ok);
      const [copy] = await s.messages.getMessages((await a.box('Archive')).id, [copied.mapping[0]!.to]);
      assert.deepEqual([copy!.emailId, copy!.threadId], [m2!.emailId, m2!.threadId]);
    }));
  });

  const text = (over: Partial<BlobSearchText>): BlobSearchText => ({
    header: '', body: '', subject: '', from: '', to: '', cc: '', bcc: '', sentDate: null, sentDay: null,
    messageId: null, inReplyTo: null, references: null, fromMailbox: null, toMailbox: null, ccMailbox: null, ...over,
  });

  /** What the indexer does, with the texts the test chose instead of texts read from blobs: indexes every queued blob whose hash is in texts. */
  async function indexQueued(s: MetadataStore, texts: ReadonlyMap<string, BlobSearchText>, limit = 1000): Promise<number> {
    const queued = (await s.searchQueue.queued(limit)).filter((q) => texts.has(q.hash));
    await s.searchQueue.index(queued.map((q) => ({ id: q.id, text: texts.get(q.hash)! })));
    return queued.length;
  }

  describe(`metadata store contract, search: ${backend}`, () => {
    it('matches indexed text by field, case-insensitively, as substrings of any length, in one mailbox', withStore(async (s) => {
      const a = await account(s);
      const b = await account(s, 0, 'bob');
      const texts = new Map<string, BlobSearchText>();
      const put = (accountId: number, mailbox: string, n: number, t: BlobSearchText) => {
        texts.set(blob(n).hash, t);
        return s.messages.append(accountId, mailbox, { ...blob(n), search: t }, [], 1_700_000_000_000 + n);
      };
      await put(a.id, 'INBOX', 1, text({ subject: 'Quarterly Report', from: 'Ann <ann@example.org>', header: 'Subject: Quarterly Report\nX-Tag: alpha', body: 'Numbers are UP. Straße, Ölpreis "quoted" 100% * NEAR(x)' }));
      await put(a.id, 'Archive', 5, text({ body: 'ölig' }));
      await put(a.id, 'INBOX', 2, text({ subject: 'lunch?', to: 'team@example.org', header: 'Subject: lunch?', body: 'pizza at 12' }));
      await put(a.id, 'INBOX', 3, { ...text({}), body: 'no subject here', header: '' });
      await put(a.id, 'Sent', 4, text({ subject: 'Quarterly plans', body: 'draft' }));
      await put(b.id, 'INBOX', 6, text({}));
      const inbox = (await a.box('INBOX')).id;
      // Delivered, queued: the index has nothing yet, and the queue says which messages to read instead.
      assert.deepEqual(await s.messages.matchText(inbox, 'body', 'pizza'), []);
      assert.deepEqual((await s.messages.unindexed(inbox)).map((u) => [u.uid, u.hash, u.index]), [1, 2, 3].map((uid) => [uid, blob(uid).hash, blob(uid).index]));
      assert.equal(await indexQueued(s, texts, 2), 2, 'the oldest first');
      assert.deepEqual((await s.messages.unindexed(inbox)).map((u) => u.uid), [2, 3]);
      assert.deepEqual(await s.messages.matchText(inbox, 'subject', 'quarterly'), [1]);
      assert.equal(await indexQueued(s, texts), 4);
      assert.deepEqual(await s.messages.unindexed(inbox), []);
      assert.deepEqual(await s.searchQueue.queued(10), [], 'nothing left queued');

      assert.deepEqual(await s.messages.matchText(inbox, 'subject', 'quarterly'), [1]);
      assert.deepEqual(await s.messages.matchText(inbox, 'subject', 'REPORT'), [1]);
      assert.deepEqual(await s.messages.matchText(inbox, 'body', 'up. str'), [1]);
      assert.deepEqual(await s.messages.matchText(inbox, 'body', 'STRASSE'), [], 'no folding beyond case');
      assert.deepEqual(await s.messages.matchText(inbox, 'body', 'straße'), [1]);
      assert.deepEqual(await s.messages.matchText(inbox, 'body', '12'), [2], 'a short needle is scanned');
      assert.deepEqual(await s.messages.matchText(inbox, 'body', 'e'), [1, 3]);
      assert.deepEqual(await s.messages.matchText(inbox, 'text', 'x-tag'), [1]);
      assert.deepEqual(await s.messages.matchText(inbox, 'text', 'pizza'), [2]);
      assert.deepEqual(await s.messages.matchText(inbox, 'from', 'ann@'), [1]);
      assert.deepEqual(await s.messages.matchText(inbox, 'to', 'team'), [2]);
      assert.deepEqual(await s.messages.matchText(inbox, 'cc', 'team'), []);
      assert.deepEqual(await s.messages.matchText(inbox, 'subject', 'a "quoted" needle'), []);
      assert.deepEqual(await s.messages.matchText(inbox, 'body', '_'), []);
      assert.deepEqual(await s.messages.matchText(inbox, 'body', 'ß'), [1]);
      assert.deepEqual(await s.messages.matchText(inbox, 'body', 'SSE'), [], 'ß is not folded to ss');
      assert.deepEqual(await s.messages.matchText(inbox, 'body', 'AßE'), [1], 'non-ASCII in a 3+ character needle');
      assert.deepEqual(await s.messages.matchText((await a.box('Sent')).id, 'subject', 'quarterly'), [1]);
      // FTS5 query syntax and LIKE wildcards in a needle are plain text.
      for (const needle of ['"quoted"', '"', '100%', '% *', 'NEAR(x)', '* NEAR']) assert.deepEqual(await s.messages.matchText(inbox, 'body', needle), [1], needle);
      assert.deepEqual(await s.messages.matchText(inbox, 'body', 'AND'), []);
      // Non-ASCII letters fold case in short needles too.
      assert.deepEqual(await s.messages.matchText(inbox, 'body', 'öl'), [1]);
      assert.deepEqual(await s.messages.matchText((await a.box('Archive')).id, 'body', 'Ö'), [1]);
      assert.deepEqual((await s.messages.headerTexts(inbox, 'alpha')).map((r) => r.uid), [1]);
      assert.deepEqual((await s.messages.headerTexts(inbox, '')).map((r) => r.uid), [1, 2, 3]);
    }));

    it('shares one text row among copies of a blob and keeps the first keys stored', withStore(async (s) => {
      const a = await account(s);
      await s.messages.append(a.id, 'INBOX', { ...blob(7), search: text({ subject: 'first' }) }, [], 1);
      await s.deliveries.commit([{ ...request([a.id], 7), blob: { ...blob(7), search: text({ subject: 'second' }) } }]);
      assert.equal((await s.searchQueue.queued(10)).length, 1, 'queued once');
      assert.equal(await indexQueued(s, new Map([[blob(7).hash, text({ subject: 'first', body: 'shared words' })]])), 1);
      const inbox = await a.box('INBOX');
      const sent = await a.box('Sent');
      const copied = await s.messages.copy(inbox.id, [1], sent.id);
      assert.ok(copied.ok);
      assert.deepEqual(await s.messages.matchText(inbox.id, 'body', 'shared'), [1, 2]);
      assert.deepEqual(await s.messages.matchText(sent.id, 'body', 'shared words'), [1]);
      assert.deepEqual((await s.messages.searchFields(inbox.id, [[1, 2]])).map((f) => f.subject), ['first', 'first']);
    }));

    it('indexes a queued blob once, and never one deleted meanwhile', withStore(async (s) => {
      const a = await account(s);
      await s.messages.append(a.id, 'INBOX', { ...blob(8), search: text({}) }, [], 1);
      const [queued] = await s.searchQueue.queued(10);
      const t = text({ body: 'indexed once' });
      await s.searchQueue.index([{ id: queued!.id, text: t }]);
      await s.searchQueue.index([{ id: queued!.id, text: t }]);
      assert.deepEqual(await s.messages.matchText((await a.box('INBOX')).id, 'body', 'indexed once'), [1]);
    }));

    it('returns the stored sort and thread keys, empty for a blob stored without them until it is indexed', withStore(async (s) => {
      const a = await account(s);
      const keys = { subject: 'Re: x', sentDate: 5, sentDay: 19700101, fromMailbox: 'ann', toMailbox: 'bob', ccMailbox: null, messageId: '<m@x>', inReplyTo: '<p@x>', references: '<o@x> <p@x>' };
      await s.messages.append(a.id, 'INBOX', { ...blob(1), search: keys }, [], 1);
      await a.append('INBOX', 2);
      const inbox = (await a.box('INBOX')).id;
      const fields = await s.messages.searchFields(inbox, [[1, 10]]);
      assert.deepEqual(fields, [
        { uid: 1, ...keys },
        { uid: 2, sentDate: null, sentDay: null, subject: '', fromMailbox: null, toMailbox: null, ccMailbox: null, messageId: null, inReplyTo: null, references: null },
      ]);
      assert.deepEqual((await s.messages.unindexed(inbox)).map((u) => u.uid), [1, 2], 'a blob without keys is queued too');
      await indexQueued(s, new Map([[blob(1).hash, text({ ...keys, subject: 'Re: y' })], [blob(2).hash, text({ subject: 'computed' })]]));
      assert.deepEqual((await s.messages.searchFields(inbox, [[1, 2]])).map((f) => f.subject), ['Re: y', 'computed'], 'the indexer stores the keys it computed');
    }));
  });

  runSieveStoreContract(backend, open);
}
