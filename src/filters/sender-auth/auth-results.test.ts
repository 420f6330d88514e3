/*
 * Authentication-Results as written, literal strings: values bare when
 * RFC 8601's pvalue allows it, quoted otherwise; comments escaped; a
 * sender's address cannot add a property, a method or a header field;
 * long lines folded at spaces; "none" for nothing checked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authenticationResults, comment, noAuthenticationResults, pvalue } from './auth-results.js';

describe('pvalue', () => {
  const table: [string, string][] = [
    ['example.org', 'example.org'],
    ['alice@example.org', 'alice@example.org'],
    ['first.last+tag@example.org', 'first.last+tag@example.org'],
    ['@example.org', '@example.org'],
    ['AbCd1234', 'AbCd1234'],
    ['ab/c+d==', '"ab/c+d=="'],
    ['"quoted local"@example.org', '"\\"quoted local\\"@example.org"'],
    ['a;dkim=pass@example.org', '"a;dkim=pass@example.org"'],
    ['x@example.org\r\nX-Evil: 1', '"x@example.org X-Evil: 1"'],
    ['back\\slash@example.org', '"back\\\\slash@example.org"'],
    ['jörg@example.org', 'jörg@example.org'],
  ];
  for (const [input, expected] of table) it(JSON.stringify(input), () => assert.equal(pvalue(input), expected));
});

describe('comment', () => {
  it('escapes parentheses and backslashes, flattens line breaks, cuts at 80 characters', () => {
    assert.equal(comment('no key (really)'), '(no key \\(really\\))');
    assert.equal(comment('a\\b\r\nc'), '(a\\\\b c)');
    assert.equal(comment('x'.repeat(100)), `(${'x'.repeat(80)})`);
    assert.equal(comment('i=1 cv=x;arc=pass'), '(i=1 cv=x,arc=pass)');
  });
});

describe('authenticationResults', () => {
  it('every method, in order, one per line', () => {
    assert.equal(
      authenticationResults({
        authservId: 'mx.example.net',
        spf: { result: 'pass', identity: 'mailfrom', value: 'alice@example.org' },
        dkim: [{ result: 'pass', domain: 'example.org', selector: 's2026', b: 'AbCdEfGh' }],
        dmarc: { result: 'pass', from: 'example.org', comment: 'p=reject dis=none' },
        arc: { result: 'none' },
      }),
      'Authentication-Results: mx.example.net;\r\n'
        + ' spf=pass smtp.mailfrom=alice@example.org;\r\n'
        + ' dkim=pass header.d=example.org header.s=s2026 header.b=AbCdEfGh;\r\n'
        + ' dmarc=pass (p=reject dis=none) header.from=example.org;\r\n'
        + ' arc=none',
    );
  });

  it('the null sender as smtp.helo; no signature as dkim=none; a base64 header.b quoted; a failure\'s comment', () => {
    assert.equal(
      authenticationResults({
        authservId: 'mx.example.net',
        spf: { result: 'softfail', identity: 'helo', value: 'mail.example.org' },
        dkim: [],
        dmarc: { result: 'fail', comment: 'several From addresses' },
        arc: { result: 'fail', comment: 'i=2 seal signature validation failed' },
      }),
      'Authentication-Results: mx.example.net;\r\n'
        + ' spf=softfail smtp.helo=mail.example.org;\r\n'
        + ' dkim=none;\r\n'
        + ' dmarc=fail (several From addresses);\r\n'
        + ' arc=fail (i=2 seal signature validation failed)',
    );
    assert.equal(
      authenticationResults({ authservId: 'mx', dkim: [{ result: 'fail', domain: 'example.org', selector: 'sel', b: 'a+b/c=d=', comment: 'bad signature' }] }),
      'Authentication-Results: mx;\r\n dkim=fail (bad signature) header.d=example.org header.s=sel\r\n header.b="a+b/c=d="',
    );
  });

  it('folds a long line at spaces, and unfolding gives the line back', () => {
    const field = authenticationResults({
      authservId: 'mx.example.net',
      dkim: [{ result: 'permerror', domain: 'a-rather-long-signing-domain.example.org', selector: 'selector-2026-rotation', b: 'AbCdEfGh', comment: 'no key' }],
    });
    assert.equal(
      field,
      'Authentication-Results: mx.example.net;\r\n'
        + ' dkim=permerror (no key) header.d=a-rather-long-signing-domain.example.org\r\n'
        + ' header.s=selector-2026-rotation header.b=AbCdEfGh',
    );
    assert.equal(field.replace(/\r\n /g, ' '), 'Authentication-Results: mx.example.net; dkim=permerror (no key) header.d=a-rather-long-signing-domain.example.org header.s=selector-2026-rotation header.b=AbCdEfGh');
  });

  it('a hostile sender address stays inside one quoted value', () => {
    const field = authenticationResults({ authservId: 'mx', spf: { result: 'fail', identity: 'mailfrom', value: '"x;dkim=pass"@evil.example' }, dkim: [] });
    assert.equal(field, 'Authentication-Results: mx;\r\n spf=fail smtp.mailfrom="\\"x;dkim=pass\\"@evil.example";\r\n dkim=none');
  });

  it('nothing checked: "none"', () => {
    assert.equal(noAuthenticationResults('mx.example.net'), 'Authentication-Results: mx.example.net; none');
  });
});
