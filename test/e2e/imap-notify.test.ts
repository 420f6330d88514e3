/*
 * NOTIFY (RFC 5465) over real TLS sockets on 127.0.0.1 with a real SQLite
 * store, as raw transcripts: the checks of NOTIFY SET (BAD, BADEVENT);
 * STATUS for other mailboxes on a delivery through the committer and on
 * a COPY made by another session, sent while the client runs no command;
 * EXISTS with the MessageNew fetch attributes, FETCH FLAGS and EXPUNGE
 * for the selected mailbox without a command; SELECTED-DELAYED holding
 * expunges back; MailboxName and SubscriptionChange as LIST; SET STATUS;
 * filters (INBOXES, MAILBOXES, SUBTREE); METADATA changes; NOTIFY NONE.
 *
 * Security: test only; 127.0.0.1; a self-signed certificate in a temp dir.
 * Standards: RFC 5465, RFC 9051.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
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

const dir = mkdtempSync(join(tmpdir(), 'petrel-imap-notify-'));
let store: MetadataStore;
let registry: CertificateRegistry;
let endpoint: ImapEndpoint;
let committer: MessageCommitter;
let port: number;
const events = new MailboxEvents();
const logger = createMemoryLogger('debug');

let queueSeq = 0;
async function deliver(user: string, subject: string, body = 'Hello\r\n'): Promise<number> {
  const account = (await store.directory.getAccount('example.com', user))!;
  const bytes = Buffer.from(`From: x@example.org\r\nTo: ${user}@example.com\r\nSubject: ${subject}\r\n\r\n${body}`);
  const r = await committer.commit({
    bytes,
    index: JSON.stringify(indexMessage(bytes)),
    request: { internalDate: Date.now(), messageId: null, queueId: `n${++queueSeq}`, local: [{ accountId: account.id, mailbox: 'INBOX', enforceQuota: false }] },
  });
  assert.ok(r.local[0]!.ok);
  return (r.local[0] as { uid: number }).uid;
}

const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  store = await openSqliteStore({ path: join(dir, 'db.sqlite'), fsync: false });
  const blobs = await FileBlobStore.open(join(dir, 'blobs'), { fsync: false });
  committer = publishDeliveries(new Committer(blobs, store.deliveries, logger), events);
  const directory = new Directory(store.directory, { subaddressSeparator: '+', postmaster: '' });
  await directory.addDomain('example.com');
  for (const u of ['ann', 'ben', 'cat', 'dan', 'eve', 'fay']) await directory.addUser(`${u}@example.com`, `pw-${u}`);
  registry = await openCertificateRegistry(
    { certsDir: join(dir, 'le'), certificates: [], selfSignedDir: join(dir, 'ss'), hostname: 'mail.example.com' },
    logger,
    { watch: false },
  );
  endpoint = new ImapEndpoint({ directory, store, blobs, certificates: registry, logger, security: 'implicit', events });
  await endpoint.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  port = endpoint.port();
});

after(async () => {
  await endpoint.close(500);
  registry.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('NOTIFY SET checks', () => {
  it('forbidden combinations are BAD, unsupported events NO [BADEVENT], NONE is OK', async () => {
    const a = await ImapWire.open(port, { user: 'ann' });
    const cases: Array<[string, RegExp]> = [
      ['NOTIFY SET (selected (MessageNew))', /^t BAD .*MessageExpunge/m],
      ['NOTIFY SET (selected (FlagChange))', /^t BAD /m],
      ['NOTIFY SET (selected (MessageNew MessageExpunge MailboxName))', /^t BAD .*selected/m],
      ['NOTIFY SET (personal (MessageNew (UID) MessageExpunge))', /^t BAD .*SELECTED/m],
      ['NOTIFY SET (selected (MessageNew (BODY[]) MessageExpunge))', /^t BAD .*Seen/m],
      ['NOTIFY SET (selected (MessageNew MessageExpunge)) (selected-delayed (MessageNew MessageExpunge))', /^t BAD /m],
      ['NOTIFY SET (personal (MessageNew MessageExpunge AnnotationChange))', /^t NO \[BADEVENT \(MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange\)\]/m],
      ['NOTIFY SET (selected (MessageNew MessageExpunge AnnotationChange))', /^t NO \[BADEVENT /m],
      ['NOTIFY SET (personal (Whatever))', /^t BAD /m],
      ['NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) MessageExpunge FlagChange)) (personal (MailboxName))', /^t OK /m],
      ['NOTIFY NONE', /^t OK /m],
    ];
    for (const [line, want] of cases) assert.match(await a.cmd('t', line), want, line);
    assert.match(await a.cmd('c', 'CAPABILITY'), /^\* CAPABILITY .* NOTIFY/m);
    a.close();
  });
});

describe('NOTIFY events', () => {
  it('other mailboxes: STATUS on a delivery and on a COPY by another session, with no command running', async () => {
    const a = await ImapWire.open(port, { user: 'ben' });
    const b = await ImapWire.open(port, { user: 'ben' });
    assert.match(await a.cmd('n', 'NOTIFY SET (personal (MessageNew MessageExpunge))'), /^n OK/m);
    let at = a.mark();
    await deliver('ben', 'one');
    await a.until(/^\* STATUS "INBOX" \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1\)\r\n/m, 1000, at);
    at = a.mark();
    await b.cmd('s', 'SELECT INBOX');
    await b.cmd('c', 'COPY 1 Archive');
    await a.until(/^\* STATUS "Archive" \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1\)\r\n/m, 1000, at);
    // A flag change is not among the events asked for.
    at = a.mark();
    await b.cmd('f', 'STORE 1 +FLAGS (\\Seen)');
    await quiet(300);
    assert.equal(a.since(at), '');
    // NOTIFY NONE: nothing more.
    await a.cmd('x', 'NOTIFY NONE');
    at = a.mark();
    await deliver('ben', 'two');
    await quiet(300);
    assert.equal(a.since(at), '');
    a.close();
    b.close();
  });

  it('the selected mailbox: EXISTS with the MessageNew fetch attributes, FETCH FLAGS and EXPUNGE, all without a command', async () => {
    const a = await ImapWire.open(port, { user: 'cat' });
    const b = await ImapWire.open(port, { user: 'cat' });
    await a.cmd('s', 'SELECT INBOX');
    await b.cmd('s', 'SELECT INBOX');
    assert.match(await a.cmd('n', 'NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) MessageExpunge FlagChange))'), /^n OK/m);
    let at = a.mark();
    const uid = await deliver('cat', 'Pushed');
    const got = await a.until(/Subject: Pushed\r\n\r\n\)\r\n/m, 1000, at);
    assert.match(got, new RegExp(`^\\* 1 EXISTS\\r\\n(\\* 1 RECENT\\r\\n)?\\* 1 FETCH \\(UID ${uid} BODY\\[HEADER\\.FIELDS \\(SUBJECT\\)\\] \\{\\d+\\}\\r\\nSubject: Pushed\\r\\n\\r\\n\\)\\r\\n$`));
    at = a.mark();
    await b.cmd('n', 'NOOP');
    await b.cmd('f', 'STORE 1 +FLAGS (\\Flagged \\Deleted)');
    await a.until(/^\* 1 FETCH \(FLAGS \((?=[^)]*\\Deleted)(?=[^)]*\\Flagged)[^)]*\)\)\r\n/m, 1000, at);
    at = a.mark();
    await b.cmd('e', 'EXPUNGE');
    await a.until(/^\* 1 EXPUNGE\r\n/m, 1000, at);
    // Unseen by the client, the \Seen flag was left alone (PEEK).
    await deliver('cat', 'Again');
    await a.until(/Subject: Again/m, 1000, at);
    assert.match(await a.cmd('f', 'FETCH 1 (FLAGS)'), /^\* 1 FETCH \(FLAGS \((\\Recent)?\)\)/m);
    a.close();
    b.close();
  });

  it('SELECTED-DELAYED holds an expunge back until a command that allows it', async () => {
    const a = await ImapWire.open(port, { user: 'dan' });
    const b = await ImapWire.open(port, { user: 'dan' });
    await deliver('dan', 'x');
    await a.cmd('s', 'SELECT INBOX');
    await b.cmd('s', 'SELECT INBOX');
    await a.cmd('n', 'NOTIFY SET (selected-delayed (MessageNew MessageExpunge))');
    let at = a.mark();
    await b.cmd('d', 'STORE 1 +FLAGS.SILENT (\\Deleted)');
    await b.cmd('e', 'EXPUNGE');
    await quiet(300);
    assert.doesNotMatch(a.since(at), /EXPUNGE/);
    assert.doesNotMatch(await a.cmd('f', 'FETCH 1 (UID)'), /EXPUNGE/);
    assert.match(await a.cmd('o', 'NOOP'), /^\* 1 EXPUNGE\r\n/m);
    // New messages are not held back.
    at = a.mark();
    await deliver('dan', 'y');
    await a.until(/^\* 1 EXISTS\r\n/m, 1000, at);
    a.close();
    b.close();
  });

  it('MailboxName and SubscriptionChange as LIST responses; SET STATUS; INBOXES, MAILBOXES and SUBTREE filters', async () => {
    const a = await ImapWire.open(port, { user: 'eve' });
    const b = await ImapWire.open(port, { user: 'eve' });
    await deliver('eve', 'z');
    const set = await a.cmd('n', 'NOTIFY SET STATUS (inboxes (MessageNew MessageExpunge)) (mailboxes (Archive) (MessageNew MessageExpunge)) (subtree (Lists) (MessageNew MessageExpunge MailboxName SubscriptionChange)) (personal (MailboxName SubscriptionChange))');
    assert.match(set, /^\* STATUS "INBOX" \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1\)\r\n\* STATUS "Archive" \(MESSAGES 0 .*\)\r\nn OK/m);
    assert.doesNotMatch(set, /STATUS "Drafts"/);
    let at = a.mark();
    await b.cmd('c', 'CREATE Lists/dev');
    await a.until(/^\* LIST \(\\HasNoChildren\) "\/" "Lists\/dev"\r\n/m, 1000, at);
    at = a.mark();
    await b.cmd('r', 'RENAME Lists/dev Lists/ops');
    await a.until(/^\* LIST \(\\HasNoChildren\) "\/" "Lists\/ops" \("OLDNAME" \("Lists\/dev"\)\)\r\n/m, 1000, at);
    at = a.mark();
    await b.cmd('u', 'SUBSCRIBE Lists/ops');
    await a.until(/^\* LIST \(\\HasNoChildren \\Subscribed\) "\/" "Lists\/ops"\r\n/m, 1000, at);
    at = a.mark();
    await b.cmd('s', 'SELECT INBOX');
    await b.cmd('c1', 'COPY 1 Lists/ops');
    await b.cmd('c2', 'COPY 1 Drafts');
    await b.cmd('c3', 'COPY 1 Archive');
    await a.until(/^\* STATUS "Archive" \(MESSAGES 1 /m, 1000, at);
    const seen = a.since(at);
    assert.match(seen, /^\* STATUS "Lists\/ops" \(MESSAGES 1 /m);
    assert.doesNotMatch(seen, /STATUS "Drafts"/);
    at = a.mark();
    await b.cmd('x', 'UNSUBSCRIBE Lists/ops');
    await a.until(/^\* LIST \(\\HasNoChildren\) "\/" "Lists\/ops"\r\n/m, 1000, at);
    at = a.mark();
    await b.cmd('d', 'DELETE Lists/ops');
    await a.until(/^\* LIST \(\\NonExistent\) "\/" "Lists\/ops"\r\n/m, 1000, at);
    a.close();
    b.close();
  });

  it('MailboxMetadataChange and ServerMetadataChange: the entry names changed by another session', async () => {
    const a = await ImapWire.open(port, { user: 'ben' });
    const b = await ImapWire.open(port, { user: 'ben' });
    assert.match(await a.cmd('n', 'NOTIFY SET (inboxes (MailboxMetadataChange ServerMetadataChange))'), /^n OK/m);
    let at = a.mark();
    assert.match(await b.cmd('m', 'SETMETADATA INBOX (/private/comment "hello")'), /^m OK/m);
    await a.until(/^\* METADATA "INBOX" \/private\/comment\r\n/m, 1000, at);
    at = a.mark();
    assert.match(await b.cmd('m', 'SETMETADATA "" (/private/comment "server note")'), /^m OK/m);
    await a.until(/^\* METADATA "" \/private\/comment\r\n/m, 1000, at);
    // Archive is not covered by INBOXES.
    at = a.mark();
    await b.cmd('m', 'SETMETADATA Archive (/private/comment "x")');
    await quiet(300);
    assert.equal(a.since(at), '');
    a.close();
    b.close();
  });

  it('a client that lets notifications pile up gets [NOTIFICATIONOVERFLOW] and no more notifications', async () => {
    // A large message the client does not read keeps its FETCH running (output over the bound), so
    // notifications wait; another session then subscribes more names than MAX_NOTIFY_PENDING.
    await deliver('fay', 'big', `${'x'.repeat(998)}\r\n`.repeat(16_000));
    const b = await ImapWire.open(port, { user: 'fay' });
    // The reader of the 16 MB answer keeps only a tail: ImapWire would copy it all on every chunk.
    const sock = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    let tail = '';
    let wake: (() => void) | undefined;
    sock.on('data', (d: Buffer) => {
      tail = (tail + d.toString('latin1')).slice(-65_536);
      wake?.();
    });
    const until = async (re: RegExp, ms: number) => {
      const end = Date.now() + ms;
      while (!re.test(tail)) {
        if (Date.now() > end) throw new Error(`timeout waiting for ${re}; tail: ${tail.slice(-300)}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
    };
    await until(/^\* OK .*\r\n/m, 5000);
    sock.write('L LOGIN fay@example.com pw-fay\r\ns SELECT INBOX\r\nn NOTIFY SET (personal (SubscriptionChange))\r\n');
    await until(/^n OK/m, 5000);
    sock.pause();
    sock.write('f FETCH 1 (BODY.PEEK[])\r\n');
    await quiet(300);
    b.write(Array.from({ length: 510 }, (_, i) => `u${i} SUBSCRIBE n${i}\r\n`).join(''));
    await b.until(/^u509 OK/m, 20_000);
    tail = '';
    sock.resume();
    await until(/^f OK .*\r\n\* OK \[NOTIFICATIONOVERFLOW\] .*\r\n$/m, 20_000);
    // NOTIFY is off now.
    tail = '';
    await b.cmd('x', 'SUBSCRIBE another');
    await quiet(300);
    assert.equal(tail, '');
    sock.destroy();
    b.close();
  });

  it('notifications also reach a client in IDLE', async () => {
    const a = await ImapWire.open(port, { user: 'ann' });
    await a.cmd('n', 'NOTIFY SET (inboxes (MessageNew MessageExpunge))');
    a.write('i IDLE\r\n');
    await a.until(/^\+ idling\r\n/m);
    const at = a.mark();
    await deliver('ann', 'idle');
    await a.until(/^\* STATUS "INBOX" \(MESSAGES 1 /m, 1000, at);
    a.write('DONE\r\n');
    await a.until(/^i OK/m);
    a.close();
  });
});
