/*
 * ARC sealing of forwarded mail as the outbound worker does it: a message
 * from the MX carrying our Authentication-Results, queued for a remote
 * recipient through an alias of a hosted domain, is sealed by that
 * domain's RSA key and validates (mailauth, key served by the fake
 * resolver); submitted mail, mail without our field, a domain with no
 * RSA key (Ed25519 only) and a foreign field under another id are left
 * alone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arc } from 'mailauth/lib/arc/index.js';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { fakeDns } from '../dns/fake-client.js';
import type { QueueEntry } from '../store/types.js';
import { ArcForwarder } from './arc-forward.js';
import { dkimRecordStrings, generateDkimKey } from './dkim-keys.js';
import { mailauthResolver } from './mailauth-resolver.js';

const rsa = generateDkimKey('rsa-sha256', 'p1');
const ed = generateDkimKey('ed25519-sha256', 'p2');
const KEYS: Record<string, { domain: string; selector: string; algorithm: 'rsa-sha256' | 'ed25519-sha256'; privateKey: string }[]> = {
  'example.com': [{ domain: 'example.com', selector: 'p2', algorithm: 'ed25519-sha256', privateKey: ed.privateKey }, { domain: 'example.com', selector: 'p1', algorithm: 'rsa-sha256', privateKey: rsa.privateKey }],
  'edonly.example': [{ domain: 'edonly.example', selector: 'p2', algorithm: 'ed25519-sha256', privateKey: ed.privateKey }],
};
const forwarder = new ArcForwarder(async (d) => KEYS[d] ?? [], 'mx.example.com', () => Date.UTC(2026, 11, 3, 10));
const MESSAGE = Buffer.from(
  'Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=a@sender.test; dkim=none; dmarc=pass header.from=sender.test; arc=none\r\n' +
    'From: a@sender.test\r\nTo: sales@example.com\r\nSubject: Hello\r\nDate: Thu, 03 Dec 2026 09:58:00 +0000\r\nMessage-ID: <1@sender.test>\r\n\r\nHello.\r\n',
);

function entry(source: QueueEntry['source'], recipient: string, orcpt: string | null): QueueEntry {
  return { source, recipients: [{ recipient, orcpt }] } as unknown as QueueEntry;
}

describe('ARC sealing of forwarded mail', () => {
  it('seals mail the MX forwards through an alias with the alias domain\'s RSA key; it validates', async () => {
    const out = await forwarder.seal(entry('mx', 'bob@remote.test', 'rfc822;sales@example.com'), MESSAGE);
    assert.deepEqual(out.sealed, { domain: 'example.com', instance: 1, cv: 'none' });
    const text = out.bytes.toString('latin1');
    assert.match(text, /^ARC-Seal: i=1; a=rsa-sha256; [^]*\r\nARC-Message-Signature: i=1; [^]*d=example\.com;[^]*\r\nARC-Authentication-Results: i=1; mx\.example\.com;/);
    const zone = { 'p1._domainkey.example.com': { txtStrings: [dkimRecordStrings(rsa)] } };
    const resolver = mailauthResolver({ dns: fakeDns(zone), query: fakeDns(zone).query }, { maxQueries: 20 }) as never;
    const verified = await dkimVerify(out.bytes, { resolver });
    assert.equal((await arc(verified.arc as never, { resolver })).status.result, 'pass');
  });

  it('leaves alone what is not forwarded mail with our field, or has no RSA key to seal with', async () => {
    assert.equal((await forwarder.seal(entry('submission', 'bob@remote.test', null), MESSAGE)).skipped, 'not forwarded mail');
    const foreign = Buffer.from(MESSAGE.toString('latin1').replace('mx.example.com;', 'mx.elsewhere.test;'), 'latin1');
    assert.equal((await forwarder.seal(entry('mx', 'bob@remote.test', 'rfc822;sales@example.com'), foreign)).skipped, 'no Authentication-Results of ours');
    assert.equal((await forwarder.seal(entry('mx', 'bob@remote.test', 'rfc822;x@edonly.example'), MESSAGE)).skipped, 'no RSA key for edonly.example');
    const untouched = await forwarder.seal(entry('lmtp', 'bob@remote.test', 'rfc822;x@nothosted.test'), MESSAGE);
    assert.equal(untouched.bytes, MESSAGE);
    assert.equal(untouched.skipped, 'no RSA key for nothosted.test');
  });
});
