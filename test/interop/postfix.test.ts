/*
 * A real Postfix in front of Petrel, the two ways operators deploy them:
 *
 *   relay   Postfix relays example.com to Petrel's MX (relayhost
 *           [127.0.0.1]:<mx>, opportunistic STARTTLS). Petrel accepts
 *           alice, refuses an unknown recipient at RCPT with 550 5.1.1,
 *           Postfix bounces that one recipient and its DSN comes back
 *           through Petrel into the sender's mailbox.
 *   lmtp    Postfix hosts example.net as a virtual mailbox domain whose
 *           virtual_transport is Petrel's LMTP, as with Dovecot. One
 *           message to two recipients gets one outcome each: delivered
 *           for alice, 452 4.2.2 (over quota, known at RCPT: deferred) or
 *           552 5.2.2 (at DATA: bounced) for the full mailbox.
 *
 * One Petrel and one private Postfix (test/support/postfix.ts) for the
 * file, stopped in `after` even when a test fails. Mail is injected into
 * Postfix's smtpd with swaks; delivery is checked in Petrel's database
 * (rows in `messages`) and in both logs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { PetrelProcess } from '../support/petrel.js';
import { PostfixInstance, postfixUnavailable } from '../support/postfix.js';
import { swaks } from '../support/tools.js';

const unavailable = postfixUnavailable();
if (unavailable && process.env.PETREL_REQUIRE_INTEROP === '1') throw new Error(unavailable);

let petrel: PetrelProcess | undefined;
let postfix: PostfixInstance | undefined;

function inbox(address: string): { uid: number; message_id: string | null; size: number }[] {
  const [local, domain] = address.split('@');
  const db = new Database(join(petrel!.dataDir, 'petrel.db'), { readonly: true });
  try {
    return db
      .prepare(
        `SELECT m.uid, m.message_id, m.size FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id JOIN accounts a ON a.id = b.account_id
         JOIN domains d ON d.id = a.domain_id WHERE a.local = ? AND d.ascii = ? AND b.name = 'INBOX' ORDER BY m.uid`,
      )
      .all(local, domain) as { uid: number; message_id: string | null; size: number }[];
  } finally {
    db.close();
  }
}

function usedBytes(address: string): number {
  const [local, domain] = address.split('@');
  const db = new Database(join(petrel!.dataDir, 'petrel.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT a.used_bytes AS used FROM accounts a JOIN domains d ON d.id = a.domain_id WHERE a.local = ? AND d.ascii = ?').get(local, domain) as { used: number };
    return row.used;
  } finally {
    db.close();
  }
}

/** Polls until fn returns true. */
async function eventually(what: string, fn: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}\n--- Postfix log ---\n${postfix?.log().slice(-3000)}\n--- Petrel log ---\n${petrel?.log.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Hands a message to Postfix's smtpd. Header names as swaks spells them (Message-Id) replace its own. */
async function submitToPostfix(from: string, to: string[], headers: Record<string, string>, body: string): Promise<void> {
  const r = await swaks([
    '--server', `127.0.0.1:${postfix!.smtpPort}`,
    '--helo', 'client.postfix.test',
    '--from', from,
    '--to', to.join(','),
    ...Object.entries(headers).flatMap(([k, v]) => ['--header', `${k}: ${v}`]),
    '--body', body,
  ]);
  assert.equal(r.code, 0, `Postfix refused the message:\n${r.stdout}${r.stderr}`);
}

before(async () => {
  if (unavailable) return;
  petrel = await PetrelProcess.create();
  await petrel.start();
  await petrel.addDomain('example.com');
  await petrel.addDomain('example.net');
  await petrel.addUser('alice@example.com', 'alice-pw');
  await petrel.addUser('bob@example.com', 'bob-pw');
  await petrel.addUser('alice@example.net', 'alice-pw');
  await petrel.addUser('full@example.net', 'full-pw', '1K');

  postfix = await PostfixInstance.create({
    main: {
      // Everything not hosted here goes to Petrel's MX...
      relayhost: `[127.0.0.1]:${petrel.ports.mx}`,
      smtp_tls_security_level: 'may',
      smtp_tls_loglevel: '1',
      // ...except example.net, delivered to Petrel's LMTP as Dovecot's would be.
      virtual_mailbox_domains: 'example.net',
      virtual_mailbox_maps: 'static:petrel',
      virtual_transport: `lmtp:inet:127.0.0.1:${petrel.ports.lmtp}`,
    },
  });
  await postfix.start();
});

after(async () => {
  // Each stop runs even if the other fails.
  await Promise.allSettled([postfix?.destroy(), petrel?.destroy()]);
});

describe('Postfix relaying into the MX', { skip: unavailable }, () => {
  it('delivers to a hosted user, bounces an unknown one on Petrel\'s 550 5.1.1 at RCPT, and the DSN reaches the sender', async () => {
    const bobBefore = inbox('bob@example.com').length;
    await submitToPostfix('bob@example.com', ['alice@example.com', 'nobody@example.com'], { Subject: 'via postfix', 'Message-Id': '<relay-1@postfix.test>' }, 'Relayed by a real Postfix.');

    const sent = await postfix!.waitForLog(/to=<alice@example\.com>.*status=sent/);
    assert.match(sent, new RegExp(`relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${petrel!.ports.mx}`));
    assert.match(sent, /250 2\.0\.0 Ok: queued as /);
    const bounced = await postfix!.waitForLog(/to=<nobody@example\.com>.*status=bounced/);
    assert.match(bounced, /550 5\.1\.1 .*nobody@example\.com.*User unknown.*in reply to RCPT TO command/);
    // Postfix offered STARTTLS to Petrel's MX and used it.
    assert.match(postfix!.log(), /TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]/);

    await eventually('alice has the relayed message', () => inbox('alice@example.com').some((m) => m.message_id === '<relay-1@postfix.test>'));
    assert.match(petrel!.log, /to=<alice@example\.com>.*status=delivered/);
    assert.match(petrel!.log, /"reject RCPT" .*to=<nobody@example\.com> reply="550 5\.1\.1/);

    // The bounce travels Postfix -> Petrel's MX -> bob's INBOX.
    await eventually('the DSN for nobody@ reaches bob', () => inbox('bob@example.com').length > bobBefore);
    await postfix!.waitForQueueEmpty();
  });
});

describe('Postfix delivering through LMTP (virtual_transport)', { skip: unavailable }, () => {
  it('gets one outcome per recipient: delivered, and over quota for the full mailbox', async () => {
    // Fill full@example.net (quota 1K) straight through Petrel's LMTP.
    const fill = await swaks(['--server', `127.0.0.1:${petrel!.ports.lmtp}`, '--protocol', 'LMTP', '--from', 'filler@remote.test', '--to', 'full@example.net', '--body', 'x'.repeat(500)]);
    assert.equal(fill.code, 0, fill.stdout);
    assert.ok(usedBytes('full@example.net') > 500, 'the filler message is stored');
    const fullBefore = inbox('full@example.net').length;

    await submitToPostfix('bob@example.com', ['alice@example.net', 'full@example.net'], { Subject: 'via lmtp', 'Message-Id': '<lmtp-1@postfix.test>' }, `${'y'.repeat(70)}\n`.repeat(30));

    const delivered = await postfix!.waitForLog(/to=<alice@example\.net>.*relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+.*status=sent/);
    assert.match(delivered, /250 2\.0\.0 Ok: delivered as /);
    const refused = await postfix!.waitForLog(/to=<full@example\.net>.*status=(deferred|bounced)/);
    assert.match(refused, /status=deferred .*452 4\.2\.2|status=bounced .*552 5\.2\.2/);

    await eventually('alice@example.net has the message', () => inbox('alice@example.net').some((m) => m.message_id === '<lmtp-1@postfix.test>'));
    assert.equal(inbox('full@example.net').length, fullBefore, 'nothing more lands in the full mailbox');
    assert.match(petrel!.log, /smtp\[lmtp\].*to=<alice@example\.net>.*status=delivered/);
  });
});
