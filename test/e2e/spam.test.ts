/*
 * The built-in spam filter as `petrel serve` runs it on its defaults, over
 * real SMTP and IMAP: GTUBE is refused in the session (550 5.7.1) and
 * stored nowhere; a domain that never refuses gets it in the recipient's
 * Junk with X-Spam-Status: Yes; ordinary mail reaches INBOX marked No, and
 * an X-Spam-Status the sender wrote is not what the mailbox shows; a
 * message a user moves into Junk over IMAP is learned by the Bayes tables
 * (petrel spam status) without any command.
 *
 * Security: test only; 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { GTUBE } from '../../src/filters/spam/index.js';
import { PetrelProcess } from '../support/petrel.js';
import { requireTools, swaks } from '../support/tools.js';

let p: PetrelProcess;

before(async () => {
  p = await PetrelProcess.create({ extraToml: '[spam]\nlearn_interval = "1s"\n[[spam.domain]]\nname = "lenient.example"\nreject_score = 0\n' });
  await p.start();
  await p.addDomain('example.com');
  await p.addDomain('lenient.example');
  await p.addUser('alice@example.com', 'alice-pw');
  await p.addUser('carol@lenient.example', 'carol-pw');
});
after(() => p.destroy());

async function withImap<T>(user: string, pass: string, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({ host: '127.0.0.1', port: p.ports.imaps, secure: true, tls: { rejectUnauthorized: false }, auth: { user, pass }, logger: false });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.logout();
  }
}

/** Each message's header block in a mailbox. */
async function headers(user: string, pass: string, mailbox: string): Promise<string[]> {
  return withImap(user, pass, async (c) => {
    const lock = await c.getMailboxLock(mailbox);
    try {
      const out: string[] = [];
      if ((c.mailbox as { exists: number }).exists === 0) return out;
      for await (const m of c.fetch('1:*', { headers: true })) out.push(m.headers!.toString('latin1'));
      return out;
    } finally {
      lock.release();
    }
  });
}

const send = (to: string, extra: string[]) => swaks(['--server', '127.0.0.1', '--port', String(p.ports.mx), '--ehlo', 'client.example', '--from', 'someone@elsewhere.example', '--to', to, ...extra]);

describe('spam filter in petrel serve', () => {
  it('refuses GTUBE during the session and stores it nowhere', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    const r = await send('alice@example.com', ['--header', 'Subject: gtube', '--body', `test\r\n${GTUBE}\r\n`]);
    assert.match(r.stdout, /<\*\* 550 5\.7\.1 /);
    assert.deepEqual(await headers('alice@example.com', 'alice-pw', 'INBOX'), []);
  });

  it('delivers spam to Junk for a domain that never refuses, and ordinary mail to INBOX marked No', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    const spam = await send('carol@lenient.example', ['--header', 'Subject: gtube', '--body', `test\r\n${GTUBE}\r\n`]);
    assert.match(spam.stdout, /<- {2}250 /);
    const ham = await send('alice@example.com', ['--header', 'Subject: lunch', '--add-header', 'X-Spam-Status: No, score=-50.0', '--body', 'Shall we have lunch on Sunday?\r\n']);
    assert.match(ham.stdout, /<- {2}250 /);
    const junk = await headers('carol@lenient.example', 'carol-pw', 'Junk');
    assert.equal(junk.length, 1);
    assert.match(junk[0]!, /^X-Spam-Status: Yes, score=\d/m);
    assert.match(junk[0]!, /GTUBE/);
    assert.deepEqual(await headers('carol@lenient.example', 'carol-pw', 'INBOX'), []);
    const inbox = await headers('alice@example.com', 'alice-pw', 'INBOX');
    assert.equal(inbox.length, 1);
    assert.match(inbox[0]!, /^X-Spam-Status: No, score=/m);
    assert.match(inbox[0]!, /^X-Spam-Score: /m);
    assert.doesNotMatch(inbox[0]!, /score=-50\.0/, 'the sender\'s own X-Spam-Status was removed');
  });

  it('learns a message the user moves into Junk', async () => {
    const before = await p.cli(['spam', 'status']);
    assert.match(before.stdout, /global: 0 spam, 0 ham/);
    await withImap('alice@example.com', 'alice-pw', async (c) => {
      const lock = await c.getMailboxLock('INBOX');
      try {
        assert.ok(await c.messageMove('1:*', 'Junk'));
      } finally {
        lock.release();
      }
    });
    await p.waitForLog(/spam training.*learned=1/);
    const status = await p.cli(['spam', 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /global: 1 spam, 0 ham/);
  });
});
