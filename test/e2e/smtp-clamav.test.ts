/*
 * Virus scanning in a real SMTP session: an in-process MX with the clamav
 * filter in its pipeline, a real clamd (test/support/clamd.ts) holding an
 * EICAR hash signature, driven by swaks and read back over IMAP. EICAR
 * attached is refused at the end of DATA with 554 5.7.1, the signature
 * never in the reply, nothing stored; a clean message is delivered with
 * our X-Virus-Scanned and X-Virus-Status under Received, and the
 * X-Virus-Status the client wrote itself is gone.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.js';
import { SmtpEndpoint } from '../../src/endpoints/smtp/endpoint.js';
import { clamavFilter, DEFAULT_CLAMAV_SETTINGS } from '../../src/filters/clamav/index.js';
import { FilterPipeline } from '../../src/filters/pipeline.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { openCertificateRegistry, type CertificateRegistry } from '../../src/tls/index.js';
import { EICAR, startClamd, type ClamdServer } from '../support/clamd.js';
import { startImap, type ImapHarness } from '../support/imap-harness.js';
import { hasTool, requireTools, swaks } from '../support/tools.js';

describe('clamd in SMTP sessions', () => {
  let h: ImapHarness;
  let clamd: ClamdServer;
  let registry: CertificateRegistry;
  let mx: SmtpEndpoint;
  let port = 0;
  const logger = createMemoryLogger('debug');
  const ready = hasTool('clamd') && hasTool('swaks');

  before(async () => {
    if (!ready) return;
    clamd = await startClamd({ samples: [{ name: 'Petrel.Test.EICAR', bytes: EICAR }] });
    h = await startImap({ users: ['bob'] });
    writeFileSync(join(h.dir, 'eicar.com'), EICAR);
    registry = await openCertificateRegistry({ certsDir: join(h.dir, 'le2'), certificates: [], selfSignedDir: join(h.dir, 'ss2'), hostname: 'mail.example.com' }, logger, { watch: false });
    const limits = { ...configSchema.parse({}).smtp, greeting_delay: 0, error_delay: 0 };
    const filters = new FilterPipeline([clamavFilter({ ...DEFAULT_CLAMAV_SETTINGS, address: clamd.address, timeoutMs: 10_000 })], { stageTimeoutMs: 20_000 });
    mx = new SmtpEndpoint({ hostname: 'mail.example.com', directory: h.directory, committer: h.committer, certificates: registry, limits, logger, filters, role: 'mx' });
    await mx.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    port = (mx as unknown as { listeners: { address(): { port: number } }[] }).listeners[0]!.address().port;
  });
  after(async () => {
    await mx?.close(200);
    registry?.close();
    await h?.close();
    await clamd?.stop();
  });

  const send = (subject: string, extra: string[]) =>
    swaks(['--server', '127.0.0.1', '--port', String(port), '--ehlo', 'client.example', '--from', 'alice@sender.example', '--to', 'bob@example.com', '--header', `Subject: ${subject}`, ...extra]);

  /** The header fields of bob's INBOX messages that this test looks at. */
  async function inbox(): Promise<string> {
    const w = await h.login('bob');
    await w.cmd('S', 'SELECT INBOX');
    const fetched = await w.cmd('F', 'FETCH 1:* (BODY.PEEK[HEADER])');
    await w.cmd('Z', 'LOGOUT');
    return fetched;
  }

  it('refuses EICAR at the end of DATA with 554 5.7.1, the signature in the log only, nothing stored', async (t) => {
    if (!requireTools(t, 'clamd', 'swaks')) return;
    const r = await send('infected', ['--attach-type', 'application/octet-stream', '--attach-name', 'eicar.com', '--attach', `@${join(h.dir, 'eicar.com')}`]);
    assert.match(r.stdout, /<\*\* 554 5\.7\.1 Message contains a virus\r?\n/);
    assert.doesNotMatch(r.stdout, /Petrel\.Test/);
    assert.ok(logger.lines.some((l) => /Petrel\.Test\.EICAR/.test(l)), 'the signature is logged');
    assert.doesNotMatch(await inbox(), /Subject: infected/);
  });

  it('delivers a clean message with our X-Virus- fields under Received, the client\'s removed', async (t) => {
    if (!requireTools(t, 'clamd', 'swaks')) return;
    const r = await send('clean', ['--add-header', 'X-Virus-Status: Clean (trust me)']);
    assert.match(r.stdout, /<- {2}250 2\.0\.0 Ok: queued as/);
    const headers = await inbox();
    assert.match(headers, /^Received: from client\.example [^]*?\r\nX-Virus-Scanned: clamd\r\nX-Virus-Status: Clean\r\n[^]*Subject: clean/m);
    assert.doesNotMatch(headers, /trust me/);
  });
});
