/*
 * A real Postfix relaying into Petrel's MX from 127.0.0.2 (smtp_bind_address;
 * Petrel trusts only 127.0.0.1), with the sender's DNS served by a real BIND
 * on loopback: the test zones of src/filters/sender-auth/cases.test.ts plus
 * pfx.test, whose SPF names 127.0.0.2 (Postfix's own envelope domain).
 *   - a message DKIM-signed as dkim.test (p=reject), envelope from
 *     pfx.test: delivered with one Authentication-Results under Petrel's
 *     id, spf=pass smtp.mailfrom=pfx.test, dkim=pass header.d=dkim.test,
 *     dmarc=pass header.from=dkim.test, and none of the forged one;
 *   - an unsigned message From p-reject.test: Postfix is told 550 5.7.1
 *     after DATA, bounces it, and Petrel stores nothing.
 * Every connection is to or from loopback.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { bindZones, buildMessage } from '../../src/filters/sender-auth/cases.test.js';
import { startBind, type BindServer } from '../support/bind.js';
import { PetrelProcess } from '../support/petrel.js';
import { PostfixInstance, postfixUnavailable } from '../support/postfix.js';
import { hasTool, swaks } from '../support/tools.js';

const unavailable = postfixUnavailable() ?? (hasTool('named') ? undefined : 'named (bind9) is not installed: run scripts/install-test-deps.sh');
if (unavailable && process.env.PETREL_REQUIRE_INTEROP === '1') throw new Error(unavailable);

let bind: BindServer | undefined;
let petrel: PetrelProcess | undefined;
let postfix: PostfixInstance | undefined;

/** Each message in alice's INBOX: its stored bytes. */
function inbox(): string[] {
  const db = new Database(join(petrel!.dataDir, 'petrel.db'), { readonly: true });
  try {
    const rows = db.prepare(`SELECT m.blob_hash AS h FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id JOIN accounts a ON a.id = b.account_id WHERE a.local = 'alice' AND b.name = 'INBOX' ORDER BY m.uid`).all() as { h: string }[];
    return rows.map((r) => readFileSync(join(petrel!.dataDir, 'blobs', r.h.slice(0, 2), r.h), 'latin1'));
  } finally {
    db.close();
  }
}

before(async () => {
  if (unavailable) return;
  bind = await startBind({ ...bindZones(), 'pfx.test': 'pfx.test. 60 IN TXT "v=spf1 ip4:127.0.0.2 -all"\n' });
  petrel = await PetrelProcess.create({ smtp: 'trusted_networks = ["127.0.0.1/32"]\ngreeting_delay = 0', dns: `resolvers = ["${bind.address}"]\ntimeout = "2s"\ntries = 2` });
  await petrel.start();
  await petrel.addDomain('example.com');
  await petrel.addUser('alice@example.com', 'alice-pw');
  postfix = await PostfixInstance.create({
    main: {
      relayhost: `[127.0.0.1]:${petrel.ports.mx}`,
      // Postfix reaches Petrel from an address Petrel does not trust, as an MTA on the Internet would.
      smtp_bind_address: '127.0.0.2',
      smtp_tls_security_level: 'may',
    },
  });
  await postfix.start();
});

after(async () => {
  await Promise.allSettled([postfix?.destroy(), petrel?.destroy(), bind?.stop()]);
});

async function submit(from: string, message: Buffer): Promise<void> {
  const file = join(petrel!.dataDir, `submit-${Date.now()}.eml`);
  writeFileSync(file, message);
  const r = await swaks(['--server', `127.0.0.1:${postfix!.smtpPort}`, '--helo', 'client.postfix.test', '--from', from, '--to', 'alice@example.com', '--data', file]);
  assert.equal(r.code, 0, `Postfix refused the message:\n${r.stdout}${r.stderr}`);
}

describe('Authentication-Results on mail a real Postfix relays', { skip: unavailable }, () => {
  it('records spf, dkim and dmarc pass in one field of ours, the forged one gone', async () => {
    const signed = buildMessage({ from: ['ann@dkim.test'], subject: 'signed via postfix', signAs: 'dkim.test' });
    const forged = Buffer.concat([Buffer.from(`Authentication-Results: ${petrel!.hostname}; dmarc=pass header.from=bank.test\r\n`), signed]);
    await submit('bounce@pfx.test', forged);
    const sent = await postfix!.waitForLog(/to=<alice@example\.com>.*status=sent/);
    assert.match(sent, /250 2\.0\.0 Ok: queued as /);
    const stored = inbox().find((m) => m.includes('signed via postfix'));
    assert.ok(stored, 'alice has it');
    const header = stored.slice(0, stored.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
    const fields = header.split('\r\n').filter((l) => /^Authentication-Results:/i.test(l));
    assert.equal(fields.length, 1, fields.join('\n'));
    const ar = fields[0]!;
    assert.ok(ar.startsWith(`Authentication-Results: ${petrel!.hostname};`), ar);
    assert.match(ar, /spf=pass [^;]*smtp\.mailfrom=(?:bounce@)?pfx\.test;/);
    assert.match(ar, /dkim=pass [^;]*header\.d=dkim\.test/);
    assert.match(ar, /dmarc=pass [^;]*header\.from=dkim\.test/);
    assert.doesNotMatch(ar, /bank\.test/);
    assert.match(header, /^Received: from relay\.postfix\.test \(.*127\.0\.0\.2/m, 'Postfix came from 127.0.0.2');
  });

  it('refuses DMARC p=reject failures in the session: Postfix bounces, nothing is stored', async () => {
    const before = inbox().length;
    await submit('bounce@pfx.test', buildMessage({ from: ['ceo@p-reject.test'], subject: 'forged via postfix' }));
    const bounced = await postfix!.waitForLog(/to=<alice@example\.com>.*status=bounced/);
    assert.match(bounced, /550 5\.7\.1 .*DMARC/);
    assert.equal(inbox().length, before);
  });
});
