/*
 * The sender-auth filter inside a real MX session: swaks sends from
 * 127.0.0.2 (--local-interface) to an in-process SmtpEndpoint whose only
 * filter is senderAuthFilter, asking a real BIND on loopback (the test
 * zones of src/filters/sender-auth/cases.test.ts, and loop.test, whose
 * SPF names 127.0.0.2); the mailboxes are read back over IMAP.
 *   - p=reject failing DMARC: 550 5.7.1 in the session, nothing stored;
 *   - a DKIM-signed message from an SPF-passing sender: delivered with
 *     exactly one Authentication-Results under our id (spf, dkim and
 *     dmarc pass), the forged one claiming our id gone;
 *   - p=quarantine failing DMARC: delivered to Junk, not INBOX.
 * Every connection is to or from loopback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { CachingDnsClient } from '../../src/dns/cache.js';
import { WireDnsClient } from '../../src/dns/wire-client.js';
import { SmtpEndpoint } from '../../src/endpoints/smtp/endpoint.js';
import { AUTHSERV_ID, bindZones, buildMessage, settingsWith } from '../../src/filters/sender-auth/cases.test.js';
import { senderAuthFilter } from '../../src/filters/sender-auth/index.js';
import { FilterPipeline } from '../../src/filters/pipeline.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { openCertificateRegistry, type CertificateRegistry } from '../../src/tls/index.js';
import { startBind, type BindServer } from '../support/bind.js';
import { startImap, type ImapHarness } from '../support/imap-harness.js';
import { hasTool, requireTools, swaks } from '../support/tools.js';

describe('sender authentication in an MX session', () => {
  let h: ImapHarness | undefined;
  let bind: BindServer | undefined;
  let registry: CertificateRegistry | undefined;
  let mx: SmtpEndpoint | undefined;
  const logger = createMemoryLogger('debug');
  const ready = (t: TestContext) => requireTools(t, 'swaks', 'named') && mx !== undefined;

  before(async () => {
    if (!hasTool('named') || !hasTool('swaks')) return;
    bind = await startBind({ ...bindZones(), 'loop.test': 'loop.test. 60 IN TXT "v=spf1 ip4:127.0.0.2 -all"' });
    h = await startImap({ users: ['alice', 'bob'] });
    registry = await openCertificateRegistry({ certsDir: join(h.dir, 'le3'), certificates: [], selfSignedDir: join(h.dir, 'ss3'), hostname: 'mail.example.com' }, logger, { watch: false });
    // Loopback is not trusted here: its clients are checked like any other.
    const limits = { ...configSchema.parse({}).smtp, greeting_delay: 0, error_delay: 0, trusted_networks: [] };
    const dns = new CachingDnsClient(new WireDnsClient({ servers: [bind.address], timeoutMs: 2000, tries: 2 }));
    const filters = new FilterPipeline([senderAuthFilter(settingsWith(), { dns })], { stageTimeoutMs: 20_000 });
    mx = new SmtpEndpoint({ role: 'mx', hostname: 'mail.example.com', authservId: AUTHSERV_ID, directory: h.directory, committer: h.committer, certificates: registry, limits, logger, filters });
    await mx.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await mx?.close(200);
    registry?.close();
    await h?.close();
    await bind?.stop();
  });

  const port = () => (mx as unknown as { listeners: { address(): { port: number } }[] }).listeners[0]!.address().port;
  /** swaks from 127.0.0.2, HELO mx.relay.test, the message from a file as written. */
  function send(from: string, to: string, message: Buffer) {
    const file = join(h!.dir, `msg-${Math.random().toString(36).slice(2)}.eml`);
    writeFileSync(file, message.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    return swaks(['--server', `127.0.0.1:${port()}`, '--local-interface', '127.0.0.2', '--ehlo', 'mx.relay.test', '--from', from, '--to', to, '--data', file]);
  }
  async function headers(user: string, mailbox: string): Promise<string> {
    const w = await h!.login(user);
    await w.cmd('S', `SELECT ${mailbox}`);
    const fetched = await w.cmd('F', 'FETCH 1:* BODY.PEEK[HEADER]');
    await w.cmd('Z', 'LOGOUT');
    return fetched;
  }

  it('a message failing DMARC of a p=reject domain is refused in the session with 550 5.7.1', async (t) => {
    if (!ready(t)) return;
    const r = await send('a@spf-fail.test', 'alice@example.com', buildMessage({ from: ['boss@p-reject.test'], subject: 'forged boss' }));
    assert.match(r.stdout, /<\*\* 550 5\.7\.1 Message rejected by the sender domain's DMARC policy/, r.stdout);
    assert.doesNotMatch(await headers('alice', 'INBOX'), /forged boss/);
  });

  it('a DKIM-signed message from an SPF-passing sender: one Authentication-Results of ours, the forged one gone', async (t) => {
    if (!ready(t)) return;
    const forged = Buffer.from(`Authentication-Results: ${AUTHSERV_ID}; dkim=pass header.d=bank.example; dmarc=pass header.from=bank.example\r\n`);
    const signed = buildMessage({ from: ['a@dkim.test'], subject: 'signed lunch', signAs: 'dkim.test' });
    const r = await send('a@loop.test', 'alice@example.com', Buffer.concat([forged, signed]));
    assert.match(r.stdout, /<- {2}250 2\.0\.0 Ok: queued as/, r.stdout);
    const inbox = await headers('alice', 'INBOX');
    const ours = inbox.replace(/\r\n[ \t]+/g, ' ').match(new RegExp(`^Authentication-Results: ${AUTHSERV_ID.replace(/\./g, '\\.')};.*$`, 'gm')) ?? [];
    assert.equal(ours.length, 1, inbox);
    assert.match(ours[0]!, /spf=pass smtp\.mailfrom=a@loop\.test; dkim=pass header\.d=dkim\.test header\.s=s1 header\.b=\S+; dmarc=pass \(p=reject dis=none\) header\.from=dkim\.test; arc=none/);
    assert.doesNotMatch(inbox, /bank\.example/);
  });

  it('a message failing DMARC of a p=quarantine domain lands in Junk', async (t) => {
    if (!ready(t)) return;
    const r = await send('a@spf-fail.test', 'bob@example.com', buildMessage({ from: ['news@p-quar.test'], subject: 'quarantined news' }));
    assert.match(r.stdout, /<- {2}250 2\.0\.0 Ok: queued as/, r.stdout);
    const junk = await headers('bob', 'Junk');
    assert.match(junk, /Subject: quarantined news/);
    assert.match(junk, /dmarc=fail \(p=quarantine dis=quarantine\) header\.from=p-quar\.test/);
    assert.doesNotMatch(await headers('bob', 'INBOX'), /quarantined news/);
  });
});
