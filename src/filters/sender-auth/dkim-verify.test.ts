/*
 * Tests of our DKIM verifier against signatures made by an independent
 * signer (mailauth's), every canonicalization, both algorithms, l=, and
 * each way a signature or key can be wrong, with literal fields where
 * the text matters; plus mutated messages, which must give a result,
 * never an exception.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { LookupError, type MailauthResolver } from '../../sender-auth/mailauth-resolver.js';
import { clearDkimKeyCache, verifyDkim } from './dkim-verify.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');

const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' }).toString('base64');
const edRaw = (k: KeyObject) => k.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64');

const NOW = new Date(Date.UTC(2026, 11, 4, 12));

const MESSAGE = Buffer.from(
  'From: Alice <alice@example.org>\r\n' +
    'To: bob@example.net\r\n' +
    'Subject:   a  test\r\n' +
    '\t folded\r\n' +
    'Date: Fri, 04 Dec 2026 12:00:00 +0000\r\n' +
    'Message-ID: <1@example.org>\r\n' +
    '\r\n' +
    'Hello  Bob, \t\r\n' +
    '\r\n' +
    'a line\twith a tab\r\n' +
    '\r\n\r\n',
);

/** Records by name; a string value is one TXT record, an Error is thrown. */
function resolverOf(records: Record<string, string | Error>): MailauthResolver & { asked: string[] } {
  const asked: string[] = [];
  const fn = async (name: string, type: string) => {
    asked.push(`${type} ${name}`);
    const r = records[name.toLowerCase()];
    if (r === undefined) throw new LookupError('ENOTFOUND', `${name} does not exist`);
    if (r instanceof Error) throw r;
    return [[r]];
  };
  return Object.assign(fn, { asked });
}

const KEYS = resolverOf({
  'rsa._domainkey.example.org': `v=DKIM1; k=rsa; p=${spki(rsa.publicKey)}`,
  'ed._domainkey.example.org': `v=DKIM1; k=ed25519; p=${edRaw(ed.publicKey)}`,
  'other._domainkey.example.org': `v=DKIM1; p=${spki(otherRsa.publicKey)}`,
  'revoked._domainkey.example.org': 'v=DKIM1; p=',
  'sha1only._domainkey.example.org': `v=DKIM1; h=sha1; p=${spki(rsa.publicKey)}`,
  'web._domainkey.example.org': `v=DKIM1; s=web; p=${spki(rsa.publicKey)}`,
  'strict._domainkey.example.org': `v=DKIM1; t=s; p=${spki(rsa.publicKey)}`,
  'broken._domainkey.example.org': 'v=DKIM1; p=bm90IGEga2V5',
  'servfail._domainkey.example.org': new LookupError('ESERVFAIL', 'SERVFAIL'),
  'limit._domainkey.example.org': new LookupError('ELIMIT', 'more than 20 DNS questions'),
});

interface SignOptions {
  selector?: string;
  key?: KeyObject;
  canonicalization?: string;
  algorithm?: string;
  maxBodyLength?: number;
  expires?: Date;
}

async function signed(message: Buffer, o: SignOptions = {}): Promise<Buffer> {
  const privateKey = (o.key ?? rsa.privateKey).export({ type: 'pkcs8', format: 'pem' });
  const result = await dkimSign(message, {
    canonicalization: o.canonicalization ?? 'relaxed/relaxed',
    algorithm: o.algorithm,
    signTime: new Date(NOW.getTime() - 60_000),
    expires: o.expires,
    signatureData: [{ signingDomain: 'example.org', selector: o.selector ?? 'rsa', privateKey, maxBodyLength: o.maxBodyLength }],
  } as never);
  assert.deepEqual(result.errors, []);
  return Buffer.concat([Buffer.from(result.signatures), message]);
}

const verifyOne = async (message: Buffer, minKeyBits = 1024) => {
  const results = await verifyDkim(message, KEYS, NOW, minKeyBits);
  assert.equal(results.length, 1);
  return results[0]!;
};

describe('DKIM verification', () => {
  for (const canonicalization of ['simple/simple', 'simple/relaxed', 'relaxed/simple', 'relaxed/relaxed']) {
    it(`passes a signature made by mailauth with c=${canonicalization}`, async () => {
      const r = await verifyOne(await signed(MESSAGE, { canonicalization }));
      assert.deepEqual({ result: r.result, domain: r.domain, selector: r.selector }, { result: 'pass', domain: 'example.org', selector: 'rsa' });
      assert.equal(r.b.length, 8);
    });
  }

  it('passes Ed25519-SHA256 (RFC 8463), the key published as its 32 octets', async () => {
    const r = await verifyOne(await signed(MESSAGE, { selector: 'ed', key: ed.privateKey, algorithm: 'ed25519-sha256' }));
    assert.equal(r.result, 'pass', r.comment);
  });

  it('fails a changed body ("body hash did not verify") and a changed signed field ("bad signature")', async () => {
    const good = (await signed(MESSAGE)).toString('latin1');
    const body = await verifyOne(Buffer.from(good.replace('Hello  Bob', 'Hello Eve'), 'latin1'));
    assert.deepEqual([body.result, body.comment], ['fail', 'body hash did not verify']);
    const field = await verifyOne(Buffer.from(good.replace('Subject:   a  test', 'Subject: a pest'), 'latin1'));
    assert.deepEqual([field.result, field.comment], ['fail', 'bad signature']);
  });

  it('relaxed canonicalization ignores what relays change: folding, case of names, runs of blanks, empty lines at the end', async () => {
    const good = (await signed(MESSAGE)).toString('latin1');
    const relayed = good.replace('Subject:   a  test\r\n\t folded', 'SUBJECT: a test folded').replace('\r\n\r\n\r\n', '\r\n\r\n\r\n\r\n\r\n') + '\r\n';
    assert.equal((await verifyOne(Buffer.from(relayed, 'latin1'))).result, 'pass');
    const simple = (await signed(MESSAGE, { canonicalization: 'simple/simple' })).toString('latin1');
    const changed = simple.replace('Subject:   a  test', 'Subject: a  test');
    assert.equal((await verifyOne(Buffer.from(changed, 'latin1'))).result, 'fail');
    assert.equal((await verifyOne(Buffer.from(simple + '\r\n\r\n', 'latin1'))).result, 'pass', 'simple: empty lines at the end are ignored too');
  });

  it('l= hashes only that many octets: text added after them still passes; an l= longer than the body fails', async () => {
    const message = await signed(MESSAGE, { maxBodyLength: 10 });
    assert.equal((await verifyOne(Buffer.concat([message, Buffer.from('appended\r\n')]))).result, 'pass');
    const tooLong = await signed(Buffer.from('From: a@example.org\r\n\r\nshort\r\n'), { maxBodyLength: 10 });
    const cut = Buffer.from(tooLong.toString('latin1').replace(/short\r\n$/, ''), 'latin1');
    const r = await verifyOne(cut);
    assert.deepEqual([r.result, r.comment], ['fail', 'body hash did not verify']);
  });

  it('reads the key record strictly: wrong key fails, unpublished, revoked, unusable or not-for-email keys are permerror', async () => {
    const cases: [string, string, string][] = [
      ['other', 'fail', 'bad signature'],
      ['missing', 'permerror', 'no key'],
      ['revoked', 'permerror', 'key revoked'],
      ['sha1only', 'permerror', 'key does not allow the hash'],
      ['web', 'permerror', 'key not for email'],
      ['broken', 'permerror', 'invalid public key'],
    ];
    for (const [selector, result, comment] of cases) {
      const message = (await signed(MESSAGE)).toString('latin1').replace('s=rsa;', `s=${selector};`);
      const r = await verifyOne(Buffer.from(message, 'latin1'));
      assert.deepEqual([r.result, r.comment], [result, comment], selector);
    }
  });

  it('DNS trouble is temperror, our own question bound marked exhausted', async () => {
    const base = (await signed(MESSAGE)).toString('latin1');
    const servfail = await verifyOne(Buffer.from(base.replace('s=rsa;', 's=servfail;'), 'latin1'));
    assert.deepEqual([servfail.result, servfail.comment, servfail.exhausted], ['temperror', 'DNS failure', undefined]);
    const limit = await verifyOne(Buffer.from(base.replace('s=rsa;', 's=limit;'), 'latin1'));
    assert.deepEqual([limit.result, limit.exhausted], ['temperror', true]);
  });

  it('a key under minKeyBits is policy (RFC 8301); an expired signature neutral; x= before t= permerror', async () => {
    assert.deepEqual([(await verifyOne(await signed(MESSAGE), 4096)).result], ['policy']);
    const expired = await verifyOne(await signed(MESSAGE, { expires: new Date(NOW.getTime() - 1000) }));
    assert.deepEqual([expired.result, expired.comment], ['neutral', 'signature expired']);
  });

  it('t=s keys need i= to be d= itself', async () => {
    const base = (await signed(MESSAGE)).toString('latin1');
    const message = base.replace('s=rsa;', 's=strict;').replace('d=example.org;', 'd=example.org; i=@mail.example.org;');
    assert.deepEqual([(await verifyOne(Buffer.from(message, 'latin1'))).comment], ['key requires i= in d= exactly']);
  });

  const FIELDS: [string, string, string][] = [
    ['no bh=', 'DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=rsa; h=from; b=AAAA', 'missing bh='],
    ['v=2', 'DKIM-Signature: v=2; a=rsa-sha256; d=example.org; s=rsa; h=from; bh=AAAA; b=AAAA', 'incompatible version'],
    ['From not signed', 'DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=rsa; h=to:subject; bh=AAAA; b=AAAA', 'From not signed'],
    ['a tag twice', 'DKIM-Signature: v=1; a=rsa-sha256; d=example.org; d=evil.example; s=rsa; h=from; bh=AAAA; b=AAAA', 'tag d repeated'],
    ['i= outside d=', 'DKIM-Signature: v=1; a=rsa-sha256; d=example.org; i=a@evil.example; s=rsa; h=from; bh=AAAA; b=AAAA', 'i= not within d='],
    ['unknown a=', 'DKIM-Signature: v=1; a=dsa-sha256; d=example.org; s=rsa; h=from; bh=AAAA; b=AAAA', 'unknown algorithm'],
    ['unknown c=', 'DKIM-Signature: v=1; a=rsa-sha256; c=loose; d=example.org; s=rsa; h=from; bh=AAAA; b=AAAA', 'unknown canonicalization'],
    ['bad l=', 'DKIM-Signature: v=1; a=rsa-sha256; l=-1; d=example.org; s=rsa; h=from; bh=AAAA; b=AAAA', 'invalid l='],
    ['x= before t=', 'DKIM-Signature: v=1; a=rsa-sha256; t=200; x=100; d=example.org; s=rsa; h=from; bh=AAAA; b=AAAA', 'x= before t='],
    ['no tag list', 'DKIM-Signature: garbage', 'malformed tag list'],
  ];
  for (const [name, field, comment] of FIELDS) {
    it(`permerror for a malformed signature: ${name}`, async () => {
      const r = await verifyOne(Buffer.concat([Buffer.from(`${field}\r\n`), MESSAGE]));
      assert.deepEqual([r.result, r.comment], ['permerror', comment]);
    });
  }

  it('verifies every signature on its own, topmost first, at most ten; an unsigned message has none', async () => {
    assert.deepEqual(await verifyDkim(MESSAGE, KEYS, NOW, 1024), []);
    const one = await signed(MESSAGE);
    const two = await signed(one, { selector: 'ed', key: ed.privateKey, algorithm: 'ed25519-sha256' });
    const r = await verifyDkim(two, KEYS, NOW, 1024);
    assert.deepEqual(r.map((x) => `${x.result}:${x.selector}`), ['pass:ed', 'pass:rsa']);
    const many = Buffer.concat([Buffer.from('DKIM-Signature: v=1; d=x.example\r\n'.repeat(12)), MESSAGE]);
    assert.equal((await verifyDkim(many, KEYS, NOW, 1024)).length, 10);
  });

  it('a parsed key is kept by its record text: a changed record is read afresh', async () => {
    clearDkimKeyCache();
    const records: Record<string, string> = { 'rsa._domainkey.example.org': `v=DKIM1; p=${spki(rsa.publicKey)}` };
    const resolver = resolverOf(records);
    const message = await signed(MESSAGE);
    assert.equal((await verifyDkim(message, resolver, NOW, 1024))[0]!.result, 'pass');
    records['rsa._domainkey.example.org'] = `v=DKIM1; p=${spki(otherRsa.publicKey)}`;
    assert.equal((await verifyDkim(message, resolver, NOW, 1024))[0]!.result, 'fail');
    assert.equal(resolver.asked.length, 2, 'the question is asked each time');
  });

  it('mutated signed messages always give a result, never an exception', async () => {
    const base = await signed(MESSAGE);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 300; i++) {
      const m = Buffer.from(base);
      for (let j = 0; j < 1 + Math.floor(random() * 4); j++) m[Math.floor(random() * m.length)] = Math.floor(random() * 256);
      const r = await verifyDkim(m, KEYS, NOW, 1024);
      for (const x of r) assert.ok(['pass', 'fail', 'neutral', 'policy', 'permerror', 'temperror'].includes(x.result));
    }
  });
});
