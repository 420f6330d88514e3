/*
 * The Bayes classifier on a real SQLite store: the chi-squared
 * combination, the tokens (stable, bounded, hashed), a small corpus
 * trained and new mail classified, nothing said before enough is learned,
 * learning once and relearning ham <-> spam, the user's own table against
 * the global one, the trainer consuming the Junk-move events, and the
 * filter scoring with a user's table.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_MAILBOXES } from '../../../core/mailbox-names.js';
import { fakeDns } from '../../../dns/fake-client.js';
import { sha256 } from '../../../store/blob/files.js';
import { openSqliteStore } from '../../../store/sqlite/index.js';
import type { MetadataStore } from '../../../store/types.js';
import { silentLogger } from '../../../telemetry/logger.js';
import { FilterPipeline } from '../../pipeline.js';
import { spamFilter } from '../filter.js';
import { MAX_TOKENS } from '../limits.js';
import { readMessage } from '../message.js';
import { DEFAULT_SPAM_SETTINGS, type BayesSettings } from '../settings.js';
import { classify, combine, tokenProbability } from './classify.js';
import { forgetMessage, learnMessage, trainFromEvents } from './learn.js';
import { hashToken, tokenize } from './tokenize.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-bayes-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const openStore = () => openSqliteStore({ path: join(dir, `db${n++}.sqlite`), fsync: false });

const SETTINGS: BayesSettings = { enabled: true, minSpam: 5, minHam: 5, perUser: true };
const mail = (from: string, subject: string, text: string) => Buffer.from(`From: ${from}\r\nTo: bob@petrel.example\r\nSubject: ${subject}\r\n\r\n${text}\r\n`);

const SPAM = [
  mail('deals@cheap-pills.example', 'Cheap pills online', 'Buy cheap viagra pills now, discount pharmacy, no prescription, click http://cheap-pills.example/buy'),
  mail('winner@lottery.example', 'You are a winner', 'Congratulations winner, claim your lottery prize now, click http://lottery.example/claim money'),
  mail('casino@bonus.example', 'Casino bonus', 'Free casino bonus money, click now to claim your prize, discount offer'),
  mail('offers@cheap-pills.example', 'Discount pharmacy', 'Pharmacy discount, cheap pills, viagra, order now, no prescription needed'),
  mail('prize@lottery.example', 'Claim your prize money', 'Your prize money is waiting, winner, claim now, lottery casino bonus'),
  mail('sales@replica.example', 'Replica watches cheap', 'Cheap replica watches, discount, order now, click here for the offer'),
];
const HAM = [
  mail('carol@work.example', 'Project meeting agenda', 'Hi team, the agenda for the project meeting on Thursday: budget review, schedule, and the release plan.'),
  mail('dave@work.example', 'Budget review', 'Attached is the budget review for the quarter; please comment on the schedule before the meeting.'),
  mail('erin@work.example', 'Lunch on Friday?', 'Shall we have lunch on Friday after the release planning? The team could join.'),
  mail('carol@work.example', 'Release plan', 'The release plan is updated with the schedule from the meeting; review the agenda items please.'),
  mail('frank@work.example', 'Minutes of the meeting', 'Minutes: the team agreed on the budget, the schedule and the release; next meeting Thursday.'),
  mail('dave@work.example', 'Quarter report', 'The quarter report and the budget numbers are ready for the team review before Friday.'),
];

async function trainCorpus(store: MetadataStore, accountId: number | null) {
  for (const m of SPAM) await learnMessage(store.bayes, m, 'spam', accountId, 1);
  for (const m of HAM) await learnMessage(store.bayes, m, 'ham', accountId, 1);
}

const NEW_SPAM = mail('promo@cheap-pills.example', 'Cheap viagra discount', 'Order cheap pills now, discount pharmacy, claim your prize, click http://cheap-pills.example/now');
const NEW_HAM = mail('carol@work.example', 'Agenda for Thursday', 'Hi team, the meeting agenda: the budget and the release schedule review.');

async function account(store: MetadataStore, local: string) {
  if (!(await store.directory.getDomain('petrel.example'))) await store.directory.addDomain({ name: 'petrel.example', ascii: 'petrel.example' });
  const a = await store.directory.addAccount({ domain: 'petrel.example', local, passwordHash: 'h', quotaBytes: 0 });
  await store.mailboxes.ensureMailboxes(a.id, DEFAULT_MAILBOXES);
  return a.id;
}

describe('bayes: combination and tokens', () => {
  it('combines strong clues to near certainty, mixed or no clues to unsure', () => {
    assert.ok(combine(Array(20).fill(0.99)) > 0.99);
    assert.ok(combine(Array(20).fill(0.01)) < 0.01);
    assert.ok(Math.abs(combine([...Array(10).fill(0.99), ...Array(10).fill(0.01)]) - 0.5) < 0.01);
    assert.equal(combine([0.5, 0.55, 0.45]), 0.5, 'tokens near 0.5 say nothing');
    assert.equal(combine([]), 0.5);
  });

  it('leans a rarely seen token to 0.5 (Robinson\'s prior)', () => {
    const totals = { spam: 100, ham: 100 };
    assert.ok(tokenProbability({ spam: 1, ham: 0 }, totals) < tokenProbability({ spam: 50, ham: 0 }, totals));
    assert.equal(tokenProbability({ spam: 0, ham: 0 }, totals), 0.5);
    assert.ok(tokenProbability({ spam: 0, ham: 40 }, totals) < 0.05);
  });

  it('tokens are stable hashes of subject, From, link domains and words, bounded and distinct', () => {
    const view = readMessage(NEW_SPAM);
    assert.deepEqual(tokenize(view), tokenize(readMessage(NEW_SPAM)));
    const tokens = tokenize(view);
    assert.equal(new Set(tokens).size, tokens.length);
    for (const t of ['S:viagra', 'F:promo@cheap-pills.example', 'F:@cheap-pills.example', 'U:cheap-pills.example', 'pharmacy']) assert.ok(tokens.includes(hashToken(t)), t);
    assert.ok(tokens.every((t) => /^[0-9a-f]{16}$/.test(t)), 'no words are stored');
    const big = Buffer.from(`Subject: x\r\n\r\n${Array.from({ length: 5000 }, (_, i) => `word${i}`).join(' ')}\r\n`);
    assert.equal(tokenize(readMessage(big)).length, MAX_TOKENS);
    const withOurs = Buffer.concat([Buffer.from('X-Spam-Status: Yes, score=9\r\n'), NEW_SPAM]);
    assert.deepEqual(tokenize(readMessage(withOurs)), tokens, 'our own X-Spam fields (in Junk copies) change nothing');
  });
});

describe('bayes: training and classification', () => {
  it('says nothing before enough is learned, then tells the corpus\' spam from its ham', async () => {
    const store = await openStore();
    try {
      assert.equal(await classify(store.bayes, tokenize(readMessage(NEW_SPAM)), null, SETTINGS), undefined);
      await trainCorpus(store, null);
      const spam = await classify(store.bayes, tokenize(readMessage(NEW_SPAM)), null, SETTINGS);
      const ham = await classify(store.bayes, tokenize(readMessage(NEW_HAM)), null, SETTINGS);
      assert.ok(spam && spam.probability > 0.9, `spam ${spam?.probability}`);
      assert.ok(ham && ham.probability < 0.1, `ham ${ham?.probability}`);
      assert.equal(spam.table, 'global');
    } finally {
      await store.close();
    }
  });

  it('learns a message once, relearns it as the other kind, and forgets it', async () => {
    const store = await openStore();
    try {
      assert.equal(await learnMessage(store.bayes, SPAM[0]!, 'spam', null, 1), 'learned');
      assert.equal(await learnMessage(store.bayes, SPAM[0]!, 'spam', null, 2), 'unchanged');
      assert.deepEqual(await store.bayes.totals(null), { spam: 1, ham: 0 });
      assert.equal(await learnMessage(store.bayes, SPAM[0]!, 'ham', null, 3), 'relearned');
      assert.deepEqual(await store.bayes.totals(null), { spam: 0, ham: 1 });
      const tokens = tokenize(readMessage(SPAM[0]!));
      const counts = await store.bayes.tokenCounts(null, tokens);
      assert.ok([...counts.values()].every((c) => c.spam === 0 && c.ham === 1));
      assert.equal(await forgetMessage(store.bayes, SPAM[0]!, null, 4), true);
      assert.deepEqual(await store.bayes.totals(null), { spam: 0, ham: 0 });
      assert.equal((await store.bayes.tokenCounts(null, tokens)).size, 0);
    } finally {
      await store.close();
    }
  });

  it('a user who trained enough is classified by the own table, others by the global one', async () => {
    const store = await openStore();
    try {
      const alice = await account(store, 'alice');
      const bob = await account(store, 'bob');
      await trainCorpus(store, null);
      // Alice gets her copies of the "work" mail as unwanted newsletters and wants the offers; her verdicts teach the
      // global table too, which has now seen both sides of everything.
      const hers = (m: Buffer) => Buffer.from(m.toString().replace('To: bob@', 'To: alice@'));
      for (const m of HAM) await learnMessage(store.bayes, hers(m), 'spam', alice, 1);
      for (const m of SPAM) await learnMessage(store.bayes, hers(m), 'ham', alice, 1);
      assert.deepEqual(await store.bayes.totals(null), { spam: 12, ham: 12 });
      const tokens = tokenize(readMessage(NEW_HAM));
      const own = await classify(store.bayes, tokens, alice, SETTINGS);
      const global = await classify(store.bayes, tokens, bob, SETTINGS);
      assert.equal(own?.table, 'user');
      assert.ok(own!.probability > 0.9, `alice ${own?.probability}`);
      assert.equal(global?.table, 'global', 'bob trained nothing');
      assert.ok(global!.probability < own!.probability - 0.3, `global ${global?.probability}`);
      const notPerUser = await classify(store.bayes, tokens, alice, { ...SETTINGS, perUser: false });
      assert.equal(notPerUser?.table, 'global');
    } finally {
      await store.close();
    }
  });

  it('trains from the events of moves into and out of Junk and consumes them; a message gone is consumed too', async () => {
    const store = await openStore();
    try {
      const alice = await account(store, 'alice');
      const blobs = new Map<string, Buffer>();
      const messages = [SPAM[0]!, SPAM[1]!, HAM[0]!];
      for (const [i, m] of messages.entries()) {
        const hash = sha256(m);
        if (i < 2) blobs.set(hash, m);
        assert.ok((await store.messages.append(alice, 'INBOX', { hash, size: m.length, index: '{"v":1}' }, [], 1_700_000_000_000 + i)).ok);
      }
      const inbox = (await store.mailboxes.getMailbox(alice, 'INBOX'))!;
      const junk = (await store.mailboxes.getMailbox(alice, 'Junk'))!;
      assert.ok((await store.messages.move(inbox.id, [[1, 3]], junk.id)).ok);
      assert.ok((await store.messages.move(junk.id, [1], inbox.id)).ok, 'SPAM[0] back out of Junk: ham');
      const blobStore = { get: async (h: string) => blobs.get(h)!, has: async (h: string) => blobs.has(h) };
      const report = await trainFromEvents(store, blobStore, { limit: 2, now: () => 5 });
      assert.deepEqual(report, { learned: 2, relearned: 0, unchanged: 0, missing: 0 });
      const rest = await trainFromEvents(store, blobStore, { now: () => 6 });
      assert.deepEqual(rest, { learned: 0, relearned: 1, unchanged: 0, missing: 1 });
      assert.deepEqual(await store.learning.listLearningEvents(10), []);
      assert.deepEqual(await store.bayes.totals(alice), { spam: 1, ham: 1 });
      assert.deepEqual(await store.bayes.totals(null), { spam: 1, ham: 1 });
    } finally {
      await store.close();
    }
  });

  it('the filter scores a one-account message with that account\'s Bayes table', async () => {
    const store = await openStore();
    try {
      const alice = await account(store, 'alice');
      await trainCorpus(store, alice);
      const settings = { ...DEFAULT_SPAM_SETTINGS, bayes: SETTINGS };
      const pipeline = new FilterPipeline([spamFilter(settings, { dns: fakeDns({}), bayes: store.bayes })]);
      const run = pipeline.begin({ client: { ip: '192.0.2.1', helo: 'x', tls: false, user: null, role: 'mx', trusted: false }, sender: 'promo@cheap-pills.example', queueId: 'Q', facts: {}, log: silentLogger });
      await run.rcpt({ address: 'alice@petrel.example', domain: 'petrel.example', accountId: alice });
      const out = await run.body({ bytes: NEW_SPAM, headerEnd: NEW_SPAM.indexOf('\r\n\r\n') + 4 });
      assert.ok(out.facts.spam?.tests.includes('BAYES_99'), out.facts.spam?.tests.join(','));
    } finally {
      await store.close();
    }
  });
});
