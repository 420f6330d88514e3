/*
 * Durability: 250 is said only after the message is on disk; kill -9 at any
 * moment loses nothing acknowledged and leaves nothing partial visible.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { PetrelProcess } from '../support/petrel.js';
import { message, RawSmtp } from '../support/smtp-client.js';

function rows(p: PetrelProcess): { message_id: string; blob_hash: string; size: number }[] {
  const db = new Database(join(p.dataDir, 'petrel.db'), { readonly: true });
  try {
    return db.prepare('SELECT message_id, blob_hash, size FROM messages').all() as never;
  } finally {
    db.close();
  }
}

describe('kill -9 and durability', () => {
  let p: PetrelProcess;
  before(async () => {
    p = await PetrelProcess.create();
    await p.start();
    await p.addDomain('example.com');
    for (const u of ['a', 'b', 'c']) await p.addUser(`${u}@example.com`, 'pw');
  });
  after(() => p.destroy());

  it('a message cut off by kill -9 during DATA leaves nothing behind', async () => {
    const before = rows(p).length;
    const c = await RawSmtp.open(p.ports.mx);
    await c.reply();
    await c.command('EHLO client.test');
    await c.command('MAIL FROM:<x@remote.test>');
    await c.command('RCPT TO:<a@example.com>');
    assert.equal((await c.command('DATA')).code, 354);
    c.write(message({ Subject: 'half', 'Message-ID': '<half@test>' }, 'x'.repeat(200_000)));
    await new Promise((r) => setTimeout(r, 200));
    await p.stop('SIGKILL');
    c.close();
    await p.start();
    assert.equal(rows(p).length, before);
    assert.deepEqual(readdirSync(join(p.dataDir, 'blobs', 'tmp')), [], 'temporary files cleaned at start');
  });

  it('every message acknowledged before kill -9 is in its mailbox afterwards, complete', async () => {
    const acked: string[] = [];
    let stop = false;
    const sender = async (n: number) => {
      for (let i = 0; !stop; i++) {
        let c: RawSmtp | undefined;
        try {
          c = await RawSmtp.open(p.ports.mx);
          const id = `<k${n}.${i}@test>`;
          const body = `${n}/${i} `.repeat(2000);
          const replies = await c.send({ from: 'x@remote.test', to: [`${'abc'[n % 3]}@example.com`], message: message({ Subject: `m ${n} ${i}`, 'Message-ID': id }, body) });
          if (replies[0]?.code === 250) acked.push(id);
        } catch {
          return; // the server died under us: that message was not acknowledged
        } finally {
          c?.close();
        }
      }
    };
    const senders = [0, 1, 2, 3, 4].map(sender);
    while (acked.length < 40) await new Promise((r) => setTimeout(r, 5));
    await p.stop('SIGKILL');
    stop = true;
    await Promise.all(senders);
    await p.start();
    const stored = rows(p);
    const ids = new Set(stored.map((r) => r.message_id));
    for (const id of acked) assert.ok(ids.has(id), `acknowledged ${id} is stored`);
    for (const r of stored) {
      const path = join(p.dataDir, 'blobs', r.blob_hash.slice(0, 2), r.blob_hash);
      assert.ok(existsSync(path), `blob of ${r.message_id} exists`);
      const bytes = readFileSync(path);
      assert.equal(bytes.length, Number(r.size));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), r.blob_hash, `blob of ${r.message_id} is complete`);
    }
    assert.deepEqual(readdirSync(join(p.dataDir, 'blobs', 'tmp')), []);
  });

  it('after kill -9, message files whose commit never happened are removed at start; committed ones stay', async () => {
    await p.stop('SIGKILL');
    // What a crash between the file's rename and the transaction leaves: a complete, unreferenced file.
    const bytes = Buffer.from('Subject: never acknowledged\r\n\r\nx\r\n');
    const hash = createHash('sha256').update(bytes).digest('hex');
    const orphan = join(p.dataDir, 'blobs', hash.slice(0, 2), hash);
    writeFileSync(orphan, bytes);
    const kept = rows(p);
    await p.start();
    await p.waitForLog(/recovered from an unclean stop" .*orphan_files_removed=1/);
    assert.equal(existsSync(orphan), false);
    for (const r of kept) assert.ok(existsSync(join(p.dataDir, 'blobs', r.blob_hash.slice(0, 2), r.blob_hash)), 'referenced files stay');
  });

  it('a second server on the same data directory refuses to start', async () => {
    const second = new PetrelProcess(p.dataDir, p.configFile, p.ports, p.hostname);
    await assert.rejects(second.start(), /another Petrel \(pid \d+\) is using/);
  });

  it('SIGTERM answers idle clients 421, lets a transaction in flight finish, then exits 0', async () => {
    const c = await RawSmtp.open(p.ports.mx);
    await c.reply();
    await c.command('EHLO client.test');
    await c.command('MAIL FROM:<x@remote.test>');
    await c.command('RCPT TO:<b@example.com>');
    assert.equal((await c.command('DATA')).code, 354);
    c.write(message({ Subject: 'in flight', 'Message-ID': '<inflight@test>' }, 'body'));
    const idle = await RawSmtp.open(p.ports.mx);
    await idle.reply();
    const exited = p.stop('SIGTERM');
    const told = await idle.reply();
    assert.equal(told.code, 421, 'an idle client is told the service is closing');
    await new Promise((r) => setTimeout(r, 300));
    c.write('\r\n.\r\n');
    const reply = await c.reply();
    assert.equal(reply.code, 250, reply.text);
    assert.equal(await exited, 0);
    c.close();
    assert.ok(rows(p).some((r) => r.message_id === '<inflight@test>'));
    await p.start();
  });
});
