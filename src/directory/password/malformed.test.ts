/*
 * Stored values that must be refused, quickly and without an exception: a
 * login path that saw a throw could answer a 4xx/5xx instead of "auth
 * failed", and a hash that names an absurd cost would let one login attempt
 * burn minutes of CPU or gigabytes of memory.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspectPassword, passwordScheme, verifyPassword, type PasswordProblem } from './index.js';

const P = 'correct horse';
const SHA512_HASH = 'CEa5A6iyA/nhHc/5oQ7T4raEcDiZWzM7tlCe2SUoUur9gMrfjLxHnbSe9G6a6m/sIKvuDikv3Ea9HZ6nHcmQ60';
const ARGON_TAIL = 'Ukz2Kn0Hzh9u2C/S+WVQvw$vh4L/lDmkYLt7OoasPHV/RDm9abuB3zORO5iW+lU1kI';

// [threat or damage, stored, problem inspectPassword reports]
const CASES: readonly [string, string, PasswordProblem][] = [
  ['no password stored', '', 'empty'],
  ['oversized stored value', `{PLAIN}${'x'.repeat(600)}`, 'too-long'],
  ['unknown {SCHEME}', '{NTLM}8846F7EAEE8FB117AD06BDD830B7586C', 'unknown-scheme'],
  ['unknown encoding suffix', '{SSHA512.ROT13}abc', 'unknown-scheme'],
  ['encoding suffix on a crypt scheme', '{SHA512-CRYPT.HEX}$6$IyCQkxmX/sQora3p$' + SHA512_HASH, 'unknown-scheme'],
  ['plaintext stored without a scheme', 'correct horse', 'unknown-scheme'],
  ['unclosed scheme brace', '{SHA512CRYPT$6$abc$def', 'unknown-scheme'],
  ['unknown crypt id', '$9$abc$def', 'unknown-scheme'],
  ['traditional DES crypt', 'abJnggxhB/yWI', 'unsupported'],
  ['yescrypt (Debian default for /etc/shadow)', '$y$j9T$abcdefghijklmnop$0123456789012345678901234567890123456789012', 'unsupported'],
  ['bcrypt $2x$ (buggy variant)', '$2x$05$JzOPpGdqZh4/Mp.ulMKK1usddURRem5JxJLEmcXLXdQkefYZWEC4O', 'unsupported'],
  ['argon2d', `{ARGON2ID}$argon2d$v=19$m=65536,t=3,p=1$${ARGON_TAIL}`, 'unsupported'],
  ['truncated SHA512-CRYPT', `{SHA512-CRYPT}$6$IyCQkxmX/sQora3p$${SHA512_HASH.slice(0, 40)}`, 'malformed'],
  ['SHA512-CRYPT with a character outside the crypt alphabet', `$6$IyCQkxmX/sQora3p$${SHA512_HASH.slice(0, -1)}!`, 'malformed'],
  ['SHA512-CRYPT salt over 16 characters', `$6$IyCQkxmX/sQora3pX$${SHA512_HASH}`, 'malformed'],
  ['SHA512-CRYPT rounds not a number', `$6$rounds=lots$IyCQkxmX/sQora3p$${SHA512_HASH}`, 'malformed'],
  ['SHA512-CRYPT absurd rounds (999,999,999 allowed by the spec)', `$6$rounds=999999999$IyCQkxmX/sQora3p$${SHA512_HASH}`, 'cost-too-high'],
  ['openssl -6 with rounds=2000000', '$6$rounds=2000000$big$na5ThX304JEJyPt.tAIRoB7oSjzwdUnafgKSm/NU6gQeBigBTisw4UQMU69i0zpg38stWwTgcmFUBisKaJiWj.', 'cost-too-high'],
  ['SHA512-CRYPT rounds overflowing 64 bits', `$6$rounds=99999999999999999999$IyCQkxmX/sQora3p$${SHA512_HASH}`, 'cost-too-high'],
  ['{SHA512-CRYPT} that is not a crypt string', '{SHA512-CRYPT}not-a-hash', 'malformed'],
  ['truncated bcrypt', '{BLF-CRYPT}$2y$05$0shy392q656UtMgMJuBs9uIk.2dE52phmYPjzThb9', 'malformed'],
  ['bcrypt cost below 4', '$2y$03$0shy392q656UtMgMJuBs9uIk.2dE52phmYPjzThb9.Qhj/INodYSO', 'malformed'],
  ['bcrypt absurd cost 31', '$2y$31$0shy392q656UtMgMJuBs9uIk.2dE52phmYPjzThb9.Qhj/INodYSO', 'cost-too-high'],
  ['truncated MD5-CRYPT', '{MD5-CRYPT}$1$moPkx/1t$T6QtTehB4fBbRmbQ', 'malformed'],
  ['argon2 memory 4 TiB', `{ARGON2ID}$argon2id$v=19$m=4294967295,t=3,p=1$${ARGON_TAIL}`, 'cost-too-high'],
  ['argon2 1000 passes', `{ARGON2ID}$argon2id$v=19$m=65536,t=1000,p=1$${ARGON_TAIL}`, 'cost-too-high'],
  ['argon2 255 lanes', `{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=255$${ARGON_TAIL}`, 'cost-too-high'],
  ['argon2 unknown version', `{ARGON2ID}$argon2id$v=20$m=65536,t=3,p=1$${ARGON_TAIL}`, 'malformed'],
  ['argon2 zero passes', `{ARGON2ID}$argon2id$v=19$m=65536,t=0,p=1$${ARGON_TAIL}`, 'malformed'],
  ['argon2 memory below 8 KiB per lane', `{ARGON2ID}$argon2id$v=19$m=8,t=3,p=4$${ARGON_TAIL}`, 'malformed'],
  ['argon2 missing hash', '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$Ukz2Kn0Hzh9u2C/S+WVQvw', 'malformed'],
  ['argon2 salt of 3 bytes', '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$YWJj$vh4L/lDmkYLt7OoasPHV/RDm9abuB3zORO5iW+lU1kI', 'malformed'],
  ['argon2 hash bad base64 (impossible length)', '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$Ukz2Kn0Hzh9u2C/S+WVQvw$vh4L/lDmkYLt7OoasPHV/RDm9abuB3zORO5iW+lU1', 'malformed'],
  ['argon2 hash non-canonical base64 (stray low bits)', '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$Ukz2Kn0Hzh9u2C/S+WVQvw$vh4L/lDmkYLt7OoasPHV/RDm9abuB3zORO5iW+lU1kJ', 'malformed'],
  ['argon2 hash with base64url characters', '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$Ukz2Kn0Hzh9u2C_S-WVQvw$vh4L/lDmkYLt7OoasPHV/RDm9abuB3zORO5iW+lU1kI', 'malformed'],
  ['argon2 extra parameters', `{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1,keyid=abc$${ARGON_TAIL}`, 'malformed'],
  ['SSHA512 bad base64', '{SSHA512}aqDS4iHO8k9mJUiBAV/usQYfB5F+LQ8P*Kyr2kUWldrPMwf2hroHOEsomBe9YONNcj5gl6CJuBhe/BBOU4dlfwrUQ/w=', 'malformed'],
  ['SSHA512 base64 with embedded whitespace', '{SSHA512}aqDS4iHO8k9mJUiBAV/usQYfB5F+LQ8PbKyr2kUWldrPMwf2 hroHOEsomBe9YONNcj5gl6CJuBhe/BBOU4dlfwrUQ/w=', 'malformed'],
  ['SSHA512 with no salt (digest only)', '{SSHA512}VraY3v7bWkNbY0r+MyC7rz/c2SC2xQOkRvx7endrKY1HnRumqLYXgI6wv1ec6aldZoNHvKtxSQhayTyyeZUZew==', 'malformed'],
  ['SSHA512.HEX odd length', '{SSHA512.HEX}9ab5ae136668ba2583bd08970c0c731dc30f102044e87a04ff157fd7f3bfdd8aa188584784eb91c44a2d484041c7ae5491faf74c9b4554c0e6a6356661f9cbeae410708', 'malformed'],
  ['SSHA512.HEX not hex', '{SSHA512.HEX}zz' + '00'.repeat(70), 'malformed'],
  ['truncated SHA256 digest', '{SHA256}QQTTb42iwlQ0n4WDZ5Pr4CngyVcGOjTJHC6SAxh7', 'malformed'],
  ['SHA256 digest of the wrong size (a SHA512 under {SHA256})', '{SHA256}VraY3v7bWkNbY0r+MyC7rz/c2SC2xQOkRvx7endrKY1HnRumqLYXgI6wv1ec6aldZoNHvKtxSQhayTyyeZUZew==', 'malformed'],
  ['PLAIN.B64 not base64', '{PLAIN.B64}!!!!', 'malformed'],
];

describe('malformed and hostile stored values: ok:false, fast, no throw', () => {
  for (const [threat, stored, problem] of CASES) {
    it(threat, async () => {
      const started = performance.now();
      assert.deepEqual(await verifyPassword(P, stored), { ok: false, rehash: false });
      assert.ok(performance.now() - started < 100, 'refused without computing the hash');
      const inspection = inspectPassword(stored);
      assert.equal(inspection.usable, false);
      if (!inspection.usable) {
        assert.equal(inspection.problem, problem);
        assert.ok(inspection.detail.length > 0);
        assert.ok(!inspection.detail.includes(P));
      }
    });
  }

  it('values that are not strings at run time are refused, not thrown on', async () => {
    const junk: unknown[] = [undefined, null, 42, {}, Buffer.from('x')];
    for (const value of junk) {
      assert.deepEqual(await verifyPassword(P, value as string), { ok: false, rehash: false });
      assert.deepEqual(await verifyPassword(value as string, '{PLAIN}x'), { ok: false, rehash: false });
      assert.equal(passwordScheme(value as string), undefined);
    }
  });

  it('a password over the length limit is refused before any hashing (SHA-crypt cost grows with length)', async () => {
    const stored = `$6$rounds=1000000$IyCQkxmX/sQora3p$${SHA512_HASH}`;
    const started = performance.now();
    assert.equal((await verifyPassword('x'.repeat(1025), stored)).ok, false);
    assert.ok(performance.now() - started < 100);
  });

  it('{PLAIN} of a long password still works up to the limit', async () => {
    const long = 'é'.repeat(512); // 1024 bytes
    assert.equal((await verifyPassword(long, `{PLAIN}${long}`)).ok, false, 'over MAX_STORED_LENGTH as stored');
    const medium = 'p'.repeat(400);
    assert.deepEqual(await verifyPassword(medium, `{PLAIN}${medium}`), { ok: true, rehash: true });
  });
});

describe('passwordScheme and inspectPassword', () => {
  const TABLE: readonly [string, string | undefined][] = [
    ['{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$' + ARGON_TAIL, 'ARGON2ID'],
    ['{SHA512-CRYPT}not-a-hash', 'SHA512-CRYPT'],
    ['{SSHA512.HEX}00', 'SSHA512'],
    ['{CLEARTEXT}x', 'PLAIN'],
    ['{NTLM}x', undefined],
    ['$y$j9T$abc$def', undefined],
    ['hunter2', undefined],
  ];
  for (const [stored, scheme] of TABLE) {
    it(`${stored.slice(0, 30)} -> ${scheme}`, () => assert.equal(passwordScheme(stored), scheme));
  }

  it('reports a Dovecot default Argon2id as usable but not current', () => {
    assert.deepEqual(inspectPassword('{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$' + ARGON_TAIL), { usable: true, scheme: 'ARGON2ID', current: false });
  });
});
