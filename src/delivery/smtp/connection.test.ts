/*
 * The outbound SMTP connection over real sockets, against a scripted
 * server that records the exact bytes: per-recipient DSN parameters,
 * SMTPUTF8, PIPELINING, dot-stuffing and bare CR/LF (outbound SMTP
 * smuggling), commands with CR/LF refused, STARTTLS by policy (the
 * plaintext injected after 220 discarded, a verify hook that refuses),
 * every failure mapped to a per-recipient reply: 5xx, 4xx, 452 for some,
 * silence and a dropped connection after the final dot (temporary).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestCa, issueCertificate, type TestCertificate } from '../../../test/support/certs.js';
import { startScriptedSmtp, type ScriptedOptions, type ScriptedSmtp } from '../../../test/support/scripted-smtp.js';
import { needsSmtpUtf8, openConnection, statusOf, xtext, type ConnectOptions, type Transaction } from './connection.js';

const ENVELOPE = { ret: null, envid: null, smtpUtf8: false, requireTls: false, body: null };
const MESSAGE = Buffer.from('From: a@example.com\r\nTo: b@remote.test\r\nSubject: hi\r\n\r\nHello\r\n');

function tx(extra: Partial<Transaction> = {}): Transaction {
  return { from: 'a@example.com', recipients: [{ address: 'b@remote.test', notify: null, orcpt: null }], envelope: ENVELOPE, message: MESSAGE, ...extra };
}

function options(server: ScriptedSmtp, extra: Partial<ConnectOptions> = {}): ConnectOptions {
  return {
    host: 'mx.remote.test',
    address: server.host,
    port: server.port,
    heloName: 'mx.petrel.test',
    tls: { mode: 'opportunistic', servername: 'mx.remote.test' },
    timeouts: { connect: 2000, greeting: 2000, reply: 2000 },
    ...extra,
  };
}

async function withServer(opts: ScriptedOptions, fn: (s: ScriptedSmtp) => Promise<void>): Promise<void> {
  const server = await startScriptedSmtp(opts);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

async function connect(server: ScriptedSmtp, extra: Partial<ConnectOptions> = {}) {
  const r = await openConnection(options(server, extra));
  assert.ok(r.ok, `connected: ${JSON.stringify(r)}`);
  return r.connection;
}

describe('outbound SMTP connection', () => {
  let cert: TestCertificate;
  before(async () => {
    cert = await issueCertificate(await createTestCa(), ['mx.remote.test']);
  });

  it('sends EHLO with our name, pipelines the envelope, and reports the final reply per recipient', () =>
    withServer({}, async (server) => {
      const c = await connect(server);
      const r = await c.send(tx({ recipients: [{ address: 'b@remote.test', notify: null, orcpt: null }, { address: 'c@remote.test', notify: null, orcpt: null }] }));
      assert.deepEqual(r.recipients.map((x) => [x.address, x.ok, x.reply, x.statusCode]), [
        ['b@remote.test', true, '250 2.0.0 queued as SCRIPTED', '2.0.0'],
        ['c@remote.test', true, '250 2.0.0 queued as SCRIPTED', '2.0.0'],
      ]);
      c.close();
      const s = server.sessions[0]!;
      assert.equal(s.lines[0], 'EHLO mx.petrel.test');
      assert.deepEqual(s.lines.slice(1, 5), [`MAIL FROM:<a@example.com> SIZE=${MESSAGE.length}`, 'RCPT TO:<b@remote.test>', 'RCPT TO:<c@remote.test>', 'DATA']);
    }));

  it('passes NOTIFY and ORCPT per recipient, RET and ENVID per message, as xtext, when the server offers DSN', () =>
    withServer({}, async (server) => {
      const c = await connect(server);
      await c.send(tx({
        envelope: { ...ENVELOPE, ret: 'HDRS', envid: 'id+1 = x' },
        recipients: [
          { address: 'b@remote.test', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;list+tag@example.com' },
          { address: 'c@remote.test', notify: ['NEVER'], orcpt: null },
          { address: 'd@remote.test', notify: null, orcpt: 'utf-8;usér@example.com' },
        ],
      }));
      c.close();
      const lines = server.sessions[0]!.lines;
      assert.equal(lines[1], `MAIL FROM:<a@example.com> SIZE=${MESSAGE.length} RET=HDRS ENVID=id+2B1+20+3D+20x`);
      assert.equal(lines[2], 'RCPT TO:<b@remote.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;list+2Btag@example.com');
      assert.equal(lines[3], 'RCPT TO:<c@remote.test> NOTIFY=NEVER');
      assert.equal(lines[4], 'RCPT TO:<d@remote.test>', 'a non-ASCII ORCPT is left out rather than mangled');
    }));

  it('sends no DSN parameters to a server without DSN, and says so', () =>
    withServer({ ehlo: ['PIPELINING', '8BITMIME'] }, async (server) => {
      const c = await connect(server);
      const r = await c.send(tx({ envelope: { ...ENVELOPE, ret: 'FULL', envid: 'x', body: '8bitmime' }, recipients: [{ address: 'b@remote.test', notify: ['SUCCESS'], orcpt: 'rfc822;b@remote.test' }] }));
      c.close();
      assert.equal(r.dsnPassed, false);
      assert.deepEqual(server.sessions[0]!.lines.slice(1, 3), ['MAIL FROM:<a@example.com> BODY=8BITMIME', 'RCPT TO:<b@remote.test>']);
    }));

  it('adds SMTPUTF8 for a message submitted with it when the server offers it', () =>
    withServer({}, async (server) => {
      const c = await connect(server);
      await c.send(tx({ envelope: { ...ENVELOPE, smtpUtf8: true } }));
      await c.send(tx({ from: 'usér@example.com' }));
      c.close();
      const mails = server.sessions[0]!.lines.filter((l) => l.startsWith('MAIL'));
      assert.deepEqual(mails, [`MAIL FROM:<a@example.com> SIZE=${MESSAGE.length} SMTPUTF8`, `MAIL FROM:<usér@example.com> SMTPUTF8 SIZE=${MESSAGE.length}`]);
      assert.equal(needsSmtpUtf8('a@example.com', ['b@x.test'], ENVELOPE, MESSAGE), false);
      assert.equal(needsSmtpUtf8('a@example.com', ['bé@x.test'], ENVELOPE, MESSAGE), true);
      assert.equal(needsSmtpUtf8('a@example.com', ['b@x.test'], { ...ENVELOPE, smtpUtf8: true }, Buffer.from('Subject: café\r\n\r\nx')), true);
      assert.equal(needsSmtpUtf8('a@example.com', ['b@x.test'], { ...ENVELOPE, smtpUtf8: true }, Buffer.from('Subject: cafe\r\n\r\ncafé')), false);
    }));

  it('dot-stuffs every line and turns bare CR and bare LF into CRLF, so "\\r.\\r" cannot end the data early (SMTP smuggling)', () =>
    withServer({}, async (server) => {
      const c = await connect(server);
      const body = Buffer.from('Subject: s\r\n\r\n.first\r\nx\r.\rMAIL FROM:<evil@x>\r\ny\n.\nz\r\n..two\r\n');
      await c.send(tx({ message: body }));
      c.close();
      const data = server.sessions[0]!.data[0]!.toString('latin1');
      assert.equal(data, 'Subject: s\r\n\r\n..first\r\nx\r\n..\r\nMAIL FROM:<evil@x>\r\ny\r\n..\r\nz\r\n...two\r\n.\r\n');
      assert.equal(data.indexOf('\r\n.\r\n'), data.length - 5, 'the only end of data is the last one');
      assert.doesNotMatch(data.replace(/\r\n/g, ''), /[\r\n]/, 'no bare CR or LF');
    }));

  it('never writes a command that carries CR or LF: the recipient fails permanently and nothing is sent', () =>
    withServer({}, async (server) => {
      const c = await connect(server);
      const r = await c.send(tx({ recipients: [{ address: 'b@remote.test', notify: null, orcpt: null }], envelope: { ...ENVELOPE }, from: 'a@example.com' }));
      assert.equal(r.recipients[0]!.ok, true);
      const evil = await c.send(tx({ recipients: [{ address: 'b@remote.test\r\nRSET', notify: null, orcpt: null }] }));
      assert.equal(evil.recipients[0]!.ok, false);
      assert.equal(evil.recipients[0]!.temporary, false);
      assert.ok(!server.sessions[0]!.lines.some((l) => l === 'RSET'), 'the injected command never reached the server');
    }));

  it('maps replies per recipient: 5xx and 452 at RCPT, a 4xx and a 5xx after the dot, a refused sender', async () => {
    await withServer({ handler: (l) => (/^RCPT TO:<full@/.test(l) ? '452 4.2.2 mailbox full' : /^RCPT TO:<gone@/.test(l) ? '550 5.1.1 no such user' : undefined) }, async (server) => {
      const c = await connect(server);
      const r = await c.send(tx({ recipients: ['b', 'full', 'gone'].map((l) => ({ address: `${l}@remote.test`, notify: null, orcpt: null })) }));
      c.close();
      assert.deepEqual(r.recipients.map((x) => [x.address, x.ok, x.temporary, x.statusCode]), [
        ['b@remote.test', true, false, '2.0.0'],
        ['full@remote.test', false, true, '4.2.2'],
        ['gone@remote.test', false, false, '5.1.1'],
      ]);
    });
    for (const [after, temporary, code] of [['451 4.3.0 try later', true, '4.3.0'], ['554 5.7.1 spam', false, '5.7.1']] as const) {
      await withServer({ afterData: () => after }, async (server) => {
        const c = await connect(server);
        const r = await c.send(tx());
        assert.deepEqual([r.recipients[0]!.ok, r.recipients[0]!.temporary, r.recipients[0]!.statusCode, r.recipients[0]!.reply], [false, temporary, code, after]);
        assert.ok(await c.reset(), 'the session is still usable after a refused message');
        const again = await c.send(tx());
        assert.equal(again.recipients[0]!.reply, after);
        c.close();
      });
    }
    await withServer({ handler: (l) => (l.startsWith('MAIL') ? '550 5.7.1 sender refused' : undefined) }, async (server) => {
      const c = await connect(server);
      const r = await c.send(tx({ recipients: [{ address: 'b@remote.test', notify: null, orcpt: null }, { address: 'c@remote.test', notify: null, orcpt: null }] }));
      c.close();
      assert.deepEqual(r.recipients.map((x) => [x.ok, x.temporary, x.statusCode]), [[false, false, '5.7.1'], [false, false, '5.7.1']]);
    });
  });

  it('a server silent after the final dot, or one that drops the connection there, is temporary for every recipient', async () => {
    for (const behaviour of ['silent', 'drop'] as const) {
      await withServer({ afterData: () => behaviour }, async (server) => {
        const c = await openConnection(options(server, { timeouts: { connect: 2000, greeting: 2000, reply: 500 } }));
        assert.ok(c.ok);
        const r = await c.connection.send(tx());
        assert.equal(r.recipients[0]!.ok, false);
        assert.equal(r.recipients[0]!.temporary, true, behaviour);
        assert.equal(r.recipients[0]!.statusCode, '4.4.2');
        assert.equal(c.connection.usable, false);
        c.connection.close();
      });
    }
  });

  it('connection failures: refused, no greeting, a 554 greeting (skipped like an unreachable host)', async () => {
    const closed = await startScriptedSmtp({});
    const port = closed.port;
    await closed.close();
    const refused = await openConnection({ ...options(closed), port });
    assert.ok(!refused.ok && refused.stage === 'connect' && refused.temporary && refused.statusCode === '4.4.1', JSON.stringify(refused));
    await withServer({ greeting: 'silent' }, async (server) => {
      const started = Date.now();
      const r = await openConnection(options(server, { timeouts: { connect: 2000, greeting: 300, reply: 2000 } }));
      assert.ok(!r.ok && r.stage === 'greeting' && r.temporary, JSON.stringify(r));
      assert.ok(Date.now() - started < 2000);
    });
    await withServer({ greeting: '554 5.7.1 go away' }, async (server) => {
      const r = await openConnection(options(server));
      assert.ok(!r.ok && r.stage === 'greeting' && r.temporary && r.reply === '554 5.7.1 go away' && r.statusCode === '4.7.1', JSON.stringify(r));
    });
  });

  it('opportunistic TLS: STARTTLS with SNI when offered, plaintext bytes injected after the 220 discarded', () =>
    withServer({ tls: { key: cert.keyPem, cert: cert.chainPem }, afterStarttls: '250-INJECTED\r\n250 INJECTED' }, async (server) => {
      const c = await connect(server);
      assert.equal(c.secure, true);
      assert.ok(!c.extensions.has('INJECTED'));
      const r = await c.send(tx());
      c.close();
      assert.equal(r.recipients[0]!.ok, true);
      const s = server.sessions[0]!;
      assert.equal(s.tls, true);
      assert.equal(s.servername, 'mx.remote.test');
      assert.deepEqual(s.lines.slice(0, 3), ['EHLO mx.petrel.test', 'STARTTLS', 'EHLO mx.petrel.test']);
    }));

  it('required TLS: a server without STARTTLS, and a session the verify hook refuses, fail before any MAIL', async () => {
    await withServer({}, async (server) => {
      const r = await openConnection(options(server, { tls: { mode: 'required', servername: 'mx.remote.test' } }));
      assert.ok(!r.ok && r.tlsFailed && r.temporary && r.statusCode === '4.7.5', JSON.stringify(r));
      assert.ok(!server.sessions[0]!.lines.some((l) => l.startsWith('MAIL')));
    });
    await withServer({ tls: { key: cert.keyPem, cert: cert.chainPem } }, async (server) => {
      let checked = '';
      const r = await openConnection(options(server, { tls: { mode: 'required', servername: 'mx.remote.test', verify: (socket) => ((checked = socket.getPeerX509Certificate()?.subjectAltName ?? ''), 'certificate not trusted') } }));
      assert.ok(!r.ok && r.tlsFailed && r.stage === 'tls' && r.reply === 'certificate not trusted', JSON.stringify(r));
      assert.match(checked, /mx\.remote\.test/);
      assert.deepEqual(server.sessions[0]!.lines, ['EHLO mx.petrel.test', 'STARTTLS'], 'nothing was sent over the refused session');
    });
    await withServer({ tls: { key: cert.keyPem, cert: cert.chainPem } }, async (server) => {
      const c = await connect(server, { tls: { mode: 'required', servername: 'mx.remote.test', verify: () => undefined } });
      assert.equal(c.secure, true);
      assert.match(c.tlsDescription ?? '', /^TLSv1\.[23] /);
      c.close();
    });
  });

  it('REQUIRETLS is refused before MAIL when the server does not offer it', () =>
    withServer({ tls: { key: cert.keyPem, cert: cert.chainPem } }, async (server) => {
      const c = await connect(server);
      const r = await c.send(tx({ envelope: { ...ENVELOPE, requireTls: true } }));
      c.close();
      assert.deepEqual([r.recipients[0]!.ok, r.recipients[0]!.temporary, r.recipients[0]!.statusCode], [false, false, '5.7.30']);
      assert.ok(!server.sessions[0]!.lines.some((l) => l.startsWith('MAIL')));
    }));

  it('refuses a message larger than the server\'s SIZE before sending it (5.3.4)', () =>
    withServer({ ehlo: ['SIZE 10', 'PIPELINING'] }, async (server) => {
      const c = await connect(server);
      const r = await c.send(tx());
      c.close();
      assert.deepEqual([r.recipients[0]!.ok, r.recipients[0]!.temporary, r.recipients[0]!.statusCode], [false, false, '5.3.4']);
    }));

  it('xtext and status codes', () => {
    assert.equal(xtext('a+b=c d\u00e9'), 'a+2Bb+3Dc+20d+C3+A9');
    assert.equal(statusOf('550 5.1.1 <x>: no', '5.0.0'), '5.1.1');
    assert.equal(statusOf('451 try later', '4.0.0'), '4.0.0');
    assert.equal(statusOf('garbage', '4.4.2'), '4.4.2');
  });
});

after(() => {});
