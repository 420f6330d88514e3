/*
 * MTA-STS in enforce mode end to end (RFC 8461): a real BIND serves the
 * `_mta-sts` TXT record and the policy host's address, a real HTTPS
 * server on 127.0.0.31:443 serves the policy with a certificate from a
 * test CA that Petrel is told to trust (NODE_EXTRA_CA_CERTS), and SMTP
 * peers on loopback play the MX hosts. A peer whose certificate does not
 * verify gets nothing: the message is deferred, never sent in plaintext
 * after the failed handshake; an MX host the policy does not list is not
 * used; a peer with a valid certificate for its name gets the message
 * over TLS. REQUIRETLS (RFC 8689) goes only over such a verified path to a
 * server that offers it, and "TLS-Required: No" waives the policies.
 * Needs root, for port 443.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBind, type BindServer } from '../support/bind.js';
import { createTestCa, issueCertificate, makeTempDir } from '../support/certs.js';
import { SENDER as USER, SENDER_PASSWORD as PASSWORD, startSender, submit, submitWithNodemailer, waitForStatus } from '../support/outbound.js';
import { freePort, type PetrelProcess } from '../support/petrel.js';
import { startScriptedSmtp, type ScriptedSmtp } from '../support/scripted-smtp.js';
import { hasTool, requireTools } from '../support/tools.js';

const POLICY_HOST = '127.0.0.31';

function rootOrSkip(t: { skip(m: string): void }): boolean {
  if (process.getuid?.() === 0) return true;
  const message = 'MTA-STS needs its policy on port 443: run as root (CI does)';
  if (process.env.PETREL_REQUIRE_INTEROP === '1') throw new Error(message);
  t.skip(message);
  return false;
}

describe('MTA-STS enforce end to end', () => {
  let bind: BindServer | undefined;
  let https: Server | undefined;
  let p: PetrelProcess;
  let cleanup: (() => Promise<void>) | undefined;
  const peers: Record<string, ScriptedSmtp> = {};
  const ready = () => hasTool('named') && hasTool('swaks') && process.getuid?.() === 0;

  before(async () => {
    if (!ready()) return;
    const port = await freePort();
    const ca = await createTestCa('Petrel MTA-STS Test CA');
    const rogue = await createTestCa('Someone Else');
    const tmp = await makeTempDir('petrel-mta-sts-');
    cleanup = tmp.cleanup;
    const caFile = join(tmp.dir, 'ca.pem');
    writeFileSync(caFile, ca.certPem);
    const policyCert = await issueCertificate(ca, ['mta-sts.sts.test', 'mta-sts.badcert.test', 'mta-sts.unlisted.test']);
    https = createServer({ key: policyCert.keyPem, cert: policyCert.chainPem }, (req, res) => {
      if (req.url !== '/.well-known/mta-sts.txt') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('version: STSv1\r\nmode: enforce\r\nmx: good.sts.test\r\nmx: *.badcert.sts.test\r\nmax_age: 86400\r\n');
    });
    await new Promise<void>((resolve, reject) => https!.once('error', reject).listen(443, POLICY_HOST, () => resolve()));
    const good = await issueCertificate(ca, ['good.sts.test']);
    const forged = await issueCertificate(rogue, ['mx.badcert.sts.test']);
    peers.good = await startScriptedSmtp({ host: '127.0.0.32', port, tls: { key: good.keyPem, cert: good.chainPem }, ehlo: ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'DSN', 'REQUIRETLS'] });
    peers.badcert = await startScriptedSmtp({ host: '127.0.0.33', port, tls: { key: forged.keyPem, cert: forged.chainPem } });
    peers.unlisted = await startScriptedSmtp({ host: '127.0.0.34', port });
    bind = await startBind({
      test: [
        'sts IN MX 10 good.sts.test.',
        'good.sts IN A 127.0.0.32',
        '_mta-sts.sts IN TXT "v=STSv1; id=20261202"',
        `mta-sts.sts IN A ${POLICY_HOST}`,
        'badcert IN MX 10 mx.badcert.sts.test.',
        'mx.badcert.sts IN A 127.0.0.33',
        '_mta-sts.badcert IN TXT "v=STSv1; id=20261202"',
        `mta-sts.badcert IN A ${POLICY_HOST}`,
        'nopolicy IN MX 10 good.sts.test.',
        'unlisted IN MX 10 mx.unlisted.test.',
        'mx.unlisted IN A 127.0.0.34',
        '_mta-sts.unlisted IN TXT "v=STSv1; id=1"',
        `mta-sts.unlisted IN A ${POLICY_HOST}`,
      ].join('\n'),
    });
    p = await startSender({
      outbound: `port = ${port}\nconnect_timeout = "2s"`,
      dns: `resolvers = ["${bind.address}"]\ntimeout = "1s"\ntries = 1`,
      env: { NODE_EXTRA_CA_CERTS: caFile },
    });
  });
  after(async () => {
    await p?.stop();
    await bind?.stop();
    await new Promise<void>((resolve) => (https ? https.close(() => resolve()) : resolve()));
    for (const peer of Object.values(peers)) await peer.close();
    await cleanup?.();
  });

  it('delivers over verified TLS to an MX the policy lists', async (t) => {
    if (!requireTools(t, 'named', 'swaks') || !rootOrSkip(t)) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['ann@sts.test'] });
    await waitForStatus(p, queueId, 'ann@sts.test', 'sent');
    const s = peers.good!.sessions.find((x) => x.lines.includes('RCPT TO:<ann@sts.test>'))!;
    assert.equal(s.tls, true);
    assert.equal(s.servername, 'good.sts.test', 'SNI is the MX host name');
    assert.match(p.log, /"MTA-STS policy fetched" domain=sts.test id=20261202 mode=enforce/);
    assert.match(p.log, new RegExp(`queue=${queueId} connected host=good.sts.test .*policy=mta-sts`));
  });

  it('defers, and sends nothing in plaintext, when the MX certificate does not verify', async (t) => {
    if (!requireTools(t, 'named', 'swaks') || !rootOrSkip(t)) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['bob@badcert.test'] });
    await waitForStatus(p, queueId, 'bob@badcert.test', 'deferred');
    assert.match(p.log, new RegExp(`deferred queue=${queueId} to=<bob@badcert.test> .*dsn=4.7.5 .*certificate not trusted`));
    const lines = peers.badcert!.sessions.flatMap((s) => s.lines);
    assert.ok(lines.includes('STARTTLS'));
    assert.ok(!lines.some((l) => l.startsWith('MAIL')), 'no plaintext fallback under enforce');
    assert.equal(peers.badcert!.sessions.length, 1, 'not tried again without TLS');
    // The operator's view (mailq, postqueue -i): the reply, the next attempt in 5 minutes, and a retry on demand.
    const shown = await p.cli(['queue', 'show', queueId]);
    assert.match(shown.stdout, /<bob@badcert\.test>  deferred  attempts 1  next attempt /);
    assert.match(shown.stdout, /certificate not trusted/);
    assert.match(shown.stdout, /attempts:\n  \S+  <bob@badcert\.test>  deferred/);
    const stats = await p.cli(['queue', 'stats', '--json']);
    assert.equal((JSON.parse(stats.stdout) as { recipients: { deferred: number } }).recipients.deferred, 1);
    const retry = await p.cli(['queue', 'retry', queueId]);
    assert.match(retry.stdout, /1 recipient due now; the server was told/);
    await p.waitForLog(new RegExp(`deferred queue=${queueId} to=<bob@badcert.test>[^\n]*\n(.*\n)*.*deferred queue=${queueId} to=<bob@badcert.test>`), 10_000);
    assert.equal(peers.badcert!.sessions.length, 2, 'tried again at once');
    assert.match((await p.cli(['queue', 'flush'])).stdout, /recipients? due now; the server was told/);
    assert.equal((await p.cli(['queue', 'delete', queueId])).code, 0);
  });

  it('does not use an MX host the policy does not list', async (t) => {
    if (!requireTools(t, 'named', 'swaks') || !rootOrSkip(t)) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['carl@unlisted.test'] });
    await waitForStatus(p, queueId, 'carl@unlisted.test', 'deferred');
    assert.match(p.log, new RegExp(`deferred queue=${queueId} to=<carl@unlisted.test> .*is not in the MTA-STS policy`));
    assert.equal(peers.unlisted!.sessions.length, 0);
    assert.equal((await p.cli(['queue', 'delete', queueId])).code, 0);
  });

  it('REQUIRETLS goes over the verified MTA-STS path to a server that offers REQUIRETLS, and passes the parameter on', async (t) => {
    if (!requireTools(t, 'named', 'swaks') || !rootOrSkip(t)) return;
    const queueId = await submitWithNodemailer(p, { user: USER, password: PASSWORD, to: ['rita@sts.test'], requireTls: true, data: 'From: alice@example.com\r\nTo: rita@sts.test\r\nSubject: secret\r\n\r\nonly over TLS\r\n' });
    await waitForStatus(p, queueId, 'rita@sts.test', 'sent');
    const s = peers.good!.sessions.find((x) => x.lines.includes('RCPT TO:<rita@sts.test>'))!;
    assert.ok(s.tls);
    assert.ok(s.lines.some((l) => /^MAIL FROM:<alice@example\.com>.* REQUIRETLS/.test(l)), 'REQUIRETLS passed on');
  });

  it('REQUIRETLS bounces with 5.7.30 where no verified path exists (a server without REQUIRETLS, a domain without MTA-STS or DANE)', async (t) => {
    if (!requireTools(t, 'named', 'swaks') || !rootOrSkip(t)) return;
    const noPolicy = await submitWithNodemailer(p, { user: USER, password: PASSWORD, to: ['sam@nopolicy.test'], requireTls: true, data: 'From: alice@example.com\r\nSubject: s\r\n\r\nx\r\n' });
    await waitForStatus(p, noPolicy, 'sam@nopolicy.test', 'bounced');
    assert.match(p.log, new RegExp(`bounced queue=${noPolicy} to=<sam@nopolicy.test> .*dsn=5.7.30`));
  });

  it('"TLS-Required: No" waives the policy: the message goes to the MX whose certificate does not verify', async (t) => {
    if (!requireTools(t, 'named', 'swaks') || !rootOrSkip(t)) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['tom@badcert.test'], data: 'From: alice@example.com\r\nTo: tom@badcert.test\r\nTLS-Required: No\r\nSubject: please deliver anyway\r\n\r\nx\r\n' });
    await waitForStatus(p, queueId, 'tom@badcert.test', 'sent');
    assert.ok(peers.badcert!.sessions.some((x) => x.lines.includes('RCPT TO:<tom@badcert.test>')));
  });

  it('keeps the policy in the store: the cache survives a restart', async (t) => {
    if (!requireTools(t, 'named', 'swaks') || !rootOrSkip(t)) return;
    await p.stop();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(p.dataDir, 'petrel.db'), { readonly: true });
    const rows = db.prepare('SELECT domain, policy_id, mode FROM mta_sts_policies ORDER BY domain').all();
    db.close();
    assert.deepEqual(rows, [
      { domain: 'badcert.test', policy_id: '20261202', mode: 'enforce' },
      { domain: 'sts.test', policy_id: '20261202', mode: 'enforce' },
      { domain: 'unlisted.test', policy_id: '1', mode: 'enforce' },
    ]);
    await p.start();
  });
});
