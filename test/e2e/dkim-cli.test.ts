/*
 * `petrel domain add` makes the domain's DKIM keys and `petrel dkim show`
 * prints their records; the zone-file line, served by a real BIND, reads
 * back as the one record a verifier needs (strings joined), and its key is
 * the one stored for signing.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startBind } from '../support/bind.js';
import { ROOT } from '../support/petrel.js';
import { requireTools, run } from '../support/tools.js';

const BIN = join(ROOT, 'bin', 'petrel.js');
const tmp = mkdtempSync(join(tmpdir(), 'petrel-dkim-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const petrel = (args: string[]) => run(process.execPath, [BIN, ...args, '--config', join(tmp, 'petrel.toml')], { timeoutMs: 60_000 });

interface ShownRecord {
  name: string;
  selector: string;
  algorithm: string;
  value: string;
  strings: string[];
}

describe('DKIM keys from the CLI', () => {
  writeFileSync(join(tmp, 'petrel.toml'), `data_dir = "${join(tmp, 'data')}"\n[dkim]\nselector = "mail2026"\ned25519 = true\n`);

  it('domain add makes an RSA and an Ed25519 key and prints what to publish', async () => {
    const r = await petrel(['domain', 'add', 'dkim.test']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}mail2026\._domainkey\.dkim\.test\. 3600 IN TXT \( "v=DKIM1; k=rsa; p=[^"]{237}" "[^"]+" \)( ;.*)?$/m);
    assert.match(r.stdout, /^ {2}mail2026-ed\._domainkey\.dkim\.test\. 3600 IN TXT "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}="( ;.*)?$/m);
    assert.doesNotMatch(r.stdout, /PRIVATE KEY/);
  });

  it('dkim show --json gives each record, and an unknown domain is an error', async () => {
    const r = await petrel(['dkim', 'show', 'DKIM.test', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const records = JSON.parse(r.stdout) as ShownRecord[];
    assert.deepEqual(records.map((x) => [x.name, x.algorithm]), [['mail2026._domainkey.dkim.test', 'rsa-sha256'], ['mail2026-ed._domainkey.dkim.test', 'ed25519-sha256']]);
    for (const x of records) assert.equal(x.strings.join(''), x.value);
    const missing = await petrel(['dkim', 'show', 'nowhere.test']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no domain nowhere\.test/);
  });

  it('the printed zone lines load in BIND and read back as one record each, matching the stored private keys', async (t) => {
    if (!requireTools(t, 'named')) return;
    const shown = await petrel(['domain', 'add', 'zone.test']);
    assert.equal(shown.code, 0, shown.stderr);
    const lines = shown.stdout.split('\n').filter((l) => l.includes('._domainkey.')).map((l) => l.trim());
    assert.equal(lines.length, 2);
    const bind = await startBind({ 'zone.test': lines.join('\n') });
    try {
      const resolver = new Resolver({ timeout: 1000, tries: 1 });
      resolver.setServers([bind.address]);
      const db = new Database(join(tmp, 'data', 'petrel.db'), { readonly: true });
      const stored = db.prepare("SELECT k.selector, k.private_key FROM dkim_keys k JOIN domains d ON d.id = k.domain_id WHERE d.ascii = 'zone.test'").all() as { selector: string; private_key: string }[];
      db.close();
      for (const { selector, private_key } of stored) {
        const answers = await resolver.resolveTxt(`${selector}._domainkey.zone.test`);
        assert.equal(answers.length, 1, 'one TXT record');
        const value = answers[0]!.join('');
        const p = /p=([A-Za-z0-9+/=]+)$/.exec(value)![1]!;
        const mine = createPublicKey(createPrivateKey(private_key)).export({ type: 'spki', format: 'der' });
        assert.ok(mine.subarray(-Buffer.from(p, 'base64').length).equals(Buffer.from(p, 'base64')), `${selector}: the published key is the stored key's`);
      }
    } finally {
      await bind.stop();
    }
  });
});
