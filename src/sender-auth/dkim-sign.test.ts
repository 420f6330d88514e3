/*
 * DKIM signatures made here verify with mailauth's verifier (an independent
 * implementation) against the records `petrel dkim show` publishes, for
 * RSA and Ed25519 keys and both at once; relaxed canonicalization survives
 * refolding and whitespace changes; a changed body or signed field, and a
 * From or Subject added after signing (over-signing), break them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { dkimRecordValue, generateDkimKey } from './dkim-keys.js';
import { dkimSignatures, dkimSignaturesAsync, type DkimSigningKey } from './dkim-sign.js';

const rsa = generateDkimKey('rsa-sha256', 's2026');
const ed = generateDkimKey('ed25519-sha256', 's2026');
const records = new Map([rsa, ed].map((k) => [`${k.selector}._domainkey.example.com`, dkimRecordValue(k)]));
const signing = (k: typeof rsa): DkimSigningKey => ({ domain: 'example.com', selector: k.selector, algorithm: k.algorithm, privateKey: k.privateKey });

/** A DNS resolver answering the published records only (the DNS is outside the thing under test). */
async function resolver(name: string, type: string): Promise<string[][]> {
  const value = type === 'TXT' ? records.get(name) : undefined;
  if (value === undefined) throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
  return [value.match(/.{1,255}/g)!];
}

const MESSAGE = [
  'Received: from client by mail.example.com',
  'From: Ann Example <ann@example.com>',
  'To: bob@example.net,',
  '\tcarol@example.net',
  'Subject:  Quarterly   report ',
  'Date: Sat, 28 Nov 2026 10:00:00 +0000',
  'Message-ID: <q1@example.com>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Numbers  are up.  ',
  '',
  'Ann',
  '',
  '',
].join('\r\n');

async function verify(message: string): Promise<string[]> {
  const result = await dkimVerify(Buffer.from(message, 'latin1'), { resolver, curTime: new Date('2026-11-28T10:00:00Z') });
  return result.results.map((r: { status: { result: string } }) => r.status.result);
}

describe('DKIM signing', () => {
  it('RSA and Ed25519 signatures both verify, over the fields receivers check, From over-signed', async () => {
    const signatures = dkimSignatures(Buffer.from(MESSAGE, 'latin1'), [signing(rsa), signing(ed)], Date.parse('2026-11-28T10:00:00Z'));
    assert.deepEqual(await verify(signatures + MESSAGE), ['pass', 'pass']);
    const h = /h=([^;]+);/.exec(signatures.replace(/\r\n\t/g, ' '))![1]!;
    assert.deepEqual(h.split(':').filter((n) => n === 'from'), ['from', 'from'], 'From over-signed');
    assert.ok(h.split(':').includes('content-type') && !h.includes('received'));
    assert.match(signatures, /^DKIM-Signature: v=1;\r\n\ta=rsa-sha256;\r\n\tc=relaxed\/relaxed;\r\n\td=example\.com;\r\n\ts=s2026;\r\n\tt=\d+;/);
  });

  it('survives refolding and whitespace changes (relaxed), and a message without a body', async () => {
    const signatures = dkimSignatures(Buffer.from(MESSAGE, 'latin1'), [signing(rsa)]);
    const refolded = MESSAGE.replace('To: bob@example.net,\r\n\tcarol@example.net', 'To:   bob@example.net,   carol@example.net').replace('Numbers  are up.  ', 'Numbers are up.') + '\r\n\r\n';
    assert.deepEqual(await verify(signatures + refolded), ['pass']);
    const bare = 'From: ann@example.com\r\nSubject: empty\r\n\r\n';
    assert.deepEqual(await verify(dkimSignatures(Buffer.from(bare), [signing(ed)]) + bare), ['pass']);
  });

  it('fails when the body or a signed field changes, or a From or Subject is added after signing', async () => {
    const signatures = dkimSignatures(Buffer.from(MESSAGE, 'latin1'), [signing(rsa)]);
    // mailauth calls a body hash mismatch "neutral" (with "body hash did not verify"); either way not a pass.
    assert.deepEqual(await verify(signatures + MESSAGE.replace('Numbers', 'Numbrs')), ['neutral']);
    assert.deepEqual(await verify(signatures + MESSAGE.replace('Quarterly', 'Yearly')), ['fail']);
    assert.deepEqual(await verify(signatures + 'From: mallory@example.org\r\n' + MESSAGE), ['fail'], 'an added From');
    assert.deepEqual(await verify(signatures + MESSAGE.replace('MIME-Version', 'Subject: free money\r\nMIME-Version')), ['fail'], 'an added Subject');
    assert.deepEqual(await verify(signatures + 'X-Added: fine\r\n' + MESSAGE), ['pass'], 'an unsigned field may be added');
  });

  it('signs the same on the threadpool (dkimSignaturesAsync) as inline: both deterministic algorithms give identical fields', async () => {
    const at = Date.parse('2026-11-28T10:00:00Z');
    const message = Buffer.from(MESSAGE, 'latin1');
    assert.equal(await dkimSignaturesAsync(message, [signing(rsa), signing(ed)], at), dkimSignatures(message, [signing(rsa), signing(ed)], at));
  });

  it('relaxed body canonicalization: tabs, runs of blanks, blanks at line ends and empty lines at the end all verify', async () => {
    const body = 'a\tb  \t c \r\n\t\r\nd \t\r\n lone space\r\n\r\n\r\n';
    const message = MESSAGE.slice(0, MESSAGE.indexOf('\r\n\r\n') + 4) + body;
    assert.deepEqual(await verify(dkimSignatures(Buffer.from(message, 'latin1'), [signing(rsa)], Date.parse('2026-11-28T10:00:00Z')) + message), ['pass']);
    // The same body with the blanks already squeezed signs to the same body hash.
    const squeezed = MESSAGE.slice(0, MESSAGE.indexOf('\r\n\r\n') + 4) + 'a b c\r\n\r\nd\r\n lone space\r\n';
    const bh = (m: string) => /bh=([^;]+);/.exec(dkimSignatures(Buffer.from(m, 'latin1'), [signing(rsa)], 0))![1];
    assert.equal(bh(message), bh(squeezed));
  });
});
