import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAddress } from '../core/address.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { MetadataStore } from '../store/types.js';
import { Directory } from './directory.js';
import type { Resolution } from './resolve.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-dir-'));
let store: MetadataStore;
let directory: Directory;

function summary(r: Resolution): string | string[] {
  if (r.kind !== 'deliver') return r.kind;
  return r.targets.map((t) => (t.kind === 'mailbox' ? `mailbox:${t.address}` : `remote:${t.address}`));
}

async function resolve(text: string): Promise<string | string[]> {
  const parsed = parseAddress(text);
  assert.ok(parsed.ok, text);
  return summary(await directory.resolve(parsed.address));
}

before(async () => {
  store = await openSqliteStore({ path: join(dir, 'db.sqlite'), fsync: false });
  directory = new Directory(store.directory, { subaddressSeparator: '+', postmaster: '' });
  await directory.addDomain('example.com');
  await directory.addDomain('example.org', { aliasOf: 'example.com' });
  await directory.addDomain('bücher.example');
  await directory.addDomain('catch.test');
  await directory.addDomain('empty.test');
  await directory.addUser('alice@example.com', 'pw-alice');
  await directory.addUser('Bob@example.com', 'pw-bob');
  await directory.addUser('carol@bücher.example', 'pw-carol');
  await directory.addUser('dave@catch.test', 'pw-dave');
  await directory.addUser('off@example.com', 'pw-off');
  await directory.setEnabled('off@example.com', false);
  await directory.addAlias('team@example.com', ['alice@example.com', 'bob@example.com', 'friend@remote.test']);
  await directory.addAlias('loop1@example.com', ['loop2@example.com']);
  await directory.addAlias('loop2@example.com', ['loop1@example.com', 'alice@example.com']);
  await directory.addAlias('nested@example.com', ['team@example.com', 'alice@example.com']);
  await directory.addAlias('@catch.test', ['dave@catch.test']);
  await directory.addAlias('alice+special@example.com', ['bob@example.com']);
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('recipient resolution', () => {
  const table: [string, string | string[]][] = [
    ['alice@example.com', ['mailbox:alice@example.com']],
    ['ALICE@Example.COM', ['mailbox:alice@example.com']],
    ['bob@example.com', ['mailbox:bob@example.com']],
    ['alice+news@example.com', ['mailbox:alice@example.com']],
    ['alice+special@example.com', ['mailbox:bob@example.com']],
    ['alice@example.org', ['mailbox:alice@example.com']],
    ['carol@xn--bcher-kva.example', ['mailbox:carol@xn--bcher-kva.example']],
    ['carol@bücher.example', ['mailbox:carol@xn--bcher-kva.example']],
    ['team@example.com', ['mailbox:alice@example.com', 'mailbox:bob@example.com', 'remote:friend@remote.test']],
    ['nested@example.com', ['mailbox:alice@example.com', 'mailbox:bob@example.com', 'remote:friend@remote.test']],
    ['loop1@example.com', ['mailbox:alice@example.com']],
    ['anything@catch.test', ['mailbox:dave@catch.test']],
    ['nobody@example.com', 'unknown'],
    ['off@example.com', 'disabled'],
    ['someone@remote.test', 'not-hosted'],
    ['postmaster@example.com', ['mailbox:alice@example.com']],
    ['POSTMASTER@example.org', ['mailbox:alice@example.com']],
    ['postmaster@catch.test', ['mailbox:dave@catch.test']],
    ['postmaster@empty.test', 'unknown'],
  ];
  for (const [input, expected] of table) {
    it(`${input} -> ${JSON.stringify(expected)}`, async () => {
      assert.deepEqual(await resolve(input), expected);
    });
  }
});

describe('directory administration', () => {
  it('refuses duplicates, unknown domains and users on alias domains', async () => {
    await assert.rejects(directory.addDomain('EXAMPLE.com'), /already exists/);
    await assert.rejects(directory.addUser('x@nowhere.test', 'pw'), /not hosted/);
    await assert.rejects(directory.addUser('x@example.org', 'pw'), /alias domain/);
    await assert.rejects(directory.addUser('alice@example.com', 'pw'), /already exists/);
    await assert.rejects(directory.addDomain('not a domain'), /not a valid domain/);
    await assert.rejects(directory.addAlias('x@example.com', []), /at least one target/);
    await assert.rejects(directory.addAlias('x@example.org', ['alice@example.com']), /alias domain/);
  });

  it('stores IDN domains in Unicode', async () => {
    const names = (await directory.listDomains()).map((d) => d.name);
    assert.ok(names.includes('bücher.example'));
  });
});

describe('authentication', () => {
  it('accepts the right password in any case of the address', async () => {
    assert.equal((await directory.authenticate('Alice@EXAMPLE.com', 'pw-alice'))?.local, 'alice');
  });

  it('answers a wrong password, an unknown user and a disabled user alike', async () => {
    assert.equal(await directory.authenticate('alice@example.com', 'wrong'), undefined);
    assert.equal(await directory.authenticate('ghost@example.com', 'pw-alice'), undefined);
    assert.equal(await directory.authenticate('off@example.com', 'pw-off'), undefined);
  });

  it('re-hashes a legacy SHA512-CRYPT password to Argon2id at login', async () => {
    // openssl passwd -6 -salt saltsalt secret
    await directory.setPasswordHash('bob@example.com', '{SHA512-CRYPT}$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1');
    assert.ok(await directory.authenticate('bob@example.com', 'secret'));
    const account = await directory.findAccount('bob@example.com');
    assert.match(account!.passwordHash, /^\{ARGON2ID\}/);
    assert.ok(await directory.authenticate('bob@example.com', 'secret'));
  });
});

describe('sender ownership', () => {
  it('allows own address, tags, alias domains and aliases that point at the user', async () => {
    const alice = (await directory.findAccount('alice@example.com'))!;
    for (const ok of ['alice@example.com', 'ALICE@example.com', 'alice+x@example.com', 'alice@example.org', 'team@example.com', 'loop2@example.com']) {
      assert.equal(await directory.maySendAs(alice, ok), true, ok);
    }
    for (const no of ['bob@example.com', 'alice@remote.test', 'dave@catch.test', 'postmaster@example.com', '']) {
      assert.equal(await directory.maySendAs(alice, no), false, no);
    }
  });
});
