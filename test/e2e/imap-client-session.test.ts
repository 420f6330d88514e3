/*
 * A mail client's session as Thunderbird-class clients run it, with the
 * real client imapflow against `petrel serve` over implicit TLS: LIST with
 * special-use, SELECT with CONDSTORE (HIGHESTMODSEQ), FETCH of headers,
 * APPEND to Sent (APPENDUID), MOVE to Trash, then IDLE while a message
 * arrives through SMTP: the new message must be pushed within one second.
 *
 * Security: test only; 127.0.0.1; the server's own self-signed certificate.
 * Standards: RFC 9051, RFC 6154, RFC 7162, RFC 4315, RFC 6851, RFC 2177.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { PetrelProcess } from '../support/petrel.js';
import { message, RawSmtp } from '../support/smtp-client.js';

let p: PetrelProcess;

async function send(subject: string): Promise<void> {
  const c = await RawSmtp.open(p.ports.mx);
  const replies = await c.send({ from: 'friend@remote.test', to: ['dora@example.com'], message: message({ Subject: subject, From: 'Friend <friend@remote.test>' }, `About ${subject}.\r\n`) });
  c.close();
  assert.equal(replies.at(-1)!.code, 250);
}

function client(): ImapFlow {
  return new ImapFlow({ host: '127.0.0.1', port: p.ports.imaps, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'dora@example.com', pass: 'dora-pw' }, logger: false });
}

before(async () => {
  p = await PetrelProcess.create({ logLevel: 'info' });
  await p.start();
  await p.addDomain('example.com');
  await p.addUser('dora@example.com', 'dora-pw');
  await send('first');
  await send('second');
});
after(() => p.destroy());

describe('a Thunderbird-style session with imapflow', () => {
  it('lists, selects with CONDSTORE, fetches headers, appends to Sent, moves to Trash and idles', async () => {
    const c = client();
    await c.connect();
    try {
      const folders = await c.list();
      const byUse = new Map(folders.filter((f) => f.specialUse).map((f) => [f.specialUse, f.path]));
      assert.equal(byUse.get('\\Sent'), 'Sent');
      assert.equal(byUse.get('\\Trash'), 'Trash');
      assert.equal(byUse.get('\\Junk'), 'Junk');
      assert.equal(byUse.get('\\Drafts'), 'Drafts');

      const inbox = await c.mailboxOpen('INBOX');
      assert.equal(inbox.exists, 2);
      assert.ok(inbox.highestModseq && inbox.highestModseq > 0n, 'HIGHESTMODSEQ in SELECT');

      const subjects: string[] = [];
      for await (const m of c.fetch('1:*', { uid: true, flags: true, envelope: true, headers: ['subject', 'from'] })) subjects.push(m.envelope!.subject!);
      assert.deepEqual(subjects, ['first', 'second']);

      const sent = Buffer.from('From: dora@example.com\r\nTo: friend@remote.test\r\nSubject: my reply\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n\r\nThanks!\r\n');
      const appended = await c.append('Sent', sent, ['\\Seen'], new Date('2026-11-28T10:00:00Z'));
      assert.ok(appended && appended.uid, 'APPENDUID');

      const moved = await c.messageMove('1', 'Trash', { uid: true });
      assert.ok(moved && moved.uidMap && moved.uidMap.size === 1, 'COPYUID of the MOVE');
      const status = await c.status('Trash', { messages: true });
      assert.ok(status);
      assert.equal(status.messages, 1);

      // IDLE: a message delivered now is pushed to the idling client.
      const pushed = new Promise<number>((resolve) => c.on('exists', (e: { count: number }) => resolve(Date.now())));
      const idling = c.idle();
      await new Promise((r) => setTimeout(r, 200));
      const sentAt = Date.now();
      await send('third');
      const arrivedAt = await Promise.race([pushed, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no EXISTS pushed within 3 s')), 3000))]);
      assert.ok(arrivedAt - sentAt < 1000 + 500, `pushed ${arrivedAt - sentAt} ms after the SMTP transaction started`);
      void idling;
    } finally {
      await c.logout();
    }
  });
});
