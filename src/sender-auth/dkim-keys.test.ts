/*
 * DKIM keys and their records: the published public key is the private
 * key's (a signature made with one verifies with the other), the record is
 * cut into strings of at most 255 octets that join back to it, Ed25519
 * records carry the raw key (RFC 8463), selectors are dated.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { defaultSelector, dkimRecordStrings, dkimRecordValue, dkimZoneLine, generateDkimKey, MAX_TXT_STRING } from './dkim-keys.js';

/** The SPKI DER prefix of an Ed25519 public key (RFC 8410); the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

describe('DKIM keys', () => {
  it('makes an RSA-2048 key whose record carries its public half', () => {
    const key = generateDkimKey('rsa-sha256', 's2026');
    assert.equal(key.selector, 's2026');
    const publicKey = createPublicKey({ key: Buffer.from(key.publicKey, 'base64'), format: 'der', type: 'spki' });
    assert.equal(publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    const data = Buffer.from('headers to sign');
    const signature = sign('sha256', data, createPrivateKey(key.privateKey));
    assert.ok(verify('sha256', data, publicKey, signature));
    assert.match(dkimRecordValue(key), /^v=DKIM1; k=rsa; p=MIIB[A-Za-z0-9+/]+=*$/);
  });

  it('makes an Ed25519 key under its own selector, the record holding the raw 32-byte key', () => {
    const key = generateDkimKey('ed25519-sha256', 's2026');
    assert.equal(key.selector, 's2026-ed');
    const raw = Buffer.from(key.publicKey, 'base64');
    assert.equal(raw.length, 32);
    const publicKey = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    const data = Buffer.from('sha256 of the headers');
    assert.ok(verify(null, data, publicKey, sign(null, data, createPrivateKey(key.privateKey))));
    assert.equal(dkimRecordValue(key), `v=DKIM1; k=ed25519; p=${key.publicKey}`);
    assert.deepEqual(dkimRecordStrings(key), [dkimRecordValue(key)], 'short enough for one string');
  });

  it('cuts a long record into strings of at most 255 octets in one zone-file record', () => {
    const key = generateDkimKey('rsa-sha256', 'sel');
    const strings = dkimRecordStrings(key);
    assert.equal(strings.length, 2);
    assert.ok(strings.every((s) => s.length <= MAX_TXT_STRING));
    assert.equal(strings[0]!.length, MAX_TXT_STRING);
    assert.equal(strings.join(''), dkimRecordValue(key));
    assert.equal(dkimZoneLine('example.com', key), `sel._domainkey.example.com. 3600 IN TXT ( "${strings[0]}" "${strings[1]}" )`);
  });

  it('dates the default selector by the year', () => {
    assert.equal(defaultSelector(new Date(Date.UTC(2026, 10, 28))), 's2026');
    assert.equal(defaultSelector(new Date(Date.UTC(2031, 0, 1))), 's2031');
  });
});
