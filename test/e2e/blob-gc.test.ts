/*
 * Message files nothing uses any more are removed by a real Petrel
 * ([storage] gc_interval, gc_grace): a message expunged over IMAP, and an
 * outbound message once its recipient took it; a message still in a
 * mailbox keeps its file, and reads back byte for byte afterwards.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { inboxSources, SENDER as USER, SENDER_PASSWORD as PASSWORD, startSender, submit, waitForStatus } from '../support/outbound.js';
import { freePort, type PetrelProcess } from '../support/petrel.js';
import { startScriptedSmtp, type ScriptedSmtp } from '../support/scripted-smtp.js';
import { requireTools } from '../support/tools.js';

/** Message files in the data directory (the 256 fan-out folders, not tmp). */
function files(p: PetrelProcess): string[] {
  const root = join(p.dataDir, 'blobs');
  return readdirSync(root).filter((d) => d !== 'tmp').flatMap((d) => readdirSync(join(root, d)));
}

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('not in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('message files nothing uses are removed', () => {
  let p: PetrelProcess;
  let peer: ScriptedSmtp;

  before(async () => {
    const port = await freePort();
    peer = await startScriptedSmtp({ host: '127.0.0.91', port });
    p = await startSender({
      storage: 'gc_interval = "200ms"\ngc_grace = "0s"',
      outbound: `port = ${port}`,
      extraToml: `[[outbound.route]]\ndomain = "remote.test"\nhost = "127.0.0.91"\nport = ${port}\n`,
    });
  });
  after(async () => {
    await p?.stop();
    await peer?.close();
  });

  it('an outbound message once delivered, a message once expunged; a message kept in a mailbox stays readable', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    await submit(p, { user: USER, password: PASSWORD, to: [USER], data: 'From: alice@example.com\r\nSubject: keep me\r\n\r\nstill here\r\n' });
    const doomed = await submit(p, { user: USER, password: PASSWORD, to: [USER], data: 'From: alice@example.com\r\nSubject: delete me\r\n\r\ngone soon\r\n' });
    await p.waitForLog(new RegExp(`queue=${doomed.queueId} delivered`));
    assert.equal(files(p).length, 2);
    const out = await submit(p, { user: USER, password: PASSWORD, to: ['far@remote.test'] });
    await waitForStatus(p, out.queueId, 'far@remote.test', 'sent');
    await until(() => files(p).length === 2);

    const client = new ImapFlow({ host: '127.0.0.1', port: p.ports.imaps, secure: true, tls: { rejectUnauthorized: false }, auth: { user: USER, pass: PASSWORD }, logger: false });
    await client.connect();
    const lock = await client.getMailboxLock('INBOX');
    await client.messageDelete({ header: { subject: 'delete me' } });
    lock.release();
    await client.logout();
    await until(() => files(p).length === 1);
    await p.waitForLog(/"unreferenced message files removed"/);
    const inbox = await inboxSources(p, USER, PASSWORD);
    assert.equal(inbox.length, 1);
    assert.match(inbox[0]!, /Subject: keep me\r\n\r\nstill here\r\n/);
  });
});
