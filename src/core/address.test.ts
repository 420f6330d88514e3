import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { domainToAscii, domainToDisplay, parseAddress, type AddressProblem } from './address.js';

describe('parseAddress: envelope addresses from the wire', () => {
  const ok: [string, string, string][] = [
    ['alice@example.com', 'alice', 'example.com'],
    ['Alice.Smith+tag@EXAMPLE.com', 'Alice.Smith+tag', 'example.com'],
    ['user@example.com.', 'user', 'example.com'],
    ['jörg@bücher.example', 'jörg', 'xn--bcher-kva.example'],
    ['x@xn--bcher-kva.example', 'x', 'xn--bcher-kva.example'],
    ["o'neil{}|~@sub.example.org", "o'neil{}|~", 'sub.example.org'],
  ];
  for (const [input, local, domain] of ok) {
    it(`accepts ${input}`, () => {
      const r = parseAddress(input);
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.address, { local, domain });
    });
  }

  // Every form older MTAs read as a relay instruction is named, never guessed at.
  const refused: [string, AddressProblem][] = [
    ['', 'empty'],
    ['user', 'no-at'],
    ['remote.test!user', 'bang-path'],
    ['remote.test!user@example.com', 'bang-path'],
    ['user%remote.test@example.com', 'percent-hack'],
    ['@example.com:user@remote.test', 'source-route'],
    ['@a.example,@b.example:user@remote.test', 'source-route'],
    ['"user@remote.test"@example.com', 'quoted-local'],
    ['"user"@example.com', 'quoted-local'],
    ['user@[127.0.0.1]', 'ip-literal'],
    ['user@[IPv6:::1]', 'ip-literal'],
    ['.user@example.com', 'bad-local'],
    ['us..er@example.com', 'bad-local'],
    ['us er@example.com', 'bad-local'],
    ['user@-bad.example', 'bad-domain'],
    ['user@bad_domain.example', 'bad-domain'],
    ['user@com', 'bad-domain'],
    ['user@', 'bad-domain'],
    [`${'a'.repeat(65)}@example.com`, 'bad-local'],
    [`a@${'b'.repeat(320)}.example`, 'too-long'],
  ];
  for (const [input, problem] of refused) {
    it(`refuses ${JSON.stringify(input)} as ${problem}`, () => {
      const r = parseAddress(input);
      assert.equal(r.ok ? 'ok' : r.problem, problem);
    });
  }

  it('never throws and never accepts an address with relay syntax (property test)', () => {
    const alphabet = ['a', 'b', '@', '%', '!', '"', ':', ',', '.', '[', ']', '\\', ' ', '\u00e9', '-', '+', 'x', 'm', 'p', 'l', '\r', '\n', '\0'];
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      let s = '';
      const len = rand(30);
      for (let j = 0; j < len; j++) s += alphabet[rand(alphabet.length)];
      const r = parseAddress(s);
      if (r.ok) {
        const text = `${r.address.local}@${r.address.domain}`;
        assert.equal(/[%!"\s:,[\]\\\0]/.test(r.address.local), false, `accepted relay syntax: ${JSON.stringify(s)}`);
        assert.equal(r.address.local.includes('@'), false, text);
        assert.equal(domainToAscii(r.address.domain), r.address.domain, 'domain is canonical');
      }
    }
  });
});

describe('domains', () => {
  it('matches IDN as A-labels and shows Unicode', () => {
    assert.equal(domainToAscii('Bücher.Example'), 'xn--bcher-kva.example');
    assert.equal(domainToDisplay('xn--bcher-kva.example'), 'bücher.example');
    assert.equal(domainToAscii('a..b'), undefined);
    assert.equal(domainToAscii(`${'a'.repeat(64)}.example`), undefined);
  });
});
