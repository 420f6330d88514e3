/*
 * New hashes: format, rehash flag, the dummy verification that hides whether
 * an account exists, and a small round-trip property test.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { describe, it } from 'node:test';
import { hashPassword, inspectPassword, passwordScheme, verifyDummy, verifyPassword } from './index.js';

const FORMAT = /^\{ARGON2ID\}\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

describe('hashPassword', () => {
  it('writes Dovecot-compatible {ARGON2ID} with our parameters, 16-byte salt and 32-byte hash', async () => {
    const stored = await hashPassword('correct horse');
    assert.match(stored, FORMAT);
    assert.equal(passwordScheme(stored), 'ARGON2ID');
    assert.deepEqual(inspectPassword(stored), { usable: true, scheme: 'ARGON2ID', current: true });
  });

  it('fresh output verifies with rehash:false and refuses a wrong password', async () => {
    const stored = await hashPassword('correct horse');
    assert.deepEqual(await verifyPassword('correct horse', stored), { ok: true, rehash: false });
    assert.deepEqual(await verifyPassword('correct horsE', stored), { ok: false, rehash: false });
  });

  it('salts every hash: the same password hashed twice gives two strings', async () => {
    assert.notEqual(await hashPassword('same'), await hashPassword('same'));
  });

  it('asks for a rehash when our parameters are stored without the {ARGON2ID} prefix Dovecot needs', async () => {
    const bare = (await hashPassword('correct horse')).slice('{ARGON2ID}'.length);
    assert.deepEqual(await verifyPassword('correct horse', bare), { ok: true, rehash: true });
  });

  it('verifies with the parameters in the stored string, not ours (Dovecot default m=65536,t=3)', async () => {
    const dovecot = '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$Ukz2Kn0Hzh9u2C/S+WVQvw$vh4L/lDmkYLt7OoasPHV/RDm9abuB3zORO5iW+lU1kI';
    assert.deepEqual(await verifyPassword('correct horse', dovecot), { ok: true, rehash: true });
  });

  it('its output verifies in Dovecot (both strings checked with `doveadm pw -t`), and here with rehash:false', async () => {
    const exported: readonly [string, string][] = [
      ['correct horse', '{ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$RqPpobWu8PkcD+twaS4t9g$Z8MEWWVqqMWpt7DLqfisvxoFwL2b14fi7p7woQk4Bsk'],
      ['Grüße, 密码!', '{ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$lAnYSyKkL4BCI/Fi1h16DQ$3mnW9FYlOTNSVmPdoGcHisLxJ2qDHPjF7zS0w57t47o'],
    ];
    for (const [password, stored] of exported) {
      assert.deepEqual(await verifyPassword(password, stored), { ok: true, rehash: false });
    }
  });

  it('refuses to hash what cannot be a password', async () => {
    await assert.rejects(hashPassword('x'.repeat(1025)), RangeError);
    await assert.rejects(hashPassword(undefined as unknown as string), TypeError);
  });
});

describe('verifyDummy: an unknown user costs what a known one does', () => {
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

  it('is always false', async () => {
    assert.equal(await verifyDummy('correct horse'), false);
    assert.equal(await verifyDummy(''), false);
    assert.equal(await verifyDummy(42 as unknown as string), false);
  });

  it('takes about as long as verifying a current Argon2id hash', async () => {
    const stored = await hashPassword('correct horse');
    await verifyPassword('warm up', stored);
    await verifyDummy('warm up');
    const real: number[] = [];
    const dummy: number[] = [];
    for (let i = 0; i < 7; i++) {
      let t = performance.now();
      await verifyPassword('wrong guess', stored);
      real.push(performance.now() - t);
      t = performance.now();
      await verifyDummy('wrong guess');
      dummy.push(performance.now() - t);
    }
    const ratio = median(dummy) / median(real);
    assert.ok(ratio > 0.6 && ratio < 1.6, `dummy ${median(dummy).toFixed(1)} ms vs real ${median(real).toFixed(1)} ms`);
  });
});

describe('property: random passwords round-trip', () => {
  // Code points from ASCII, Latin-1, CJK and astral planes; surrogates excluded (not valid UTF-8).
  const RANGES: readonly [number, number][] = [[0x20, 0x7e], [0xa0, 0xff], [0x4e00, 0x9fff], [0x1f300, 0x1f5ff]];
  const randomPassword = (): string => {
    let out = '';
    const length = randomInt(0, 40);
    for (let i = 0; i < length; i++) {
      const [lo, hi] = RANGES[randomInt(RANGES.length)] ?? [0x20, 0x7e];
      out += String.fromCodePoint(randomInt(lo, hi + 1));
    }
    return out;
  };

  it('hashPassword then verifyPassword accepts the password and refuses a one-character change', async () => {
    for (let i = 0; i < 6; i++) {
      const password = randomPassword();
      const stored = await hashPassword(password);
      assert.deepEqual(await verifyPassword(password, stored), { ok: true, rehash: false }, JSON.stringify(password));
      assert.equal((await verifyPassword(`${password}a`, stored)).ok, false, JSON.stringify(password));
    }
  });
});
