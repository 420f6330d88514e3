/*
 * The SPF parser as a table of literal records: glued qualifiers with the
 * position they are reported at, grammar errors and warnings, version
 * near-misses, and the bounds on hostile records.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDnsTerm, isSpfRecord, looksLikeSpf, parseSpf, parseSpfTerm, repairVersion } from './spf-parse.js';

describe('SPF record selection (RFC 7208 4.5)', () => {
  const table: [string, boolean, boolean][] = [
    // record, isSpfRecord, looksLikeSpf
    ['v=spf1 mx -all', true, false],
    ['V=SPF1 mx -all', true, false],
    ['v=spf1', true, false],
    ['v=spf1mx -all', false, true],
    [' v=spf1 mx -all', false, true],
    ['"v=spf1 mx -all"', false, true],
    ['v = spf1 mx -all', false, true],
    ['spf1 mx -all', false, true],
    ['v=spf2.0/pra mx -all', false, false],
    ['google-site-verification=abc', false, false],
    ['v=DMARC1; p=none', false, false],
  ];
  for (const [record, spf, near] of table) {
    it(JSON.stringify(record), () => {
      assert.equal(isSpfRecord(record), spf);
      assert.equal(looksLikeSpf(record), near);
    });
  }

  it('repairVersion gives a near miss the version it meant', () => {
    assert.equal(repairVersion('v=spf1mx -all'), 'v=spf1 mx -all');
    assert.equal(repairVersion('"v=spf1 mx -all"'), 'v=spf1 mx -all');
    assert.equal(repairVersion(' v = spf1 a -all'), 'v=spf1 a -all');
    assert.equal(repairVersion('v=spf1-all'), 'v=spf1 -all');
  });
});

describe('glued qualifiers (D03): where the space is missing', () => {
  const table: { record: string; position: number; index: number; parts: string[] }[] = [
    { record: 'v=spf1 mx include:spf.example.com-all', position: 34, index: 2, parts: ['include:spf.example.com', '-all'] },
    { record: 'v=spf1 ip4:192.0.2.1~all', position: 21, index: 1, parts: ['ip4:192.0.2.1', '~all'] },
    { record: 'v=spf1 mx-all', position: 10, index: 1, parts: ['mx', '-all'] },
    { record: 'v=spf1 a/24?all', position: 12, index: 1, parts: ['a/24', '?all'] },
    { record: 'v=spf1 ip4:192.0.2.1-ip4:192.0.2.2 -all', position: 21, index: 1, parts: ['ip4:192.0.2.1', '-ip4:192.0.2.2'] },
    { record: 'v=spf1 ip4:192.0.2.1~ip4:192.0.2.2-all', position: 21, index: 1, parts: ['ip4:192.0.2.1', '~ip4:192.0.2.2', '-all'] },
    { record: 'v=spf1 redirect=_spf.example.com-all', position: 33, index: 1, parts: ['redirect=_spf.example.com', '-all'] },
    { record: 'v=spf1 ip6:2001:db8::1+mx -all', position: 23, index: 1, parts: ['ip6:2001:db8::1', '+mx'] },
  ];
  for (const c of table) {
    it(c.record, () => {
      const p = parseSpf(c.record);
      assert.equal(p.glued.length, 1);
      assert.deepEqual(p.glued[0], { position: c.position, index: c.index, term: c.record.split(' ')[c.index]!, parts: c.parts });
      assert.equal(c.record[c.position - 1], c.parts[1]![0], 'the position points at the qualifier');
      // The terms read as if the space were there: no grammar error left.
      assert.deepEqual(p.problems.filter((x) => x.severity === 'error'), []);
    });
  }

  it('the repaired record ends in -all', () => {
    const p = parseSpf('v=spf1 mx include:spf.example.com-all');
    assert.equal(p.all?.qualifier, '-');
    assert.deepEqual(p.terms.map((t) => t.text), ['mx', 'include:spf.example.com', '-all']);
  });

  const notGlued = [
    'v=spf1 include:_spf-mx.example.com -all',
    'v=spf1 include:spf-all.example.com -all',
    'v=spf1 a:mail-a.example.com -all',
    'v=spf1 include:spf.xn--p1ai -all',
    'v=spf1 exists:%{i}._spf.example.com -all',
  ];
  for (const record of notGlued) {
    it(`not glued: ${record}`, () => {
      const p = parseSpf(record);
      assert.deepEqual(p.glued, []);
      assert.deepEqual(p.problems, []);
    });
  }
});

describe('grammar (D04)', () => {
  const errors: [string, RegExp][] = [
    ['v=spf1 ip4:192.0.2.300 -all', /ip4: "192\.0\.2\.300" is not an IPv4 address/],
    ['v=spf1 ip4:192.0.2.01 -all', /not an IPv4 address/],
    ['v=spf1 ip4:192.0.2.0/33 -all', /CIDR length \/33 is over \/32/],
    ['v=spf1 ip4:192.0.2.0/024 -all', /no leading zeros/],
    ['v=spf1 ip6:2001:db8::g -all', /ip6: "2001:db8::g" is not an IPv6 address/],
    ['v=spf1 ip6:2001:db8::/129 -all', /over \/128/],
    ['v=spf1 ip4: -all', /not an IPv4 address/],
    ['v=spf1 ip4 -all', /"ip4" needs ":address"/],
    ['v=spf1 include -all', /"include" needs ":domain"/],
    ['v=spf1 include:localhost -all', /not a fully qualified domain name/],
    ['v=spf1 include:example.123 -all', /top-level label/],
    ['v=spf1 a: -all', /an empty domain/],
    ['v=spf1 mxs -all', /unknown mechanism "mxs"/],
    ['v=spf1 all:x', /"all" takes no value/],
    ['v=spf1 redirect=a.example.com redirect=b.example.com', /a second redirect=/],
    ['v=spf1 exp=a.example.com exp=b.example.com -all', /a second exp=/],
    ['v=spf1 exists:%{z}.example.com -all', /does not start a macro/],
    ['v=spf1 include:spf.exämple.com -all', /outside printable ASCII/],
    ['v=spf1 +-all', /"-all" is not a mechanism|unknown mechanism/],
  ];
  for (const [record, message] of errors) {
    it(`error: ${record}`, () => {
      const p = parseSpf(record);
      const found = p.problems.filter((x) => x.severity === 'error');
      assert.ok(found.some((x) => message.test(x.message)), JSON.stringify(p.problems));
    });
  }

  const warnings: [string, RegExp][] = [
    ['v=spf1 -all mx', /comes after "all" and is never evaluated/],
    ['v=spf1 -all ~all', /comes after "all"/],
    ['v=spf1 mx redirect=_spf.example.com -all', /redirect= is ignored because the record has "all"/],
    ['v=spf1 mx rediect=_spf.example.com', /unknown modifier "rediect"/],
    ['v=spf1 mx\t-all', /a tab or line break/],
  ];
  for (const [record, message] of warnings) {
    it(`warning: ${JSON.stringify(record)}`, () => {
      const p = parseSpf(record);
      assert.deepEqual(p.problems.filter((x) => x.severity === 'error'), []);
      assert.ok(p.problems.some((x) => x.severity === 'warning' && message.test(x.message)), JSON.stringify(p.problems));
    });
  }

  const valid = [
    'v=spf1 mx -all',
    'v=spf1',
    'v=spf1 a mx/24 a:mail.example.com/24//64 ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.com exists:%{i}.%{h}._spf.%{d} ptr:example.com ~all',
    'v=spf1 redirect=_spf.example.com',
    'v=spf1 ?all exp=explain.%{d}',
    'v=spf1 include:spf.example.com. -all',
    'v=spf1 a:%{d} -all',
    'v=spf1 exists:%%%_%-.example.com -all',
  ];
  for (const record of valid) {
    it(`valid: ${record}`, () => assert.deepEqual(parseSpf(record).problems, []));
  }

  it('terms carry their values, CIDR lengths, macros and positions', () => {
    const t = parseSpfTerm('~a:mail.example.com/24//64', 8, 1);
    assert.deepEqual(t, { text: '~a:mail.example.com/24//64', position: 8, index: 1, macro: false, kind: 'mechanism', qualifier: '~', name: 'a', value: 'mail.example.com', cidr4: 24, cidr6: 64 });
    assert.equal(parseSpfTerm('exists:%{i}.example.com').macro, true);
    assert.equal(parseSpfTerm('ip6:2001:db8::/48').cidr6, 48);
  });

  it('counts DNS-querying terms (RFC 7208 4.6.4)', () => {
    const p = parseSpf('v=spf1 a mx ptr include:a.example.com exists:b.example.com ip4:192.0.2.1 ip6:2001:db8::1 all redirect=c.example.com exp=d.example.com');
    assert.deepEqual(p.terms.filter(isDnsTerm).map((t) => t.name), ['a', 'mx', 'ptr', 'include', 'exists', 'redirect']);
  });
});

describe('hostile records are bounded', () => {
  it('a record over 4 KiB is an error and is cut', () => {
    const p = parseSpf(`v=spf1 ${'a '.repeat(3000)}-all`);
    assert.ok(p.problems.some((x) => /longer than 4096 octets/.test(x.message)));
    assert.ok(p.terms.length <= 100);
  });

  it('more than 100 terms: an error, the rest not read', () => {
    const p = parseSpf(`v=spf1 ${'ip4:192.0.2.1 '.repeat(150)}-all`);
    assert.equal(p.terms.length, 100);
    assert.ok(p.problems.some((x) => /more than 100 terms/.test(x.message)));
  });

  it('a term of qualifiers does not blow up the glue search', () => {
    const started = Date.now();
    const p = parseSpf(`v=spf1 ${'-a'.repeat(250)}`);
    assert.ok(Date.now() - started < 1000);
    assert.ok(p.problems.length > 0 || p.glued.length > 0);
  });
});
