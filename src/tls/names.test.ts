/*
 * Name matching: exact, wildcard (one label only), case, IDN (A-labels),
 * trailing dot, hostile SNI names, and flat memory under name probing.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import * as tls from 'node:tls';
import type { LoadedCertificate } from './certificate.js';
import { normalizeCertificateName, normalizeServerName, wildcardKeyFor } from './names.js';
import { buildIndex, chooseDefault, selectFor } from './selection.js';

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T00:00:00Z');
const sharedContext = tls.createSecureContext();

function fake(id: string, names: string[], opts: { daysLeft?: number; generated?: boolean; startsIn?: number } = {}): LoadedCertificate {
  return {
    info: {
      names,
      issuer: 'CN=Test',
      subject: `CN=${names[0]}`,
      notBefore: new Date(NOW.getTime() + (opts.startsIn ?? -10) * DAY),
      notAfter: new Date(NOW.getTime() + (opts.daysLeft ?? 60) * DAY),
      source: id,
      selfSigned: false,
      fingerprint256: id,
    },
    sourceId: id,
    certPem: '',
    keyPem: '',
    context: sharedContext,
    generated: opts.generated ?? false,
  };
}

describe('normalizeServerName', () => {
  const table: [string | undefined, string | undefined][] = [
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['BÜCHER.example', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['*.example.com', undefined], // a client cannot ask for the wildcard entry
    ['a..example.com', undefined],
    ['exa mple.com', undefined],
    ['-bad.example.com', undefined],
    ['', undefined],
    [undefined, undefined],
    ['a'.repeat(64) + '.example.com', undefined],
    [`${'a.'.repeat(130)}com`, undefined], // > 253 characters
  ];
  for (const [input, expected] of table) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(normalizeServerName(input), expected);
    });
  }
});

describe('normalizeCertificateName and wildcardKeyFor', () => {
  it('keeps full-label wildcards, refuses partial and too-wide ones', () => {
    assert.equal(normalizeCertificateName('*.Example.com'), '*.example.com');
    assert.equal(normalizeCertificateName('f*.example.com'), undefined);
    assert.equal(normalizeCertificateName('*.com'), undefined);
    assert.equal(normalizeCertificateName('a.*.example.com'), undefined);
  });
  it('maps a name to the wildcard one label up', () => {
    assert.equal(wildcardKeyFor('a.example.com'), '*.example.com');
    assert.equal(wildcardKeyFor('a.b.example.com'), '*.b.example.com');
    assert.equal(wildcardKeyFor('example.com'), undefined);
  });
});

describe('selectFor', () => {
  const apex = fake('apex', ['example.com']);
  const wild = fake('wild', ['*.example.com']);
  const www = fake('www', ['www.example.com']);
  const idn = fake('idn', ['xn--bcher-kva.example']);
  const index = buildIndex([apex, wild, www, idn]);
  const table: [string | undefined, string | undefined][] = [
    ['example.com', 'apex'],
    ['EXAMPLE.com.', 'apex'],
    ['www.example.com', 'www'], // exact beats wildcard
    ['a.example.com', 'wild'],
    ['A.Example.Com', 'wild'],
    ['a.b.example.com', undefined], // wildcard covers one label only
    ['example.org', undefined],
    ['bücher.example', 'idn'],
    ['xn--bcher-kva.example', 'idn'],
    ['*.example.com', undefined],
    [undefined, undefined],
  ];
  for (const [name, expected] of table) {
    it(`${JSON.stringify(name)} -> ${expected ?? 'none'}`, () => {
      assert.equal(selectFor(index, name, NOW)?.sourceId, expected);
    });
  }

  it('prefers the currently valid certificate expiring last', () => {
    const older = fake('older', ['mx.example.net'], { daysLeft: 10 });
    const newer = fake('newer', ['mx.example.net'], { daysLeft: 80 });
    const future = fake('future', ['mx.example.net'], { daysLeft: 400, startsIn: 5 });
    const expired = fake('expired', ['mx.example.net'], { daysLeft: -1 });
    const idx = buildIndex([older, expired, future, newer]);
    assert.equal(selectFor(idx, 'mx.example.net', NOW)?.sourceId, 'newer');
    assert.equal(selectFor(buildIndex([expired, future]), 'mx.example.net', NOW)?.sourceId, 'future');
  });

  it('prefers a valid wildcard to an expired exact match, and any real one to the generated one', () => {
    const expiredExact = fake('expired', ['a.example.com'], { daysLeft: -3 });
    assert.equal(selectFor(buildIndex([expiredExact, wild]), 'a.example.com', NOW)?.sourceId, 'wild');
    const generated = fake('gen', ['a.example.com'], { generated: true, daysLeft: 300 });
    assert.equal(selectFor(buildIndex([generated, expiredExact]), 'a.example.com', NOW)?.sourceId, 'expired');
  });
});

describe('chooseDefault', () => {
  const host = fake('host', ['mx.example.net']);
  const first = fake('first', ['a.example']);
  const named = fake('named', ['*.example.org']);
  const gen = fake('gen', ['mx.example.net', 'b.example'], { generated: true });
  it('defaultName, then host name, then first real, then generated', () => {
    assert.equal(chooseDefault(buildIndex([first, host, named, gen]), 'www.example.org', 'mx.example.net', NOW)?.sourceId, 'named');
    assert.equal(chooseDefault(buildIndex([first, host, named, gen]), undefined, 'mx.example.net', NOW)?.sourceId, 'host');
    assert.equal(chooseDefault(buildIndex([first, host, named, gen]), 'nothing.example', 'MX.example.net.', NOW)?.sourceId, 'host');
    assert.equal(chooseDefault(buildIndex([first, named, gen]), undefined, 'mx.example.net', NOW)?.sourceId, 'first');
    assert.equal(chooseDefault(buildIndex([gen]), undefined, 'mx.example.net', NOW)?.sourceId, 'gen');
  });
});

describe('SNI probing (memory stays flat)', () => {
  it('100 000 distinct unknown names leave the index unchanged', () => {
    const index = buildIndex([fake('a', ['a.example', '*.b.example'])]);
    const keys = index.byName.size;
    for (let i = 0; i < 100_000; i++) {
      assert.equal(selectFor(index, `x${i}.probe${i % 97}.example`, NOW), undefined);
    }
    assert.equal(index.byName.size, keys);
  });
});
