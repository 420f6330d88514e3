/*
 * ARC sealing, verified by mailauth's ARC validation against the sealer's
 * key served by the fake resolver: a first set (i=1, cv=none) and a
 * second hop (i=2, cv=pass) validate; a body changed after sealing, or a
 * seal whose key is not published, does not; what our ARC-Authentication-
 * Results carries; and the chains we must not seal: one that already
 * failed, one we did not validate, one at instance 50; a broken chain is
 * sealed cv=fail. The real BIND run is test/interop/sender-auth-bind.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arc } from 'mailauth/lib/arc/index.js';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { fakeDns, type FakeZone } from '../dns/fake-client.js';
import { arcSeal, ourAuthenticationResults, type ArcSealKey } from './arc-seal.js';
import { dkimRecordStrings, generateDkimKey } from './dkim-keys.js';
import { mailauthResolver } from './mailauth-resolver.js';

const rsa = generateDkimKey('rsa-sha256', 'arc1');
const second = generateDkimKey('rsa-sha256', 'arc2');
const KEY: ArcSealKey = { domain: 'forwarder.test', selector: 'arc1', privateKey: rsa.privateKey };
const NEXT: ArcSealKey = { domain: 'next.test', selector: 'arc2', privateKey: second.privateKey };
const ZONE: FakeZone = {
  'arc1._domainkey.forwarder.test': { txtStrings: [dkimRecordStrings(rsa)] },
  'arc2._domainkey.next.test': { txtStrings: [dkimRecordStrings(second)] },
};
const AR = 'mx.forwarder.test;\r\n spf=pass smtp.mailfrom=a@sender.test;\r\n dkim=none;\r\n dmarc=pass header.from=sender.test;\r\n arc=none';
const MESSAGE = Buffer.from('From: a@sender.test\r\nTo: list@forwarder.test\r\nSubject: Hello\r\nDate: Thu, 03 Dec 2026 09:58:00 +0000\r\nMessage-ID: <1@sender.test>\r\n\r\nHello there.\r\n');
const NOW = Date.UTC(2026, 11, 3, 10);

/** mailauth's ARC validation of a message, keys from `zone`. */
async function validate(message: Buffer, zone: FakeZone = ZONE): Promise<{ result: string; i: number | false; comment?: string }> {
  const resolver = mailauthResolver({ dns: fakeDns(zone), query: fakeDns(zone).query }, { maxQueries: 20 }) as never;
  const verified = await dkimVerify(message, { resolver });
  const r = await arc(verified.arc as never, { resolver });
  return { result: r.status.result, i: r.i, comment: r.status.comment };
}

async function sealed(message: Buffer, chain: 'none' | 'pass' | 'fail', key = KEY): Promise<Buffer> {
  const out = await arcSeal({ message, authResults: AR, chain, key, now: NOW });
  assert.ok(out.sealed, out.sealed ? '' : out.reason);
  return out.message;
}

describe('ARC sealing', () => {
  it('a first set: i=1, cv=none, our Authentication-Results carried; mailauth validates it', async () => {
    const out = await arcSeal({ message: MESSAGE, authResults: `Authentication-Results: ${AR}`, chain: 'none', key: KEY, now: NOW });
    assert.ok(out.sealed);
    assert.equal(out.instance, 1);
    const lines = out.headers.split('\r\n');
    assert.match(lines[0]!, /^ARC-Seal: i=1; a=rsa-sha256; t=1796292000; cv=none;/);
    assert.match(out.headers, /\r\nARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed\/relaxed;\r\n d=forwarder\.test;/);
    assert.match(out.headers, /\r\nARC-Authentication-Results: i=1; mx\.forwarder\.test;\r\n spf=pass smtp\.mailfrom=a@sender\.test;[^]*arc=none\r\n$/);
    assert.deepEqual(await validate(out.message), { result: 'pass', i: 1, comment: 'i=1 spf=pass dkim=none dmarc=pass fromdomain=sender.test' });
  });

  it('a second hop: i=2, cv=pass over the first set; the chain validates', async () => {
    const once = await sealed(MESSAGE, 'none');
    const out = await arcSeal({ message: once, authResults: AR.replace('arc=none', 'arc=pass'), chain: 'pass', key: NEXT, now: NOW });
    assert.ok(out.sealed && out.instance === 2 && out.cv === 'pass');
    const v = await validate(out.message);
    assert.equal(v.result, 'pass');
    assert.equal(v.i, 2);
  });

  it('a body changed after sealing, or a seal without its key: fail', async () => {
    const once = await sealed(MESSAGE, 'none');
    assert.equal((await validate(Buffer.from(once.toString().replace('Hello there', 'Pay me')))).result, 'fail');
    assert.equal((await validate(once, {})).result, 'fail');
  });

  it('does not seal a chain that already failed, nor one we did not validate', async () => {
    const failed = await sealed(await sealed(MESSAGE, 'none'), 'fail');
    assert.match(failed.toString(), /^ARC-Seal: i=2; a=rsa-sha256; t=\d+; cv=fail;/);
    assert.deepEqual(await arcSeal({ message: failed, authResults: AR, chain: 'pass', key: NEXT, now: NOW }), { sealed: false, reason: 'the chain already failed (cv=fail)' });
    const once = await sealed(MESSAGE, 'none');
    assert.deepEqual(await arcSeal({ message: once, authResults: AR, chain: 'none', key: NEXT, now: NOW }), { sealed: false, reason: 'the chain was not validated' });
  });

  it('a chain that cannot be read (a set missing its ARC-Message-Signature) is sealed cv=fail, i one past the highest', async () => {
    const once = (await sealed(MESSAGE, 'none')).toString('latin1').replace(/ARC-Message-Signature:[^]*?\r\n(?=ARC-Authentication-Results)/, '');
    const out = await arcSeal({ message: Buffer.from(once, 'latin1'), authResults: AR, chain: 'pass', key: NEXT, now: NOW });
    assert.ok(out.sealed && out.instance === 2 && out.cv === 'fail');
  });

  it('stops at instance 50 (RFC 8617 section 4.2.1)', async () => {
    let message = await sealed(MESSAGE, 'none');
    for (let i = 2; i <= 50; i++) message = await sealed(message, 'pass');
    assert.match(message.toString(), /^ARC-Seal: i=50;/);
    assert.deepEqual(await arcSeal({ message, authResults: AR, chain: 'pass', key: KEY, now: NOW }), { sealed: false, reason: 'the chain has 50 sets, the most allowed is 50' });
  });

  it('seals with RSA only (mailauth 4.13)', async () => {
    const ed = generateDkimKey('ed25519-sha256', 'arc1');
    assert.deepEqual(await arcSeal({ message: MESSAGE, authResults: AR, chain: 'none', key: { ...KEY, privateKey: ed.privateKey }, now: NOW }), { sealed: false, reason: 'ARC seals with RSA keys only, not ed25519' });
  });
});

describe('ourAuthenticationResults', () => {
  it('finds the field under our id, not one of another host, and reads its arc= result', () => {
    const message = Buffer.from(`Received: from x by mx.forwarder.test\r\nAuthentication-Results: other.example; arc=fail\r\nAuthentication-Results: ${AR.replace('arc=none', 'arc=pass (i=1, dkim=pass)')}\r\nFrom: a@sender.test\r\n\r\nbody\r\n`);
    const ours = ourAuthenticationResults(message, 'MX.forwarder.test');
    assert.equal(ours?.arc, 'pass');
    assert.match(ours!.value, /^mx\.forwarder\.test; spf=pass/);
    assert.equal(ourAuthenticationResults(message, 'nobody.test'), undefined);
    assert.equal(ourAuthenticationResults(Buffer.from('Authentication-Results: mx.forwarder.test; none\r\n\r\n'), 'mx.forwarder.test')?.arc, 'none');
  });
});
