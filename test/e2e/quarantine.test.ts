/*
 * The quarantine through `petrel serve` and the CLI: a domain whose spam
 * is held gets GTUBE accepted (250) and stored in no mailbox; `petrel
 * quarantine list` and `show` give the reason, the sender and the header;
 * `release` has the running server deliver it to INBOX (once, the entry
 * gone); `delete` removes another; no bounce is ever queued.
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
  p = await PetrelProcess.create({ extraToml: '[[spam.domain]]\nname = "held.example"\nreject_score = 0\naction = "quarantine"\n' });
  await p.start();
  await p.addDomain('held.example');
  await p.addUser('dave@held.example', 'dave-pw');
});
after(() => p.destroy());

async function mailboxCounts(): Promise<Record<string, number>> {
  const client = new ImapFlow({ host: '127.0.0.1', port: p.ports.imaps, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'dave@held.example', pass: 'dave-pw' }, logger: false });
  await client.connect();
  try {
    const out: Record<string, number> = {};
    for (const name of ['INBOX', 'Junk']) out[name] = ((await client.status(name, { messages: true })) as { messages?: number }).messages ?? -1;
    return out;
  } finally {
    await client.logout();
  }
}

const sendSpam = (subject: string) =>
  swaks(['--server', '127.0.0.1', '--port', String(p.ports.mx), '--ehlo', 'client.example', '--from', 'forged@victim.example', '--to', 'dave@held.example', '--header', `Subject: ${subject}`, '--body', `hello\r\n${GTUBE}\r\n`]);

describe('quarantine', () => {
  it('holds spam for a domain that quarantines: accepted, in no mailbox, listed with its reason', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    assert.match((await sendSpam('first')).stdout, /<- {2}250 /);
    assert.match((await sendSpam('second')).stdout, /<- {2}250 /);
    await p.waitForLog(/quarantined.*dave@held\.example/);
    assert.deepEqual(await mailboxCounts(), { INBOX: 0, Junk: 0 });
    const list = await p.cli(['quarantine', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const entries = JSON.parse(list.stdout) as { id: number; sender: string; recipients: string[]; reason: string; subject: string }[];
    assert.equal(entries.length, 2);
    assert.deepEqual(entries.map((e) => e.subject), ['second', 'first']);
    assert.equal(entries[0]!.sender, 'forged@victim.example');
    assert.deepEqual(entries[0]!.recipients, ['dave@held.example']);
    assert.match(entries[0]!.reason, /spam/i);
    const text = await p.cli(['quarantine', 'list']);
    assert.match(text.stdout, /-- 2 messages held/);
    const show = await p.cli(['quarantine', 'show', String(entries[1]!.id)]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^reason: +.*spam/im);
    assert.match(show.stdout, /^Subject: first$/m);
    assert.match(show.stdout, /^X-Spam-Status: Yes/m);
    assert.doesNotMatch(show.stdout, /GTUBE-STANDARD/, 'the header only without --full');
    assert.match((await p.cli(['quarantine', 'show', String(entries[1]!.id), '--full'])).stdout, /GTUBE-STANDARD/);
  });

  it('release delivers to INBOX through the running server, once; delete removes; nothing is bounced', async () => {
    const entries = JSON.parse((await p.cli(['quarantine', 'list', '--json'])).stdout) as { id: number; subject: string }[];
    const first = entries.find((e) => e.subject === 'first')!;
    const second = entries.find((e) => e.subject === 'second')!;
    const released = await p.cli(['quarantine', 'release', String(first.id)]);
    assert.equal(released.code, 0, released.stderr);
    assert.match(released.stdout, /released \d+\nthe server delivers them now/);
    await p.waitForLog(/ released .*new_queue=/);
    assert.deepEqual(await mailboxCounts(), { INBOX: 1, Junk: 0 });
    const deleted = await p.cli(['quarantine', 'delete', String(second.id)]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal((await p.cli(['quarantine', 'delete', String(second.id)])).code, 1, 'gone');
    assert.equal((await p.cli(['quarantine', 'release', String(first.id)])).code, 1, 'released entries are gone');
    assert.deepEqual(JSON.parse((await p.cli(['quarantine', 'list', '--json'])).stdout), []);
    assert.match((await p.cli(['queue', 'list'])).stdout, /-- 0 messages in the queue/, 'no bounce to the forged sender');
    assert.deepEqual(await mailboxCounts(), { INBOX: 1, Junk: 0 });
  });
});
