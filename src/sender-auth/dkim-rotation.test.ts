/*
 * The DKIM switch step over a real SQLite store and a fake resolver (DNS
 * is outside the code under test; test/e2e/dkim-rotate.test.ts runs it
 * against BIND): a record not yet published, one with another key, a
 * pasted record cut short, two records at the selector and a lookup
 * failure all leave the key pending; the published key becomes active and
 * retires the old key of its algorithm only; the grace passes on a fake
 * clock.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fakeDns, type FakeZone } from '../dns/fake-client.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { MetadataStore } from '../store/types.js';
import { dkimRecordValue, generateDkimKey } from './dkim-keys.js';
import { publishedKeyProblem, rotationSelector, runDkimRotation } from './dkim-rotation.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-rotation-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const DAY = 86_400_000;
let n = 0;

async function setUp(): Promise<{ store: MetadataStore; clock: { now: number } }> {
  const clock = { now: Date.parse('2026-12-03T10:00:00Z') };
  const store = await openSqliteStore({ path: join(dir, `r${n++}.sqlite`), fsync: false, now: () => clock.now });
  await store.directory.addDomain({ name: 'example.com', ascii: 'example.com', dkimKeys: [generateDkimKey('rsa-sha256', 's2026'), generateDkimKey('ed25519-sha256', 's2026')] });
  return { store, clock };
}

const deps = (store: MetadataStore, clock: { now: number }, zone: FakeZone) => ({ keys: store.directory, dns: fakeDns(zone), now: () => clock.now, retireAfterMs: 7 * DAY });
const states = async (store: MetadataStore) => (await store.directory.dkimKeys('example.com')).map((k) => `${k.selector}:${k.state}`);

describe('DKIM rotation: the switch step', () => {
  it('a record not published yet, or a failed lookup, leaves the new key pending and the old one signing', async () => {
    const { store, clock } = await setUp();
    try {
      const [key] = await store.directory.addDkimKeys('example.com', [generateDkimKey('rsa-sha256', 's202612')]);
      const zones: FakeZone[] = [{}, { 's202612._domainkey.example.com': { txt: 'temporary' } }, { 's202612._domainkey.example.com': { a: ['192.0.2.1'] } }];
      for (const zone of zones) {
        const dns = fakeDns(zone);
        const report = await runDkimRotation({ ...deps(store, clock, zone), dns });
        assert.deepEqual(report.checked.map((c) => c.outcome), ['not-visible']);
        assert.equal(report.checked[0]!.key.id, key!.id);
        assert.deepEqual(dns.asked, ['TXT s202612._domainkey.example.com']);
      }
      assert.deepEqual(await states(store), ['s2026:active', 's2026-ed:active', 's202612:pending']);
    } finally {
      await store.close();
    }
  });

  it('a record with another key, cut short, revoked, of the wrong k=, or twice at the selector: stays pending and says why', async () => {
    const { store, clock } = await setUp();
    try {
      const [key] = await store.directory.addDkimKeys('example.com', [generateDkimKey('rsa-sha256', 's202612')]);
      const mine = dkimRecordValue(key!);
      const other = dkimRecordValue(generateDkimKey('rsa-sha256', 'x'));
      const cases: [string[], RegExp][] = [
        [[other], /is not this key/],
        [[mine.slice(0, 255)], /is not this key.*cut while pasting/],
        [['v=DKIM1; k=rsa; p='], /revoked/],
        [[mine.replace('k=rsa', 'k=ed25519')], /k=ed25519, the key is rsa/],
        [[mine, other], /2 DKIM records/],
        [['v=spf1 -all'], /none with a key/],
      ];
      for (const [txt, why] of cases) {
        const report = await runDkimRotation(deps(store, clock, { 's202612._domainkey.example.com': { txt } }));
        const check = report.checked[0]!;
        assert.equal(check.outcome, 'mismatch', txt.join(' | '));
        assert.match(check.outcome === 'mismatch' ? check.detail : '', why);
      }
      assert.deepEqual(await states(store), ['s2026:active', 's2026-ed:active', 's202612:pending']);
    } finally {
      await store.close();
    }
  });

  it('the published key becomes active and the old key of its algorithm retiring; the grace then passes on the clock', async () => {
    const { store, clock } = await setUp();
    try {
      const [rsa, ed] = await store.directory.addDkimKeys('example.com', [generateDkimKey('rsa-sha256', 's202612'), generateDkimKey('ed25519-sha256', 's202612')]);
      // The RSA record as a DNS provider serves it: several strings of one record (the client joins them), spaces in p= allowed.
      const value = dkimRecordValue(rsa!).replace('p=', 'p= ');
      const zone: FakeZone = { 's202612._domainkey.example.com': { txtStrings: [[value.slice(0, 255), value.slice(255)]] } };
      const report = await runDkimRotation(deps(store, clock, zone));
      assert.deepEqual(report.checked.map((c) => [c.key.selector, c.outcome]), [['s202612', 'activated'], ['s202612-ed', 'not-visible']]);
      const activated = report.checked[0]!;
      assert.deepEqual(activated.outcome === 'activated' ? activated.retiring.map((k) => k.selector) : [], ['s2026']);
      assert.deepEqual(await states(store), ['s2026:retiring', 's2026-ed:active', 's202612:active', 's202612-ed:pending'], 'the Ed25519 key signs on until its successor is visible');

      clock.now += DAY;
      zone['s202612-ed._domainkey.example.com'] = { txt: [dkimRecordValue(ed!)] };
      const second = await runDkimRotation(deps(store, clock, zone), 'example.com');
      assert.deepEqual(second.checked.map((c) => [c.key.selector, c.outcome]), [['s202612-ed', 'activated']]);
      assert.deepEqual(await states(store), ['s2026:retiring', 's2026-ed:retiring', 's202612:active', 's202612-ed:active']);
      assert.deepEqual((await runDkimRotation(deps(store, clock, zone))).checked, [], 'nothing pending, nothing asked');

      clock.now += 6 * DAY - 1;
      assert.deepEqual((await runDkimRotation(deps(store, clock, zone))).retired, [], 'a day short of the grace for the RSA key');
      clock.now += 1;
      assert.deepEqual((await runDkimRotation(deps(store, clock, zone))).retired.map((k) => k.selector), ['s2026']);
      clock.now += DAY;
      assert.deepEqual((await runDkimRotation(deps(store, clock, zone))).retired.map((k) => k.selector), ['s2026-ed']);
      assert.deepEqual(await states(store), ['s2026:retired', 's2026-ed:retired', 's202612:active', 's202612-ed:active']);
    } finally {
      await store.close();
    }
  });

  it('names a rotation by month, adds a letter when taken, and refuses a taken selector given by the operator', () => {
    const now = new Date('2026-12-03T10:00:00Z');
    assert.equal(rotationSelector(new Set(['s2026', 's2026-ed']), now), 's202612');
    assert.equal(rotationSelector(new Set(['s202612-ed']), now), 's202612b', 'the Ed25519 twin counts');
    assert.equal(rotationSelector(new Set(['s202612', 's202612b']), now), 's202612c');
    assert.equal(rotationSelector(new Set(['s2026']), now, 'mail2027'), 'mail2027');
    assert.throws(() => rotationSelector(new Set(['mail2027-ed']), now, 'mail2027'), /taken/);
  });

  it('reads a key record the way verifiers do: tags in any order, white space around them', () => {
    const key = generateDkimKey('ed25519-sha256', 's');
    assert.equal(publishedKeyProblem([` p = ${key.publicKey} ; k = ed25519 ; v=DKIM1`], key), undefined);
    assert.match(publishedKeyProblem([`v=DKIM1; p=${key.publicKey}`], key) ?? '', /k=rsa, the key is ed25519/, 'k= absent means rsa');
  });
});
