/*
 * verifyPassword against hashes made by the real tools operators migrate
 * from. Every stored string below is literal output of one of:
 *   doveadm pw -s SCHEME -p PASSWORD     (Dovecot 2.3, Debian dovecot-core)
 *   openssl passwd -6 / -5 / -1          (OpenSSL 3)
 *   mkpasswd -m METHOD [-R ROUNDS]       (Debian whois package)
 * A {CRYPT} prefix in front of an openssl or mkpasswd string is how Dovecot
 * stores them with default_pass_scheme unset; no prefix is how PostfixAdmin
 * stores them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { passwordScheme, verifyPassword } from './index.js';

const P = 'correct horse';
const U = 'Grüße, 密码!';

// [tool, stored, password, scheme passwordScheme reports]
const VECTORS: readonly [string, string, string, string][] = [
  // Dovecot, one per scheme
  ['doveadm ARGON2ID', '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$Ukz2Kn0Hzh9u2C/S+WVQvw$vh4L/lDmkYLt7OoasPHV/RDm9abuB3zORO5iW+lU1kI', P, 'ARGON2ID'],
  ['doveadm ARGON2ID utf-8', '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$vJc1O0lsT9fCuTDN0EGm/g$T0wtohHDd8kYB/1Yi3LIlVXWfKVbpsvRItuSlpGepGY', U, 'ARGON2ID'],
  ['doveadm ARGON2I', '{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$U6xzW5mqZ6Oezz1aAxeAaA$+KG67dKhjTZJ5RHlPHXlcdbrgk8dU3h6sl38fj+OG8E', P, 'ARGON2I'],
  ['doveadm SHA512-CRYPT', '{SHA512-CRYPT}$6$nQpqPAaJ6u11VDrk$3te/VCfY4zUcU1Zx.F2kafq5ogQSgKhRRqsNEG88vwzn6T37haTz0wTV6TDNuSvP2o3C2up83I3CJefOvLQLq/', P, 'SHA512-CRYPT'],
  ['doveadm SHA512-CRYPT utf-8', '{SHA512-CRYPT}$6$kQsnhd4d/eThPUc/$dvMKMHIWtTC6JdiDWiU6necvCuKiHOKWmH81NHKszB8cjQBUO7kWw0OrNHeM6shXvyqdMJfQdbXwQow97VkWz/', U, 'SHA512-CRYPT'],
  ['doveadm SHA512-CRYPT -r 20000', '{SHA512-CRYPT}$6$rounds=20000$DDYyEzOnsaIiP9HC$qnuBNlQhXk3LJ84UdSMORjwrC0mrszgZRNXxOjdJJUx1wssAGYL36pRtjCGcQvH3KYFnOzzfw/t3ZdsvyKFTD0', P, 'SHA512-CRYPT'],
  ['doveadm SHA256-CRYPT', '{SHA256-CRYPT}$5$NkB6fXjfaySIzoXg$8GWMJWsaRpdGe3CxGwNRnSvnVwu/2ouuMUDg0t5DeP2', P, 'SHA256-CRYPT'],
  ['doveadm SHA256-CRYPT utf-8', '{SHA256-CRYPT}$5$PfeorlfmJCzFcc9c$OugeF87UgiqOp01.f/FbHPgU64wbpH9d1qdlb.Kg3R2', U, 'SHA256-CRYPT'],
  ['doveadm BLF-CRYPT', '{BLF-CRYPT}$2y$05$0shy392q656UtMgMJuBs9uIk.2dE52phmYPjzThb9.Qhj/INodYSO', P, 'BLF-CRYPT'],
  ['doveadm BLF-CRYPT utf-8', '{BLF-CRYPT}$2y$05$xEy7PcyzXC.r.WBiMMAsseP8Cf6vO90RMuqEqYBQwelLD13Srer2W', U, 'BLF-CRYPT'],
  ['doveadm BLF-CRYPT -r 10', '{BLF-CRYPT}$2y$10$nX2PuUSNk5.OdpXRwYe.6u1egO.ZDsCXEhsQn4YkGVJDklY7Vcp8i', P, 'BLF-CRYPT'],
  ['doveadm CRYPT (bcrypt)', '{CRYPT}$2y$05$Lt2t784tIrdBpwQ8nlrEUOMd38RzQKVk45LXqrQo90UTTnqrfgcyK', P, 'BLF-CRYPT'],
  ['doveadm MD5-CRYPT', '{MD5-CRYPT}$1$moPkx/1t$T6QtTehB4fBbRmbQCUhIx1', P, 'MD5-CRYPT'],
  ['doveadm MD5-CRYPT utf-8', '{MD5-CRYPT}$1$9WMd5HEW$fVlntwi5uz2oGLM2xljbl.', U, 'MD5-CRYPT'],
  ['doveadm SSHA512', '{SSHA512}aqDS4iHO8k9mJUiBAV/usQYfB5F+LQ8PbKyr2kUWldrPMwf2hroHOEsomBe9YONNcj5gl6CJuBhe/BBOU4dlfwrUQ/w=', P, 'SSHA512'],
  ['doveadm SSHA512 utf-8', '{SSHA512}a0aJv7A46xg+XxG04FmvtEwDxqXoF29tOL35bWDUVZxZkZwiKygqL6AQF0SgaYQd98RImV4d4ChChHzU70OHKcvXXIs=', U, 'SSHA512'],
  ['doveadm SSHA512.HEX', '{SSHA512.HEX}9ab5ae136668ba2583bd08970c0c731dc30f102044e87a04ff157fd7f3bfdd8aa188584784eb91c44a2d484041c7ae5491faf74c9b4554c0e6a6356661f9cbeae410708e', P, 'SSHA512'],
  ['doveadm SSHA512.B64', '{SSHA512.B64}lSNSUl8OrHlS9gSvx69zrSpHaxOhFK64DZkKIrsJ4hvZYvt5GBssI3cR0w5CxYQwXcBRfg+DUE7+RsQHMouTzS/KoQM=', P, 'SSHA512'],
  ['doveadm SSHA256', '{SSHA256}goAAWIHvjzEu8TXGjVEzXpFqanFnPc7SRmwflOhPhvJjJ20A', P, 'SSHA256'],
  ['doveadm SSHA256 utf-8', '{SSHA256}/uFbFl/mT0Kqv2ZU8YYox/3NRhShLFlaKktgH5jLq9eJEGr7', U, 'SSHA256'],
  ['doveadm SSHA256.HEX', '{SSHA256.HEX}38e0ed6f2741d265cef9573e6c586723a9ba75b5d64e04393b9f4156e79339d69269a3e3', P, 'SSHA256'],
  ['doveadm SSHA256.B64 utf-8', '{SSHA256.B64}xB52wp98V0yZGN8XCCQt69SN5lAPxd2Kh4jCTTxHE4C+FUAd', U, 'SSHA256'],
  ['doveadm SHA512', '{SHA512}VraY3v7bWkNbY0r+MyC7rz/c2SC2xQOkRvx7endrKY1HnRumqLYXgI6wv1ec6aldZoNHvKtxSQhayTyyeZUZew==', P, 'SHA512'],
  ['doveadm SHA512 utf-8', '{SHA512}/ASNsLoduuxABaGsQ5hSAljyb266/a7MhUjkZhUm5HykiLmHvwVXSIN5HU14WxT6BzyN+vBYbhGQrlDlzu7ZFw==', U, 'SHA512'],
  ['doveadm SHA512.HEX', '{SHA512.HEX}56b698defedb5a435b634afe3320bbaf3fdcd920b6c503a446fc7b7a776b298d479d1ba6a8b617808eb0bf579ce9a95d668347bcab7149085ac93cb27995197b', P, 'SHA512'],
  ['doveadm SHA512.HEX under {SHA512} (hex recognised by length)', '{SHA512}56b698defedb5a435b634afe3320bbaf3fdcd920b6c503a446fc7b7a776b298d479d1ba6a8b617808eb0bf579ce9a95d668347bcab7149085ac93cb27995197b', P, 'SHA512'],
  ['doveadm SHA256', '{SHA256}QQTTb42iwlQ0n4WDZ5Pr4CngyVcGOjTJHC6SAxh7VjE=', P, 'SHA256'],
  ['doveadm SHA256 utf-8', '{SHA256}eQs4k5bD34kz6EwlYOC07sCaxJ+Ti6Sx4wgDvE4L7nQ=', U, 'SHA256'],
  ['doveadm SHA256.B64 utf-8', '{SHA256.B64}eQs4k5bD34kz6EwlYOC07sCaxJ+Ti6Sx4wgDvE4L7nQ=', U, 'SHA256'],
  ['doveadm SHA256.HEX', '{SHA256.HEX}4104d36f8da2c254349f85836793ebe029e0c957063a34c91c2e9203187b5631', P, 'SHA256'],
  ['doveadm PLAIN', '{PLAIN}correct horse', P, 'PLAIN'],
  ['doveadm CLEAR', '{CLEAR}correct horse', P, 'PLAIN'],
  ['lower-case scheme name', '{plain}correct horse', P, 'PLAIN'],
  // openssl passwd, stored under {CRYPT} and bare
  ['openssl -6 as {CRYPT}', '{CRYPT}$6$IyCQkxmX/sQora3p$CEa5A6iyA/nhHc/5oQ7T4raEcDiZWzM7tlCe2SUoUur9gMrfjLxHnbSe9G6a6m/sIKvuDikv3Ea9HZ6nHcmQ60', P, 'SHA512-CRYPT'],
  ['openssl -6 bare', '$6$IyCQkxmX/sQora3p$CEa5A6iyA/nhHc/5oQ7T4raEcDiZWzM7tlCe2SUoUur9gMrfjLxHnbSe9G6a6m/sIKvuDikv3Ea9HZ6nHcmQ60', P, 'SHA512-CRYPT'],
  ['openssl -5 as {CRYPT}', '{CRYPT}$5$4QFA9kmj5zK.duzH$wcou4TMajpg/D5/jj0K5CSi6xdAoLMFrTIWBSjF6RJ3', P, 'SHA256-CRYPT'],
  ['openssl -5 bare', '$5$4QFA9kmj5zK.duzH$wcou4TMajpg/D5/jj0K5CSi6xdAoLMFrTIWBSjF6RJ3', P, 'SHA256-CRYPT'],
  ['openssl -1 as {CRYPT}', '{CRYPT}$1$DG2rJFiB$U8KNhSnBrXs0qo5V42vJU1', P, 'MD5-CRYPT'],
  ['openssl -1 bare', '$1$DG2rJFiB$U8KNhSnBrXs0qo5V42vJU1', P, 'MD5-CRYPT'],
  ['openssl -1 utf-8', '$1$WxooWRtz$p1zG8UO0GL8e4FbRRqNNl.', U, 'MD5-CRYPT'],
  // mkpasswd, including rounds= variants
  ['mkpasswd sha-512 -R 656000 (passlib default)', '$6$rounds=656000$5NxbzTonod0d5MqI$w.j62Ej1xBPbVnj3po9LtBRus3I8w9tw1FvB8dxSyGhTodTfoeWnv.BZ1RYjWcufgQbsX2qP4eAfgkDcvEJVL/', P, 'SHA512-CRYPT'],
  ['mkpasswd sha-256 -R 535000', '{CRYPT}$5$rounds=535000$1xZiQMR9qhpk0jYE$C9jQ1war2k5QSU/cEikB6C9opNOU3Jal3ijUuxBwDF6', P, 'SHA256-CRYPT'],
  ['mkpasswd sha-512 -R 1000', '{CRYPT}$6$rounds=1000$Yehz.hB/Da2/3RMC$f8oKNze3RgYE3s4b5M9VXYY1trqmzvKqKf4./AVnF20/Kb2SR8sKECkBCObfBZEu/cBn6FxuAenMR5I/dK2am0', P, 'SHA512-CRYPT'],
  ['mkpasswd sha-512', '$6$Bm9WnwY9Vb5j1pmp$7joLPTOFP4BbpAp.MJdycRpU5SDxRdzyOKFAZQnNUmL8abBU9K878gVc0Tytqu7oWPkI0pjFS8.Y81WA/WUwa1', P, 'SHA512-CRYPT'],
  ['mkpasswd sha-256 utf-8', '$5$cf/z0Nv0.Z6zm4zI$8VeoTgeZM/AOOdhq/1YIpvlR5UBUDjdhOzLr684VtTB', U, 'SHA256-CRYPT'],
  ['mkpasswd bcrypt ($2b$)', '$2b$05$JzOPpGdqZh4/Mp.ulMKK1usddURRem5JxJLEmcXLXdQkefYZWEC4O', P, 'BLF-CRYPT'],
  ['mkpasswd bcrypt-a ($2a$) as {CRYPT}', '{CRYPT}$2a$05$9G.W7WdIxOI9Rejj2SgEHeJoTvAsRlR4mPSPXAUNPOie.TasI5CnS', P, 'BLF-CRYPT'],
  ['mkpasswd md5crypt', '{CRYPT}$1$xQq36eaO$cjcrPrUMRKLvwPW3.mhbj.', P, 'MD5-CRYPT'],
  // Dovecot dispatches every crypt-family scheme through crypt(3), so a mislabelled one still verifies there.
  ['sha-256 string under {SHA512-CRYPT}', '{SHA512-CRYPT}$5$4QFA9kmj5zK.duzH$wcou4TMajpg/D5/jj0K5CSi6xdAoLMFrTIWBSjF6RJ3', P, 'SHA256-CRYPT'],
];

describe('verifyPassword: hashes made by doveadm, openssl and mkpasswd', () => {
  for (const [tool, stored, password, scheme] of VECTORS) {
    it(`${tool}: right password verifies and asks for a rehash`, async () => {
      assert.deepEqual(await verifyPassword(password, stored), { ok: true, rehash: true });
      assert.equal(passwordScheme(stored), scheme);
    });
    it(`${tool}: wrong password is refused`, async () => {
      assert.deepEqual(await verifyPassword(`${password.slice(0, -1)}?`, stored), { ok: false, rehash: false });
      assert.deepEqual(await verifyPassword('', stored), { ok: false, rehash: false });
    });
  }

  it('bcrypt verifies the same password whatever its minor version ($2a$, $2b$, $2y$ are one algorithm for UTF-8 input)', async () => {
    const body = '$05$JzOPpGdqZh4/Mp.ulMKK1usddURRem5JxJLEmcXLXdQkefYZWEC4O';
    for (const minor of ['$2a', '$2b', '$2y']) assert.equal((await verifyPassword(P, minor + body)).ok, true);
  });

  it('a password is compared as its exact bytes: no case folding, no Unicode normalisation', async () => {
    const stored = '{SHA256}eQs4k5bD34kz6EwlYOC07sCaxJ+Ti6Sx4wgDvE4L7nQ=';
    assert.equal((await verifyPassword(U.toUpperCase(), stored)).ok, false);
    assert.equal((await verifyPassword(U.normalize('NFD'), stored)).ok, false);
  });

  it('{PLAIN} does not match a prefix or an extension of the stored password', async () => {
    for (const guess of ['correct', 'correct horse ', 'correct horsee', 'Correct horse']) {
      assert.equal((await verifyPassword(guess, '{PLAIN}correct horse')).ok, false);
    }
  });
});
