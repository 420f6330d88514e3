/*
 * `petrel spam` on a real data directory: learn (global and per user,
 * once, relearned as the other kind), status, forget, check, and the
 * usage and unknown-user errors. Called through spam(ctx) as cli/index.ts
 * will dispatch it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GTUBE } from '../filters/spam/index.js';
import { commandContext, UsageError } from './context.js';
import type { Io } from './io.js';
import { spam } from './spam.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-spam-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, 'data');

async function petrelSpam(args: string[], options: Record<string, string> = {}) {
  const out: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`), readPassword: async () => '' };
  const code = await spam(commandContext(args, { data, ...options }, io));
  return { code, out };
}

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('petrel spam', () => {
  const offer = file('offer.eml', 'From: deals@pills.example\nSubject: Cheap pills\n\nBuy cheap pills now\n');
  const agenda = file('agenda.eml', 'From: carol@work.example\nSubject: Agenda\n\nThe agenda for the meeting\n');

  it('learns into the global table, once, and relearns as the other kind', async () => {
    assert.deepEqual((await petrelSpam(['learn', 'spam', offer, agenda])).out, [`${offer}: learned as spam (global)`, `${agenda}: learned as spam (global)`]);
    assert.deepEqual((await petrelSpam(['learn', 'spam', offer])).out, [`${offer}: already learned as spam (global)`]);
    assert.deepEqual((await petrelSpam(['learn', 'ham', agenda])).out, [`${agenda}: relearned as ham (global)`]);
    assert.deepEqual((await petrelSpam(['status'])).out, ['global: 1 spam, 1 ham learned (not used until 200 spam and 200 ham are learned)']);
  });

  it('learns for a user too, and forgets', async () => {
    const ctx = commandContext([], { data }, { out: () => {}, err: () => {}, readPassword: async () => '' });
    await ctx.withStores(async ({ directory }) => {
      await directory.addDomain('petrel.example');
      await directory.addUser('alice@petrel.example', 'a-long-password');
    });
    const learned = await petrelSpam(['learn', 'spam', offer], { user: 'alice@petrel.example' });
    assert.deepEqual(learned.out, [`${offer}: learned as spam (global and alice@petrel.example)`], 'the global table had it; the user result is shown');
    assert.deepEqual((await petrelSpam(['status'], { user: 'alice@petrel.example' })).out.slice(1), ['alice@petrel.example: 1 spam, 0 ham learned (not used until 200 spam and 200 ham are learned)']);
    assert.deepEqual((await petrelSpam(['forget', offer], { user: 'alice@petrel.example' })).out, [`${offer}: forgotten (global and alice@petrel.example)`]);
    assert.deepEqual((await petrelSpam(['forget', offer])).out, [`${offer}: was not learned (global)`]);
    await assert.rejects(petrelSpam(['learn', 'spam', offer], { user: 'nobody@petrel.example' }), (e: Error) => e instanceof UsageError && /no such user/.test(e.message));
  });

  it('checks a message with the built-in rules', async () => {
    const { out } = await petrelSpam(['check', file('gtube.eml', `Subject: test\n\n${GTUBE}\n`)]);
    assert.match(out[0]!, /^score 10\d\d\.\d \(spam at 5\.0\)$/);
    assert.ok(out.some((l) => /^\s+1000\.0  GTUBE$/.test(l)), out.join('\n'));
  });

  it('refuses what it does not know with the usage', async () => {
    await assert.rejects(petrelSpam(['learn', 'maybe', offer]), UsageError);
    await assert.rejects(petrelSpam(['teach']), /usage: petrel spam learn spam\|ham/);
  });
});
