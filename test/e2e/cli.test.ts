/*
 * The `petrel` command against a real data directory, next to a running
 * server: init, config check, domain/user/alias management, queue, cert
 * reload by SIGHUP, and start-up refusing an invalid configuration with a
 * message instead of a stack trace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PetrelProcess, ROOT } from '../support/petrel.js';
import { run } from '../support/tools.js';

const BIN = join(ROOT, 'bin', 'petrel.js');
const tmp = mkdtempSync(join(tmpdir(), 'petrel-cli-'));
const petrel = (args: string[], input?: string) => run(process.execPath, [BIN, ...args], { input, timeoutMs: 60_000 });

after(() => rmSync(tmp, { recursive: true, force: true }));

describe('petrel init and config check', () => {
  it('writes a commented production configuration that config check accepts', async () => {
    const file = join(tmp, 'prod.toml');
    const r = await petrel(['init', '--hostname', 'mail.example.com', '--output', file]);
    assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^hostname = "mail\.example\.com"$/m);
    assert.match(text, /^listen = \[ "0\.0\.0\.0:25", "\[::\]:25" \]$/m);
    assert.match(text, /^listen = \[ "127\.0\.0\.1:24" \]$/m);
    assert.match(text, /^certs_dir = "\/etc\/letsencrypt"$/m);
    assert.match(text, /^# The largest message accepted/m);
    const check = await petrel(['config', 'check', file]);
    assert.equal(check.code, 0, check.stderr);
    const again = await petrel(['init', '--output', file]);
    assert.equal(again.code, 1, 'refuses to overwrite without --force');
  });

  it('names the key and the reason of every error', async () => {
    const file = join(tmp, 'bad.toml');
    writeFileSync(file, 'hostname = "ok.example"\n[smtp]\nmax_message_size = "12 parsecs"\nmax_recipent = 5\n[mx]\nlisten = ["nowhere"]\n[tls]\ncertificate = [{ cert = "${PETREL_TEST_UNSET_VAR}", key = "k" }]\n');
    const r = await petrel(['config', 'check', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /tls\.certificate\[0\]\.cert: environment variable PETREL_TEST_UNSET_VAR is not set/);
    writeFileSync(file, 'hostname = "ok.example"\n[smtp]\nmax_message_size = "12 parsecs"\nmax_recipent = 5\n[mx]\nlisten = ["nowhere"]\n');
    const r2 = await petrel(['config', 'check', file]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /smtp\.max_message_size: "12 parsecs" is not a size/);
    assert.match(r2.stderr, /smtp\.max_recipent: unknown key/);
    assert.match(r2.stderr, /mx\.listen\.0: must be "host:port"/);
    const syntax = join(tmp, 'syntax.toml');
    writeFileSync(syntax, 'hostname = \n');
    const r3 = await petrel(['config', 'check', syntax]);
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /line 1, column/);
  });

  it('reads secrets from the environment', async () => {
    const file = join(tmp, 'env.toml');
    writeFileSync(file, 'hostname = "${PETREL_TEST_HOST}"\n');
    const r = await run(process.execPath, [BIN, 'config', 'check', file], { env: { ...process.env, PETREL_TEST_HOST: 'env.example.com' } });
    assert.equal(r.code, 0, r.stderr);
  });

  it('serve refuses an invalid configuration with the message, not a stack trace', async () => {
    const file = join(tmp, 'serve-bad.toml');
    writeFileSync(file, `data_dir = "${join(tmp, 'never')}"\n[smtp]\nmax_errors = "many"\n`);
    const r = await petrel(['serve', '--config', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /smtp\.max_errors: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('answers unknown commands and missing arguments with usage and status 2', async () => {
    assert.equal((await petrel(['frobnicate'])).code, 2);
    const r = await petrel(['user', 'add']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage: petrel user add ADDRESS/);
  });
});

describe('managing a running server', () => {
  let p: PetrelProcess;
  before(async () => {
    p = await PetrelProcess.create();
    await p.start();
  });
  after(() => p.destroy());

  it('adds and lists domains (IDN shown in Unicode), users and aliases', async () => {
    assert.equal((await p.cli(['domain', 'add', 'Bücher.Example'])).code, 0);
    assert.equal((await p.cli(['domain', 'add', 'example.com'])).code, 0);
    assert.equal((await p.cli(['domain', 'add', 'example.net', '--alias-of', 'example.com'])).code, 0);
    const domains = await p.cli(['domain', 'list']);
    assert.match(domains.stdout, /bücher\.example\s+xn--bcher-kva\.example/);
    assert.match(domains.stdout, /example\.net\s+alias of example\.com/);

    const added = await p.cli(['user', 'add', 'Alice@Example.com', '--password-stdin', '--quota', '500M'], 'first password\n');
    assert.equal(added.code, 0, added.stderr);
    const dup = await p.cli(['user', 'add', 'alice@example.com', '--password-stdin'], 'x\n');
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    const users = await p.cli(['user', 'list']);
    assert.match(users.stdout, /alice@example\.com\s+500M\s+0\s+yes/);

    assert.equal((await p.cli(['alias', 'add', 'team@example.com', 'alice@example.com', 'friend@remote.test'])).code, 0);
    assert.equal((await p.cli(['alias', 'add', '@example.com', 'alice@example.com'])).code, 0);
    const aliases = await p.cli(['alias', 'list']);
    assert.match(aliases.stdout, /team@example\.com\s+alice@example\.com, friend@remote\.test/);
    assert.match(aliases.stdout, /^@example\.com\s+alice@example\.com$/m);
    assert.equal((await p.cli(['alias', 'remove', '@example.com'])).code, 0);
    assert.doesNotMatch((await p.cli(['alias', 'list'])).stdout, /^@example\.com/m);
  });

  it('changes a password that the running server then accepts', async () => {
    assert.equal((await p.cli(['user', 'passwd', 'alice@example.com', '--password-stdin'], 'second password\n')).code, 0);
    const { RawSmtp } = await import('../support/smtp-client.js');
    const tls = await import('node:tls');
    // AUTH needs TLS: use implicit TLS on the submissions port.
    const socket = tls.connect({ port: p.ports.submissions, host: '127.0.0.1', rejectUnauthorized: false, servername: 'example.com' });
    await new Promise((r) => socket.once('secureConnect', r));
    const c = new RawSmtp(socket);
    await c.reply();
    await c.command('EHLO client.test');
    const bad = await c.command(`AUTH PLAIN ${Buffer.from('\0alice@example.com\0first password').toString('base64')}`);
    assert.equal(bad.code, 535);
    const good = await c.command(`AUTH PLAIN ${Buffer.from('\0alice@example.com\0second password').toString('base64')}`);
    assert.equal(good.code, 235, good.text);
    c.close();
  });

  it('cert reload signals the running server, which reloads', async () => {
    const r = await p.cli(['cert', 'reload']);
    assert.equal(r.code, 0, r.stderr);
    await p.waitForLog(/signal signal=SIGHUP/);
    await p.waitForLog(/ reloaded certificates=/);
  });

  it('lists the queue and removes users and domains', async () => {
    const q = await p.cli(['queue', 'list']);
    assert.equal(q.code, 0);
    assert.match(q.stdout, /-- 0 messages in the queue/);
    assert.equal((await p.cli(['user', 'remove', 'alice@example.com'])).code, 0);
    assert.equal((await p.cli(['domain', 'remove', 'example.com'])).code, 0);
    assert.doesNotMatch((await p.cli(['domain', 'list'])).stdout, /example\.com/);
  });
});

describe('SIGHUP reloads the configuration', () => {
  it('a smaller max_message_size applies to the running server without a restart', async () => {
    const p = await PetrelProcess.create();
    try {
      await p.start();
      await p.addDomain('example.com');
      await p.addUser('alice@example.com', 'pw');
      const { RawSmtp } = await import('../support/smtp-client.js');
      const ehloSize = async () => {
        const c = await RawSmtp.open(p.ports.mx);
        await c.reply();
        const r = await c.command('EHLO client.test');
        c.close();
        return /SIZE (\d+)/.exec(r.text)?.[1];
      };
      assert.equal(await ehloSize(), String(50 * 1024 * 1024));
      writeFileSync(p.configFile, readFileSync(p.configFile, 'utf8').replace('[smtp]\n', '[smtp]\nmax_message_size = "1M"\n'));
      p.child!.kill('SIGHUP');
      await p.waitForLog(/ reloaded certificates=/);
      assert.equal(await ehloSize(), String(1024 * 1024));
    } finally {
      await p.destroy();
    }
  });
});
