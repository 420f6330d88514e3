/*
 * The script service over a real SQLite store: compile once when stored
 * (the compiled JSON is what the store keeps), errors with line and column
 * never replacing a working script, size, UTF-8 and name rules, and
 * HAVESPACE agreeing with what PUTSCRIPT then does.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { MetadataStore } from '../store/types.js';
import { checkScriptName, formatDiagnostic, SieveScripts } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-sieve-scripts-'));
let store: MetadataStore;
let account: number;
let scripts: SieveScripts;

before(async () => {
  store = await openSqliteStore({ path: join(dir, 'db.sqlite'), fsync: false });
  await store.directory.addDomain({ name: 'example.com', ascii: 'example.com' });
  account = (await store.directory.addAccount({ domain: 'example.com', local: 'a', passwordHash: 'h', quotaBytes: 0 })).id;
  scripts = new SieveScripts(store.sieve, { maxScriptSize: 100, maxScripts: 2, maxStorageBytes: 150 }, () => 42);
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SieveScripts', () => {
  it('stores the source and its compiled form, made once at upload', async () => {
    const put = await scripts.put(account, 'main', Buffer.from('require "fileinto"; fileinto "x";'));
    assert.deepEqual(put, { ok: true, created: true, warnings: [] });
    const stored = await store.sieve.get(account, 'main');
    assert.equal(stored?.source, 'require "fileinto"; fileinto "x";');
    assert.equal(JSON.parse(stored!.compiled).version, 1);
    assert.equal(stored?.updatedAt, 42);
  });

  it('answers a syntax error with its line and column and keeps the working script', async () => {
    const bad = await scripts.put(account, 'main', Buffer.from('keep;\nif true { keep }'));
    assert.ok(!bad.ok && bad.reason === 'invalid');
    assert.match(formatDiagnostic(bad.error), /^line 2, column \d+: /);
    assert.equal((await store.sieve.get(account, 'main'))?.source, 'require "fileinto"; fileinto "x";');
  });

  it('refuses content over the size limit before compiling, and invalid UTF-8 with its position', async () => {
    assert.deepEqual(await scripts.put(account, 'big', Buffer.alloc(101, 0x20)), { ok: false, reason: 'too-large' });
    assert.deepEqual(scripts.check(Buffer.concat([Buffer.from('keep;\r\n#'), Buffer.from([0xc3, 0x28])])), { ok: false, reason: 'invalid', error: { line: 2, column: 2, message: 'invalid UTF-8' } });
  });

  it('HAVESPACE agrees with PUTSCRIPT: size, count, total storage, a replacement at its new size', async () => {
    assert.equal(await scripts.haveSpace(account, 'x', 101), 'too-large');
    assert.equal(await scripts.haveSpace(account, 'second', 100), 'ok');
    assert.deepEqual(await scripts.put(account, 'second', Buffer.from('keep;' + ' '.repeat(95))), { ok: true, created: true, warnings: [] });
    assert.equal(await scripts.haveSpace(account, 'third', 1), 'max-scripts');
    assert.deepEqual(await scripts.put(account, 'third', Buffer.from('keep;')), { ok: false, reason: 'max-scripts' });
    assert.equal(await scripts.haveSpace(account, 'main', 51), 'quota');
    assert.deepEqual(await scripts.put(account, 'main', Buffer.from('keep;' + ' '.repeat(46))), { ok: false, reason: 'quota' });
    assert.equal(await scripts.haveSpace(account, 'main', 50), 'ok');
  });
});

describe('checkScriptName', () => {
  const good: Array<[string | Buffer, string]> = [
    ['main', 'main'],
    ['Urlaub 2026', 'Urlaub 2026'],
    ['e\u0301t\u00e9', '\u00e9t\u00e9'],
    [Buffer.from('Ünïcode'), 'Ünïcode'],
    ['..hidden', '..hidden'],
  ];
  for (const [raw, name] of good) it(`accepts ${JSON.stringify(String(raw))}`, () => assert.deepEqual(checkScriptName(raw), { ok: true, name }));
  const bad: Array<string | Buffer> = ['', 'a\u0000b', 'a\r\nb', 'tab\there', 'del\u007f', 'c1\u0085', 'ls\u2028', 'ps\u2029', '../etc/passwd', 'a/b', '.', '..', 'x'.repeat(256), Buffer.from([0xff])];
  for (const raw of bad) it(`refuses ${JSON.stringify(String(raw)).slice(0, 30)}`, () => assert.equal(checkScriptName(raw).ok, false));
});
