/*
 * IDLE and change push between sessions, over real TLS sockets on
 * 127.0.0.1 with a real SQLite store: a delivery through the group
 * committer (wrapped by publishDeliveries) and a STORE/EXPUNGE made in a
 * second session reach a session idling on the mailbox within one
 * second, to a raw socket and to imapflow's idle(); updates at the end of
 * other commands (never EXPUNGE during FETCH by sequence number); DONE and
 * anything else; the autologout timer during IDLE; a burst of deliveries
 * announced once.
 *
 * Security: test only; 127.0.0.1; a self-signed certificate in a temp dir.
 * Standards: RFC 2177, RFC 9051 sections 5.4, 6.3.13 and 7.5.1.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { Committer, type MessageCommitter } from '../../src/delivery/committer.js';
import { Directory } from '../../src/directory/directory.js';
import { ImapEndpoint } from '../../src/endpoints/imap/index.js';
import { MailboxEvents, publishDeliveries } from '../../src/mailbox/events.js';
import { indexMessage } from '../../src/mime/index.js';
import { FileBlobStore } from '../../src/store/blob/files.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { MetadataStore } from '../../src/store/types.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { openCertificateRegistry, type CertificateRegistry } from '../../src/tls/index.js';
import { ImapWire } from '../support/imap-wire.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-imap-idle-'));
let store: MetadataStore;
let blobs: FileBlobStore;
let registry: CertificateRegistry;
let endpoint: ImapEndpoint;
let shortTimeout: ImapEndpoint;
let committer: MessageCommitter;
let inThread: Committer;
/** changedSince calls per mailbox id: how often sessions read what changed (instrumentation of the real store). */
const reads = new Map<number, number>();
let port: number;
const events = new MailboxEvents();
const logger = createMemoryLogger('debug');

const message = (n: number): Buffer =>
  Buffer.from(`From: Alice <alice@example.org>\r\nTo: bob@example.com\r\nSubject: Message ${n}\r\nMessage-ID: <m${n}@example.org>\r\n\r\nBody ${n}\r\n`);

let queueSeq = 0;
/** Delivers one message through the committer, as SMTP and LMTP do. */
async function deliver(user: string, n: number): Promise<number> {
  const account = (await store.directory.getAccount('example.com', user))!;
  const bytes = message(n);
  const r = await committer.commit({
    bytes,
    index: JSON.stringify(indexMessage(bytes)),
    request: { internalDate: Date.now(), messageId: null, queueId: `q${++queueSeq}`, local: [{ accountId: account.id, mailbox: 'INBOX', enforceQuota: false }] },
  });
  const out = r.local[0]!;
  assert.ok(out.ok);
  return out.uid;
}

before(async () => {
  store = await openSqliteStore({ path: join(dir, 'db.sqlite'), fsync: false });
  blobs = await FileBlobStore.open(join(dir, 'blobs'), { fsync: false });
  inThread = new Committer(blobs, store.deliveries, logger);
  committer = publishDeliveries(inThread, events);
  const messages = new Proxy(store.messages, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'changedSince' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
      return (mailboxId: number, modseq: number) => {
        reads.set(mailboxId, (reads.get(mailboxId) ?? 0) + 1);
        return target.changedSince(mailboxId, modseq);
      };
    },
  });
  const counted = new Proxy(store, { get: (target, prop) => (prop === 'messages' ? messages : (Reflect.get(target, prop) as unknown)) });
  const directory = new Directory(store.directory, { subaddressSeparator: '+', postmaster: '' });
  await directory.addDomain('example.com');
  for (const u of ['bob', 'carol', 'dave', 'erin', 'fred', 'gus']) await directory.addUser(`${u}@example.com`, `pw-${u}`);
  registry = await openCertificateRegistry(
    { certsDir: join(dir, 'le'), certificates: [], selfSignedDir: join(dir, 'ss'), hostname: 'mail.example.com' },
    logger,
    { watch: false },
  );
  const deps = { directory, store: counted, blobs, certificates: registry, logger, security: 'implicit' as const, events };
  endpoint = new ImapEndpoint(deps);
  await endpoint.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  port = endpoint.port();
  shortTimeout = new ImapEndpoint({ ...deps, timeouts: { postLoginMs: 800 } });
  await shortTimeout.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  for (const u of ['bob', 'carol', 'dave', 'erin']) await deliver(u, 1);
});

after(async () => {
  await endpoint.close(500);
  await shortTimeout.close(500);
  registry.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('IDLE', () => {
  it('a delivery through the committer, a STORE and an EXPUNGE in another session reach the idling session within 1 s', async () => {
    const a = await ImapWire.open(port, { user: 'bob' });
    const b = await ImapWire.open(port, { user: 'bob' });
    assert.match(await a.cmd('s', 'SELECT INBOX'), /^\* 1 EXISTS\r\n/m);
    await b.cmd('s', 'SELECT INBOX');
    a.write('i IDLE\r\n');
    await a.until(/^\+ idling\r\n/m);

    let at = a.mark();
    let t0 = Date.now();
    const uid = await deliver('bob', 2);
    await a.until(/^\* 2 EXISTS\r\n/m, 1000, at);
    assert.ok(Date.now() - t0 < 1000);

    assert.match(await b.cmd('n', 'NOOP'), /^\* 2 EXISTS\r\n/m);
    at = a.mark();
    t0 = Date.now();
    assert.match(await b.cmd('f', `UID STORE ${uid} +FLAGS (\\Flagged)`), /FLAGS \(\\Flagged\)/);
    // \Recent: this session claimed the new message (rev1, RFC 3501).
    await a.until(/^\* 2 FETCH \(FLAGS \(\\Flagged( \\Recent)?\)\)\r\n/m, 1000, at);
    assert.ok(Date.now() - t0 < 1000);

    at = a.mark();
    t0 = Date.now();
    await b.cmd('d', 'STORE 1 +FLAGS.SILENT (\\Deleted)');
    assert.match(await b.cmd('e', 'EXPUNGE'), /^\* 1 EXPUNGE\r\n/m);
    await a.until(/^\* 1 EXPUNGE\r\n/m, 1000, at);
    assert.ok(Date.now() - t0 < 1000);

    at = a.mark();
    a.write('DONE\r\n');
    const end = await a.until(/^i OK IDLE terminated\r\n/m, 2000, at);
    assert.doesNotMatch(end, /^\* /m);
    // Out of idle: commands work again, and the view is the one announced.
    assert.match(await a.cmd('n', 'FETCH 1 (UID FLAGS)'), new RegExp(`^\\* 1 FETCH \\(UID ${uid} FLAGS \\(\\\\Flagged( \\\\Recent)?\\)\\)`, 'm'));
    a.close();
    b.close();
  });

  it('a line other than DONE is answered BAD and ends IDLE', async () => {
    const a = await ImapWire.open(port, { user: 'carol' });
    await a.cmd('s', 'SELECT INBOX');
    a.write('i IDLE\r\n');
    await a.until(/^\+ idling\r\n/m);
    a.write('x NOOP\r\n');
    await a.until(/^i BAD .*\r\n/m);
    assert.match(await a.cmd('n', 'NOOP'), /^n OK/m);
    // IDLE without a selected mailbox is allowed (authenticated state) and ends with DONE.
    await a.cmd('u', 'UNSELECT');
    a.write('j IDLE\r\n');
    await a.until(/^\+ idling\r\n/m);
    a.write('done\r\n');
    await a.until(/^j OK IDLE terminated\r\n/m);
    a.close();
  });

  it('changes made elsewhere are announced at the end of other commands, EXPUNGE never during FETCH by sequence number', async () => {
    const a = await ImapWire.open(port, { user: 'dave' });
    const b = await ImapWire.open(port, { user: 'dave' });
    await a.cmd('s', 'SELECT INBOX');
    await b.cmd('s', 'SELECT INBOX');
    await deliver('dave', 2);
    await b.cmd('d', 'STORE 1 +FLAGS.SILENT (\\Deleted)');
    await b.cmd('e', 'EXPUNGE');
    await new Promise((r) => setTimeout(r, 50));
    const fetch = await a.cmd('f', 'FETCH 1 (UID)');
    // The new message is told at once (a rev1 session: with RECENT); the expunge waits, so message 1
    // keeps its number meanwhile (its data is gone: FETCH returns none for it).
    assert.doesNotMatch(fetch, /EXPUNGE/);
    assert.match(fetch, /^\* 2 EXISTS\r\n\* 1 RECENT\r\nf OK/m);
    const store = await a.cmd('g', 'STORE 2 +FLAGS.SILENT (\\Seen)');
    assert.doesNotMatch(store, /EXPUNGE/);
    const list = await a.cmd('l', 'LIST "" INBOX');
    // Before the tagged OK: the expunge of message 1 kept back, and nothing told twice.
    assert.match(list, /^\* LIST [^\r]*\r\n\* 1 EXPUNGE\r\nl OK/m);
    assert.doesNotMatch(list, /EXISTS/);
    a.close();
    b.close();
  });

  it('a burst of deliveries costs the idling session one read of the changes per commit batch, not one per message', async () => {
    const a = await ImapWire.open(port, { user: 'erin' });
    try {
      await a.cmd('s', 'SELECT INBOX');
      const inbox = (await store.mailboxes.getMailbox((await store.directory.getAccount('example.com', 'erin'))!.id, 'INBOX'))!;
      a.write('i IDLE\r\n');
      await a.until(/^\+ idling\r\n/m);
      const at = a.mark();
      const before = reads.get(inbox.id) ?? 0;
      const batches = inThread.batches;
      await Promise.all(Array.from({ length: 20 }, (_, i) => deliver('erin', 10 + i)));
      const got = await a.until(/^\* 21 EXISTS\r\n/m, 1000, at);
      await new Promise((r) => setTimeout(r, 100));
      const readsNow = (reads.get(inbox.id) ?? 0) - before;
      const batchesNow = inThread.batches - batches;
      assert.ok(readsNow <= batchesNow && readsNow < 20, `${readsNow} reads for ${batchesNow} commit batches of 20 messages`);
      assert.ok(got.match(/EXISTS/g)!.length <= batchesNow);
      a.write('DONE\r\n');
      await a.until(/^i OK/m);
    } finally {
      a.close();
    }
  });

  it('imapflow idle(): a delivery, a flag change and an expunge from another session arrive as exists, flags and expunge events within 1 s', async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'fred@example.com', pass: 'pw-fred' }, logger: false, disableAutoIdle: true });
    await client.connect();
    await client.mailboxOpen('INBOX');
    const exists = new Promise<{ count: number; at: number }>((resolve) => client.on('exists', (e: { count: number }) => resolve({ count: e.count, at: Date.now() })));
    const flags = new Promise<{ flags: Set<string>; at: number }>((resolve) => client.on('flags', (e: { flags: Set<string> }) => resolve({ flags: e.flags, at: Date.now() })));
    const expunged = new Promise<{ seq: number; at: number }>((resolve) => client.on('expunge', (e: { seq: number }) => resolve({ seq: e.seq, at: Date.now() })));
    const idling = client.idle();
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await deliver('fred', 1);
    const e = await exists;
    assert.equal(e.count, 1);
    assert.ok(e.at - t0 < 1000);
    const other = await ImapWire.open(port, { user: 'fred' });
    await other.cmd('s', 'SELECT INBOX');
    const t1 = Date.now();
    await other.cmd('f', 'STORE 1 +FLAGS (\\Answered)');
    const f = await flags;
    assert.ok(f.flags.has('\\Answered'));
    assert.ok(f.at - t1 < 1000);
    await other.cmd('d', 'STORE 1 +FLAGS.SILENT (\\Deleted)');
    const t2 = Date.now();
    await other.cmd('e', 'EXPUNGE');
    const x = await expunged;
    assert.equal(x.seq, 1);
    assert.ok(x.at - t2 < 1000);
    other.close();
    await client.noop();
    await idling;
    await client.logout();
  });

  it('the autologout timer keeps running during IDLE', async () => {
    const a = await ImapWire.open(shortTimeout.port(), { user: 'gus' });
    await a.cmd('s', 'SELECT INBOX');
    a.write('i IDLE\r\n');
    await a.until(/^\+ idling\r\n/m);
    await a.until(/^\* BYE Autologout/m, 3000);
    a.close();
  });

  it('sessions stop listening to the feed when they go away', async () => {
    const settled = async (n: number) => {
      const end = Date.now() + 2000;
      while (events.size !== n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      assert.equal(events.size, n);
    };
    await settled(0);
    const a = await ImapWire.open(port, { user: 'bob' });
    await a.cmd('s', 'SELECT INBOX');
    assert.equal(events.size, 1);
    await a.cmd('o', 'LOGOUT');
    await settled(0);
  });
});
