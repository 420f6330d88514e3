/*
 * A real clamd (Debian's clamav-daemon), started by the test on loopback
 * with a signature database the test writes (test/support/clamd.ts):
 * hash signatures of the EICAR test file and of clam.exe from Debian's
 * clamav-testfiles. Through the clamav filter: EICAR attached (base64, so
 * clamd must decode the MIME itself) is refused with 554 5.7.1 and the
 * signature in the detail only; clam.exe inside ClamAV's own clam.zip
 * likewise; a clean message passes with X-Virus-Scanned; a message over
 * clamd's StreamMaxLength is 451 4.7.1, never clean, and with fail_open
 * goes on tagged Unscanned; a hanging clamd (SIGSTOP) is 451 4.7.1 within
 * the timeout; a stopped one 451 4.7.1 at once. And ClamAV's own test
 * archives (deflated, deflate64, bzip2, imploded) through the attachment
 * policy's zip reader: clam.exe found in each by name, in the deflated
 * one by content too. Skipped with a message
 * naming scripts/install-test-deps.sh when clamd or the test files are
 * missing; failed instead under PETREL_REQUIRE_INTEROP=1.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it, type TestContext } from 'node:test';
import { DEFAULT_ATTACHMENT_SETTINGS, inspectMessage } from '../../src/filters/attachments/index.js';
import { clamavFilter, DEFAULT_CLAMAV_SETTINGS, type ClamavSettings } from '../../src/filters/clamav/index.js';
import { FilterPipeline } from '../../src/filters/pipeline.js';
import type { BodyOutcome } from '../../src/filters/pipeline.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { EICAR, startClamd, type ClamdServer } from '../support/clamd.js';
import { hasTool, requireTools } from '../support/tools.js';

const TESTFILES = '/usr/share/clamav-testfiles';
const haveTestfiles = existsSync(`${TESTFILES}/clam.exe`) && existsSync(`${TESTFILES}/clam.zip`);

/** A mail with a text part and one base64 attachment. */
function withAttachment(name: string, type: string, content: Buffer): Buffer {
  const base64 = content.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from([
    'From: Alice <alice@sender.example>', 'To: bob@petrel.example', 'Subject: the file', 'Date: Thu, 03 Dec 2026 09:58:00 +0000',
    'Message-ID: <1@sender.example>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '',
    '--b1', 'Content-Type: text/plain; charset=utf-8', '', 'Here it is.', '',
    '--b1', `Content-Type: ${type}; name="${name}"`, 'Content-Transfer-Encoding: base64', `Content-Disposition: attachment; filename="${name}"`, '',
    base64, '--b1--', '',
  ].join('\r\n'));
}

const CLEAN = Buffer.from('From: alice@sender.example\r\nTo: bob@petrel.example\r\nSubject: lunch\r\n\r\nSee you at noon.\r\n');

let clamd: ClamdServer | undefined;

async function scan(message: Buffer, settings: Partial<ClamavSettings> = {}): Promise<BodyOutcome & { log: string; ms: number }> {
  const log = createMemoryLogger('debug');
  const pipeline = new FilterPipeline([clamavFilter({ ...DEFAULT_CLAMAV_SETTINGS, address: clamd!.address, timeoutMs: 10_000, ...settings })]);
  const run = pipeline.begin({ client: { ip: '192.0.2.1', helo: 'mx.sender.example', tls: false, user: null, role: 'mx', trusted: false }, sender: 'alice@sender.example', queueId: 'Q1', facts: {}, log });
  await run.rcpt({ address: 'bob@petrel.example', domain: 'petrel.example' });
  const started = Date.now();
  const out = await run.body({ bytes: message, headerEnd: message.indexOf('\r\n\r\n') + 4 });
  run.close();
  return { ...out, log: log.lines.join('\n'), ms: Date.now() - started };
}

function rejected(out: BodyOutcome): { reply: string; detail: string | undefined } {
  assert.equal(out.verdict.action, 'reject', JSON.stringify(out.verdict));
  const { error } = out.verdict as Extract<BodyOutcome['verdict'], { action: 'reject' }>;
  return { reply: error.reply, detail: error.detail };
}

function needs(t: TestContext, tool = true): boolean {
  if (tool && !requireTools(t, 'clamd')) return false;
  if (haveTestfiles) return true;
  const message = `missing ${TESTFILES}: run scripts/install-test-deps.sh`;
  if (process.env.PETREL_REQUIRE_INTEROP === '1') throw new Error(message);
  t.skip(message);
  return false;
}

describe('a real clamd', () => {
  before(async () => {
    if (!hasTool('clamd') || !haveTestfiles) return;
    clamd = await startClamd({
      samples: [{ name: 'Petrel.Test.EICAR', bytes: EICAR }, { name: 'Petrel.Test.ClamExe', bytes: readFileSync(`${TESTFILES}/clam.exe`) }],
      streamMaxLength: '1M',
    });
  });
  after(async () => {
    await clamd?.stop();
  });

  it('refuses EICAR attached in base64: 554 5.7.1, the signature in the detail and the log, not the reply', async (t) => {
    if (!needs(t)) return;
    const out = await scan(withAttachment('eicar.com', 'application/octet-stream', EICAR));
    const { reply, detail } = rejected(out);
    assert.equal(reply, '554 5.7.1 Message contains a virus');
    assert.match(detail!, /^signature=Petrel\.Test\.EICAR(\.UNOFFICIAL)?$/);
    assert.match(out.log, /"virus found" signature=Petrel\.Test\.EICAR/);
    assert.equal(out.facts.virus?.infected, true);
  });

  it('scans over clamd\'s unix socket as over TCP', async (t) => {
    if (!needs(t)) return;
    const out = await scan(withAttachment('eicar.com', 'application/octet-stream', EICAR), { address: clamd!.socket });
    assert.match(rejected(out).detail!, /^signature=Petrel\.Test\.EICAR/);
    assert.equal((await scan(CLEAN, { address: clamd!.socket })).verdict.action, 'continue');
  });

  it('refuses clam.exe inside ClamAV\'s clam.zip', async (t) => {
    if (!needs(t)) return;
    const out = await scan(withAttachment('clam.zip', 'application/zip', readFileSync(`${TESTFILES}/clam.zip`)));
    assert.match(rejected(out).detail!, /^signature=Petrel\.Test\.ClamExe/);
  });

  it('passes a clean message with X-Virus-Scanned', async (t) => {
    if (!needs(t)) return;
    const out = await scan(CLEAN);
    assert.equal(out.verdict.action, 'continue');
    assert.deepEqual(out.headers, ['X-Virus-Scanned: clamd', 'X-Virus-Status: Clean']);
    assert.deepEqual(out.facts.virus, { infected: false, scanned: true });
  });

  it('a message over StreamMaxLength is 451 4.7.1, never clean; with fail_open it goes on, tagged', async (t) => {
    if (!needs(t)) return;
    const big = withAttachment('big.bin', 'application/octet-stream', Buffer.alloc(1536 * 1024, 7));
    const out = await scan(big);
    const { reply, detail } = rejected(out);
    assert.equal(reply, '451 4.7.1 Virus scan unavailable, try again later');
    assert.match(detail!, /^limits exceeded: /);
    const open = await scan(big, { failOpen: true });
    assert.equal(open.verdict.action, 'continue');
    assert.deepEqual(open.headers, ['X-Virus-Status: Unscanned (limits exceeded)']);
    assert.deepEqual(open.facts.virus, { infected: false, scanned: false });
  });

  it('a hanging clamd (SIGSTOP) is 451 4.7.1 within the timeout', async (t) => {
    if (!needs(t)) return;
    clamd!.hang();
    try {
      const out = await scan(CLEAN, { timeoutMs: 1500 });
      assert.equal(rejected(out).reply, '451 4.7.1 Virus scan unavailable, try again later');
      assert.match(rejected(out).detail!, /^clamd timed out: /);
      assert.ok(out.ms >= 1400 && out.ms < 4000, `${out.ms} ms`);
    } finally {
      clamd!.resume();
    }
    assert.equal((await scan(CLEAN)).verdict.action, 'continue', 'answers again once resumed');
  });

  it('a stopped clamd is 451 4.7.1 at once', async (t) => {
    if (!needs(t)) return;
    await clamd!.stop();
    const out = await scan(CLEAN);
    assert.match(rejected(out).detail!, /^clamd unavailable: .*ECONNREFUSED/);
    assert.ok(out.ms < 1000, `${out.ms} ms`);
    clamd = undefined;
  });
});

describe('ClamAV\'s test archives through the attachment policy', () => {
  const policy = { blocked: new Set(DEFAULT_ATTACHMENT_SETTINGS.blocked), scanArchives: true };
  for (const [zip, method] of [['clam.zip', 'deflated'], ['clam.bz2.zip', 'bzip2'], ['clam.d64.zip', 'deflate64'], ['clam.impl.zip', 'imploded']]) {
    it(`finds clam.exe in ${zip} (${method}) by its name${method === 'deflated' ? ' and its content' : ''}`, (t) => {
      if (!needs(t, false)) return;
      const found = inspectMessage(withAttachment(zip!, 'application/zip', readFileSync(`${TESTFILES}/${zip}`)), policy);
      const member = zip === 'clam.impl.zip' ? 'CLAM.EXE' : 'clam.exe';
      const expected = [{ name: `${zip}/${member}`, reason: 'extension .exe', kind: 'type' }];
      if (method === 'deflated') expected.push({ name: `${zip}/${member}`, reason: 'content: Windows executable', kind: 'type' });
      assert.deepEqual(found, expected);
    });
  }
});
