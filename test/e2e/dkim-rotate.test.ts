/*
 * DKIM key rotation end to end: a running Petrel signs outbound mail for
 * example.com, whose zone a real BIND serves on loopback (open to TSIG
 * updates); `petrel dkim rotate` makes a pending key and prints its
 * record; while the record is not published the check leaves it pending
 * and the old key goes on signing (the MX receives s=old, which verifies
 * against BIND); the record is published with BIND's own nsupdate;
 * `petrel dkim check` switches signing, and the very next message leaves
 * with s=new and verifies, while `dkim show` still lists the old record
 * (retiring: mail signed with it may still be in flight).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBind, type BindServer } from '../support/bind.js';
import { dkimZoneLines, SENDER as USER, SENDER_PASSWORD as PASSWORD, startSender, submit, useResolver, verifyDkim, waitForStatus } from '../support/outbound.js';
import { freePort, type PetrelProcess } from '../support/petrel.js';
import { startScriptedSmtp, type ScriptedSmtp } from '../support/scripted-smtp.js';
import { hasTool, requireTools, run } from '../support/tools.js';

const TSIG = { name: 'petrel-test', algorithm: 'hmac-sha256' as const, secret: Buffer.from('dkim rotation test secret, 32 b.').toString('base64') };

interface ShownRecord {
  name: string;
  selector: string;
  state: string;
  strings: string[];
}

describe('DKIM key rotation against BIND, with a running server signing', () => {
  let bind: BindServer | undefined;
  let p: PetrelProcess;
  let mx: ScriptedSmtp;
  let oldSelector = '';
  let newKey: ShownRecord | undefined;
  const ready = () => hasTool('named') && hasTool('swaks') && hasTool('nsupdate');

  before(async () => {
    if (!ready()) return;
    const port = await freePort();
    mx = await startScriptedSmtp({ host: '127.0.0.31', port });
    p = await startSender({
      outbound: `port = ${port}\nmin_backoff = "1s"\nmax_backoff = "2s"\nconnect_timeout = "2s"`,
      beforeStart: async (created) => {
        bind = await startBind(
          { 'rcpt.test': 'rcpt.test. IN MX 10 mx.rcpt.test.\nmx IN A 127.0.0.31', 'example.com': await dkimZoneLines(created) },
          { keys: [TSIG], updatePolicy: { 'example.com': `grant ${TSIG.name} zonesub TXT;` } },
        );
        useResolver(created, bind.address);
      },
    });
  });
  after(async () => {
    await p?.stop();
    await bind?.stop();
    await mx?.close();
  });

  const show = async () => JSON.parse((await p.cli(['dkim', 'show', 'example.com', '--json'])).stdout) as ShownRecord[];

  /** Sends one message out; returns the selector it was signed with, after checking the signature against BIND. */
  async function sendAndVerify(to: string): Promise<string> {
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: [to] });
    await waitForStatus(p, queueId, to, 'sent');
    // The pool may carry both messages on one connection: take the data section addressed to `to`.
    const raw = mx.sessions.flatMap((s) => s.data).find((d) => d.toString('latin1').includes(`To: ${to}\r\n`))!;
    const data = raw.toString('latin1').replace(/\r\n\.\r\n$/, '\r\n').replace(/\r\n\.\./g, '\r\n.');
    const results = await verifyDkim(data, bind!.address);
    assert.deepEqual(results.map((r) => r.status.result), ['pass'], 'one signature, and it verifies');
    return results[0]!.selector;
  }

  it('rotate makes a pending key and prints its record; not yet published, the check leaves it pending and the old key signs', async (t) => {
    if (!requireTools(t, 'named', 'swaks', 'nsupdate')) return;
    oldSelector = (await show())[0]!.selector;
    const r = await p.cli(['dkim', 'rotate', 'example.com']);
    assert.equal(r.code, 0, r.stderr);
    const month = new Date().toISOString().slice(0, 7).replace('-', '');
    assert.match(r.stdout, new RegExp(`^ {2}s${month}\\._domainkey\\.example\\.com\\. 3600 IN TXT \\( "v=DKIM1; k=rsa; p=`, 'm'));
    assert.match(r.stdout, /signing switches to s\d{6} once this record is visible/);
    assert.match(r.stdout, new RegExp(`until then ${oldSelector} signs`));
    const records = await show();
    assert.deepEqual(records.map((k) => [k.selector, k.state]), [[oldSelector, 'active'], [`s${month}`, 'pending']]);
    newKey = records[1];

    const again = await p.cli(['dkim', 'rotate', 'example.com']);
    assert.equal(again.code, 1, 'one rotation at a time');
    assert.match(again.stderr, /a rotation waiting for its record/);

    const check = await p.cli(['dkim', 'check', 'example.com']);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, new RegExp(`${newKey!.name}: still pending: no TXT record`));
    assert.equal(await sendAndVerify('first@rcpt.test'), oldSelector);
  });

  it('published with nsupdate, the check switches signing: the next message carries s=new and verifies; the old record stays listed while retiring', async (t) => {
    if (!requireTools(t, 'named', 'swaks', 'nsupdate') || !newKey) return;
    const script = `server 127.0.0.1 ${bind!.port}\nzone example.com\nupdate add ${newKey.name}. 60 TXT ${newKey.strings.map((s) => `"${s}"`).join(' ')}\nsend\n`;
    const update = await run('nsupdate', ['-y', `${TSIG.algorithm}:${TSIG.name}:${TSIG.secret}`], { input: script, timeoutMs: 15_000 });
    assert.equal(update.code, 0, update.stderr);

    const check = await p.cli(['dkim', 'check']);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, new RegExp(`${newKey.name}: the record is visible; ${newKey.selector} signs now; ${oldSelector} retiring: keep its record published for 7d`));
    assert.equal(await sendAndVerify('second@rcpt.test'), newKey.selector, 'the running server signs with the new key at once');

    assert.deepEqual((await show()).map((k) => [k.selector, k.state]), [[oldSelector, 'retiring'], [newKey.selector, 'active']]);
    const status = await p.cli(['dkim', 'status', 'example.com']);
    assert.match(status.stdout, new RegExp(`^${oldSelector} +rsa-sha256 +retiring .*keep the record published; retired after \\d{4}-`, 'm'));
    const plan = await p.cli(['dns', 'plan', 'example.com']);
    assert.match(plan.stdout, new RegExp(`^${oldSelector}\\._domainkey\\.example\\.com\\.`, 'm'), 'dns plan still publishes the retiring key');
    assert.match(plan.stdout, new RegExp(`^${newKey.selector}\\._domainkey\\.example\\.com\\.`, 'm'));
    assert.match((await p.cli(['dkim', 'check'])).stdout, /no DKIM key is waiting for its record/);
  });
});
