/*
 * The DMARC pieces that are pure: identifier alignment (strict and
 * relaxed over the Public Suffix List, the case mailauth 4.13 gets wrong
 * included), the record's tags, and the Author Domain of a header block
 * (several From fields or addresses, groups, no address).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aligned, authorDomains, orgDomain, readDmarcTags } from './dmarc.js';

describe('alignment', () => {
  const table: [string, string, 'strict' | 'relaxed', boolean][] = [
    ['example.com', 'example.com', 'strict', true],
    ['example.com', 'EXAMPLE.com.', 'strict', true],
    ['example.com', 'mail.example.com', 'strict', false],
    // mailauth 4.13 aligns these under strict: the Organizational Domain of d= equals the From domain.
    ['sub.example.com', 'example.com', 'strict', false],
    ['example.com', 'mail.example.com', 'relaxed', true],
    ['news.example.com', 'mail.example.com', 'relaxed', true],
    ['example.co.uk', 'mail.example.co.uk', 'relaxed', true],
    // Two registrations under one public suffix do not align.
    ['a.co.uk', 'b.co.uk', 'relaxed', false],
    ['alice.github.io', 'bob.github.io', 'relaxed', false],
    ['example.com', 'example.net', 'relaxed', false],
    ['example.com', '', 'relaxed', false],
  ];
  for (const [author, id, mode, expected] of table) {
    it(`${id || '(none)'} ${expected ? 'aligns' : 'does not align'} with ${author} (${mode})`, () => assert.equal(aligned(author, id, mode), expected));
  }

  it('the Organizational Domain', () => {
    assert.equal(orgDomain('a.b.example.co.uk'), 'example.co.uk');
    assert.equal(orgDomain('mail.petrel.test'), 'petrel.test');
    assert.equal(orgDomain('localhost'), 'localhost');
  });
});

describe('the record\'s tags', () => {
  it('reads policies case-insensitively and pct as an integer 0 to 100', () => {
    assert.deepEqual(readDmarcTags('v=DMARC1; p=Reject; sp=QUARANTINE; adkim=s; aspf=r; pct=20; rua=mailto:d@example.com'), {
      p: 'reject', sp: 'quarantine', adkim: 'strict', aspf: 'relaxed', pct: 20, invalidPolicy: false, rua: true,
    });
    assert.equal(readDmarcTags('v=DMARC1; p=none; pct=abc').pct, 100);
    assert.equal(readDmarcTags('v=DMARC1; p=none; pct=101').pct, 100);
    assert.equal(readDmarcTags('v=DMARC1; p=none; pct=0').pct, 0);
    assert.equal(readDmarcTags('v=DMARC1; p=block').invalidPolicy, true);
    assert.equal(readDmarcTags('v=DMARC1; p=none; sp=block').invalidPolicy, true);
    assert.equal(readDmarcTags('v=DMARC1').invalidPolicy, true);
  });
});

describe('the Author Domain', () => {
  const h = (...lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
  it('one address in one From field', () => {
    assert.deepEqual(authorDomains(h('From: "Alice, A." <alice@Example.COM>', 'To: b@x.test')), { ok: true, domain: 'example.com' });
    assert.deepEqual(authorDomains(h('from: =?utf-8?q?J=C3=B6rg?= <j@bücher.example>')), { ok: true, domain: 'xn--bcher-kva.example' });
    assert.deepEqual(authorDomains(h('From:', ' alice@example.com')), { ok: true, domain: 'example.com' }, 'folded');
  });
  it('several fields, several addresses, none: not one domain, with the domains named', () => {
    assert.deepEqual(authorDomains(h('From: a@one.example', 'From: b@two.example')), { ok: false, problem: 'several From fields', domains: ['one.example', 'two.example'] });
    assert.deepEqual(authorDomains(h('From: a@one.example, b@two.example')), { ok: false, problem: 'several From addresses', domains: ['one.example', 'two.example'] });
    assert.deepEqual(authorDomains(h('From: a@one.example, b@one.example')), { ok: false, problem: 'several From addresses', domains: ['one.example'] });
    assert.deepEqual(authorDomains(h('From: friends: a@one.example, b@two.example;')), { ok: false, problem: 'several From addresses', domains: ['one.example', 'two.example'] });
    assert.deepEqual(authorDomains(h('To: b@x.test')), { ok: false, problem: 'no From field', domains: [] });
    assert.deepEqual(authorDomains(h('From: undisclosed-recipients:;')), { ok: false, problem: 'no From address', domains: [] });
    assert.deepEqual(authorDomains(h('From: alice')), { ok: false, problem: 'no From address', domains: [] });
  });
});
