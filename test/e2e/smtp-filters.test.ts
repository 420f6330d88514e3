/*
 * The filter pipeline inside real SMTP and LMTP sessions, driven by swaks
 * and read back over IMAP: filters (written here, real Filter
 * implementations reacting to the message) reject at MAIL, RCPT and after
 * DATA with their own reply and nothing stored; a junk verdict delivers to
 * the recipient's Junk folder; the filters' header fields land under our
 * Received; a forged Authentication-Results under our authserv-id and an
 * X-Spam-Status sent by the client never reach the mailbox; LMTP answers a
 * per-recipient refusal for that recipient only; a filter that throws
 * gives 451 and stores nothing; every filter's close runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.js';
import { SmtpEndpoint } from '../../src/endpoints/smtp/endpoint.js';
import { FilterPipeline } from '../../src/filters/pipeline.js';
import { CONTINUE, reject, type Filter, type StageResult } from '../../src/filters/types.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { openCertificateRegistry, type CertificateRegistry } from '../../src/tls/index.js';
import { startImap, type ImapHarness } from '../support/imap-harness.js';
import { requireTools, swaks } from '../support/tools.js';
import { join } from 'node:path';

const closed: string[] = [];

/** Decides from the message: Subject "reject" refuses, "junk" is spam, "throw" breaks; always adds a header. */
const judge: Filter = {
  name: 'judge',
  roles: ['mx', 'lmtp'],
  begin: (ctx) => ({
    async mailFrom(): Promise<StageResult> {
      return ctx.sender.startsWith('banned@') ? reject(550, '5.7.1', 'Sender refused by policy', 'judge') : CONTINUE;
    },
    async rcpt(r): Promise<StageResult> {
      return ctx.sender.startsWith('picky@') && r.address.startsWith('bob@') ? reject(550, '5.7.1', 'Recipient refused by policy', 'judge') : CONTINUE;
    },
    async body(m): Promise<StageResult> {
      const header = m.bytes.subarray(0, m.headerEnd).toString('latin1');
      if (/X-Spam-Status|Authentication-Results: mail\.example\.com/i.test(header)) throw new Error('sanitizing did not happen');
      const subject = /^Subject: (.*)$/m.exec(header)?.[1] ?? '';
      if (subject === 'throw') throw new Error('broken filter');
      if (subject === 'reject') return { ...reject(554, '5.7.1', 'Message refused by policy', 'judge'), headers: ['X-Petrel-Judge: refused'] };
      if (subject === 'split') return { verdict: { action: 'continue' }, headers: ['X-Petrel-Judge: split'], perRecipient: ctx.recipients.map((x) => (x.address.startsWith('bob') ? reject(550, '5.7.1', 'Refused for this recipient', 'judge').verdict : CONTINUE.verdict)) };
      return { verdict: subject === 'junk' ? { action: 'junk', reason: 'judged spam' } : { action: 'continue' }, headers: [`X-Petrel-Judge: ${subject || 'none'}`] };
    },
    close: () => closed.push(ctx.queueId),
  }),
};

describe('filters in SMTP and LMTP sessions', () => {
  let h: ImapHarness;
  let registry: CertificateRegistry;
  let mx: SmtpEndpoint;
  let lmtp: SmtpEndpoint;
  const logger = createMemoryLogger('debug');

  before(async () => {
    h = await startImap({ users: ['alice', 'bob'] });
    registry = await openCertificateRegistry({ certsDir: join(h.dir, 'le2'), certificates: [], selfSignedDir: join(h.dir, 'ss2'), hostname: 'mail.example.com' }, logger, { watch: false });
    const limits = { ...configSchema.parse({}).smtp, greeting_delay: 0, error_delay: 0 };
    const filters = new FilterPipeline([judge], { stageTimeoutMs: 5000 });
    const deps = { hostname: 'mail.example.com', directory: h.directory, committer: h.committer, certificates: registry, limits, logger, filters };
    mx = new SmtpEndpoint({ ...deps, role: 'mx' });
    await mx.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    lmtp = new SmtpEndpoint({ ...deps, role: 'lmtp' });
    await lmtp.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await mx?.close(200);
    await lmtp?.close(200);
    registry?.close();
    await h?.close();
  });

  const portOf = (e: SmtpEndpoint) => (e.server as unknown as { server?: { address(): { port: number } } }) && (e as unknown as { listeners: { address(): { port: number } }[] }).listeners[0]!.address().port;
  const send = (e: SmtpEndpoint, args: string[]) => swaks(['--server', '127.0.0.1', '--port', String(portOf(e)), '--ehlo', 'client.example', ...args]);
  async function mailbox(user: string, name: string): Promise<string> {
    const w = await h.login(user);
    await w.cmd('S', `SELECT ${name}`);
    const r = await w.cmd('F', 'FETCH 1:* BODY.PEEK[HEADER]');
    await w.cmd('Z', 'LOGOUT');
    return r;
  }

  it('a refusal at MAIL, at RCPT and after DATA answers with the filter\'s reply and stores nothing', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    const mail = await send(mx, ['--from', 'banned@elsewhere.example', '--to', 'alice@example.com']);
    assert.match(mail.stdout, /<\*\* 550 5\.7\.1 Sender refused by policy/);
    const rcpt = await send(mx, ['--from', 'picky@elsewhere.example', '--to', 'bob@example.com']);
    assert.match(rcpt.stdout, /<\*\* 550 5\.7\.1 Recipient refused by policy/);
    const data = await send(mx, ['--from', 'x@elsewhere.example', '--to', 'alice@example.com', '--header', 'Subject: reject']);
    assert.match(data.stdout, /<\*\* 554 5\.7\.1 Message refused by policy/);
    const broken = await send(mx, ['--from', 'x@elsewhere.example', '--to', 'alice@example.com', '--header', 'Subject: throw']);
    assert.match(broken.stdout, /<\*\* 451 4\.3\.0 /);
    assert.doesNotMatch(await mailbox('alice', 'INBOX'), /X-Petrel-Judge/, 'nothing stored');
  });

  it('delivers with the filters\' headers under Received, our markings from the client removed; junk goes to Junk', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    const forged = ['--add-header', 'Authentication-Results: mail.example.com; dkim=pass header.d=bank.example', '--add-header', 'X-Spam-Status: No, score=-100'];
    const ok = await send(mx, ['--from', 'x@elsewhere.example', '--to', 'alice@example.com', '--header', 'Subject: fine', ...forged]);
    assert.match(ok.stdout, /<- {2}250 2\.0\.0 Ok: queued as/);
    const junk = await send(mx, ['--from', 'x@elsewhere.example', '--to', 'bob@example.com', '--header', 'Subject: junk']);
    assert.match(junk.stdout, /<- {2}250 2\.0\.0 Ok: queued as/, logger.lines.filter((l) => /error|warn/.test(l)).join('\n'));
    const inbox = await mailbox('alice', 'INBOX');
    assert.match(inbox, /^Received: from client\.example [^]*?\r\nX-Petrel-Judge: fine\r\n/m, 'under our Received');
    assert.doesNotMatch(inbox, /Authentication-Results: mail\.example\.com|X-Spam-Status/);
    assert.match(await mailbox('bob', 'Junk'), /X-Petrel-Judge: junk/);
    assert.doesNotMatch(await mailbox('bob', 'INBOX'), /X-Petrel-Judge: junk/);
  });

  it('LMTP: a refusal for one recipient answers for that one only', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    const r = await send(lmtp, ['--protocol', 'LMTP', '--from', 'x@elsewhere.example', '--to', 'alice@example.com,bob@example.com', '--header', 'Subject: split']);
    assert.match(r.stdout, /<- {2}250 2\.0\.0 Ok: delivered as \S+\r?\n<\*\* 550 5\.7\.1 Refused for this recipient/);
    assert.match(await mailbox('alice', 'INBOX'), /X-Petrel-Judge: split/);
    assert.doesNotMatch(await mailbox('bob', 'INBOX'), /X-Petrel-Judge: split/);
  });

  it('every message\'s filters were closed', () => {
    assert.ok(closed.length >= 6, `closed ${closed.length}`);
    assert.equal(new Set(closed).size, closed.length, 'once each');
  });
});
