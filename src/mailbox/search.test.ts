/*
 * SEARCH evaluation over a real SQLite store: key semantics that need no
 * socket (sequence sets against the session view, `$`, MODSEQ maximum)
 * and the bounded-work promise: evaluation yields to the event loop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_MAILBOXES } from '../core/mailbox-names.js';
import type { SearchKey } from '../proto/imap/index.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { MetadataStore } from '../store/types.js';
import { searchMessages } from './search.js';
import { MailboxView } from './view.js';

let store: MetadataStore;
let mailboxId: number;
const COUNT = 60;

before(async () => {
  store = await openSqliteStore({ path: ':memory:', fsync: false });
  await store.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
  const a = await store.directory.addAccount({ domain: 'example.com', local: 'a', passwordHash: 'h', quotaBytes: 0 });
  await store.mailboxes.ensureMailboxes(a.id, DEFAULT_MAILBOXES);
  for (let n = 1; n <= COUNT; n++) {
    const r = await store.messages.append(a.id, 'INBOX', { hash: n.toString(16).padStart(64, '0'), size: n * 10, index: '{}' }, n % 2 ? ['\\Seen'] : [], Date.UTC(2026, 0, n % 28 + 1));
    assert.ok(r.ok);
  }
  mailboxId = (await store.mailboxes.getMailbox(a.id, 'INBOX'))!.id;
  await store.messages.storeFlags(mailboxId, [[1, 3]], 'add', ['\\Flagged']);
});
after(() => store.close());

const all = (uids: number[]) => new MailboxView(uids);
const run = async (key: SearchKey, view = all(Array.from({ length: COUNT }, (_, i) => i + 1)), saved: number[] = []) =>
  searchMessages(store.messages, mailboxId, key, { view, saved, now: Date.UTC(2026, 5, 1), yieldEvery: 7 });

describe('searchMessages', () => {
  it('numbers sequence sets by the session view, which may lag the store', async () => {
    const view = all([2, 4, 6, 8]);
    const r = await run({ type: 'seq', set: { kind: 'ranges', ranges: [{ from: 2, to: '*' }] } }, view);
    assert.deepEqual(r.messages.map((m) => m.uid), [4, 6, 8]);
    const none = await run({ type: 'all' }, all([]));
    assert.deepEqual(none.messages, []);
  });

  it('`$` is the saved UIDs, for sequence and UID keys alike', async () => {
    const r = await run({ type: 'or', left: { type: 'seq', set: { kind: 'saved' } }, right: { type: 'uid', set: { kind: 'saved' } } }, undefined, [5, 9]);
    assert.deepEqual(r.messages.map((m) => m.uid), [5, 9]);
  });

  it('MODSEQ reports the highest MODSEQ among the matches, others report none', async () => {
    const r = await run({ type: 'and', keys: [{ type: 'modseq', modseq: 1n, entry: null }, { type: 'flag', flag: '\\Flagged', set: true }] });
    assert.deepEqual(r.messages.map((m) => m.uid), [1, 2, 3]);
    assert.equal(r.highestModseq, Math.max(...r.messages.map((m) => m.modseq)));
    assert.equal((await run({ type: 'all' })).highestModseq, null);
  });

  it('sizes compare strictly, flags case-insensitively', async () => {
    assert.deepEqual((await run({ type: 'size', op: 'larger', size: 580n })).messages.map((m) => m.uid), [59, 60]);
    assert.deepEqual((await run({ type: 'flag', flag: '\\SEEN', set: false })).messages.length, COUNT / 2);
  });

  it('RECENT, NEW and OLD follow the session\'s \\Recent; EMAILID matches the stored id', async () => {
    const scope = (isRecent?: (uid: number) => boolean) => ({ view: all(Array.from({ length: COUNT }, (_, i) => i + 1)), saved: [], now: 0, isRecent });
    const recent = (uid: number) => uid >= 57;
    assert.deepEqual((await searchMessages(store.messages, mailboxId, { type: 'flag', flag: '\\Recent', set: true }, scope(recent))).messages.map((m) => m.uid), [57, 58, 59, 60]);
    assert.deepEqual((await searchMessages(store.messages, mailboxId, { type: 'new' }, scope(recent))).messages.map((m) => m.uid), [58, 60]);
    assert.equal((await searchMessages(store.messages, mailboxId, { type: 'old' }, scope(recent))).messages.length, COUNT - 4);
    assert.equal((await searchMessages(store.messages, mailboxId, { type: 'new' }, scope())).messages.length, 0, 'no \\Recent without a session that holds it');
    const [m7] = await store.messages.getMessages(mailboxId, [7]);
    assert.deepEqual((await run({ type: 'emailid', id: m7!.emailId })).messages.map((m) => m.uid), [7]);
  });

  it('yields to the event loop while it evaluates (bounded work per turn)', async () => {
    let turns = 0;
    let running = true;
    const spin = () => {
      if (!running) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    await run({ type: 'not', key: { type: 'flag', flag: '\\Deleted', set: true } });
    running = false;
    assert.ok(turns >= Math.floor(COUNT / 7) - 1, `only ${turns} turns`);
  });
});
