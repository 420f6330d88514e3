/*
 * The outbound signing step: a message from a hosted domain with keys
 * leaves with one signature per key, which mailauth's verifier accepts;
 * one from elsewhere, with several From addresses, or without From goes
 * unsigned; keys are asked for at every message (a rotation takes effect
 * at once), private keys parsed once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { dkimRecordValue, generateDkimKey } from './dkim-keys.js';
import { OutboundSigner } from './outbound-signer.js';

const rsa = generateDkimKey('rsa-sha256', 's2026');
const ed = generateDkimKey('ed25519-sha256', 's2026');
const records = new Map([rsa, ed].map((k) => [`${k.selector}._domainkey.example.com`, dkimRecordValue(k)]));
const resolver = async (name: string, type: string) => {
  const v = type === 'TXT' ? records.get(name) : undefined;
  if (v === undefined) throw Object.assign(new Error('none'), { code: 'ENOTFOUND' });
  return [v.match(/.{1,255}/g)!];
};
const message = (from: string) => Buffer.from(`From: ${from}\r\nTo: bob@example.net\r\nSubject: hi\r\nDate: Wed, 2 Dec 2026 10:00:00 +0000\r\nMessage-ID: <a@example.com>\r\n\r\nHello.\r\n`);

describe('outbound DKIM signer', () => {
  let lookups = 0;
  let onlyRsa = false;
  const clock = { now: Date.parse('2026-12-02T10:00:00Z') };
  const signer = new OutboundSigner(async (domain) => {
    lookups++;
    return domain === 'example.com' ? (onlyRsa ? [rsa] : [rsa, ed]).map((k) => ({ domain, selector: k.selector, algorithm: k.algorithm, privateKey: k.privateKey })) : [];
  }, () => clock.now);

  it('signs mail from a hosted domain with every key of it, and both signatures verify', async () => {
    const signed = await signer.sign(message('Ann <ann@example.com>'));
    assert.equal(signed.domain, 'example.com');
    assert.deepEqual(signed.selectors, ['s2026', 's2026-ed']);
    const result = await dkimVerify(signed.bytes, { resolver, curTime: new Date(clock.now) });
    assert.deepEqual(result.results.map((r: { status: { result: string } }) => r.status.result), ['pass', 'pass']);
  });

  it('leaves unsigned what a signature of ours would not align with', async () => {
    for (const from of ['someone@elsewhere.test', 'ann@example.com, eve@example.com']) {
      const m = message(from);
      const r = await signer.sign(m);
      assert.deepEqual(r.selectors, [], from);
      assert.equal(r.bytes, m);
    }
    const twoFields = Buffer.from('From: ann@example.com\r\nFrom: eve@example.com\r\n\r\nx\r\n');
    assert.equal(OutboundSigner.fromDomain(twoFields), undefined);
    assert.equal(OutboundSigner.fromDomain(Buffer.from('Subject: none\r\n\r\nx\r\n')), undefined);
    assert.equal(OutboundSigner.fromDomain(message('Ann <ann@EXAMPLE.com>')), 'example.com');
  });

  it('asks for the keys at every message, so a rotated key signs the next one', async () => {
    const before = lookups;
    const first = await signer.sign(message('ann@example.com'));
    assert.deepEqual(first.selectors, ['s2026', 's2026-ed']);
    onlyRsa = true;
    const second = await signer.sign(message('ann@example.com'));
    assert.deepEqual(second.selectors, ['s2026']);
    assert.equal(lookups, before + 2);
    onlyRsa = false;
  });
});
