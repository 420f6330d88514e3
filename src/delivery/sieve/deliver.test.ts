/*
 * The action mapping of Sieve at delivery: what a run's actions become in
 * the delivery transaction (mailboxes and flags, edited copies, redirects
 * with the loop marker, RFC 3834 vacation rules, refusals, the keep
 * fallback), against in-memory fakes of the store and directory.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileSieve } from '../../sieve/index.js';
import type { AccountRecord, SieveGlobalScriptRecord } from '../../store/types.js';
import { createLogger } from '../../telemetry/logger.js';
import { SieveDelivery, SIEVE_REDIRECT_MARKER, type SieveDeliveryInput } from './deliver.js';
import { spamtestOf, virustestOf, imapFlags } from './env.js';

const alice: AccountRecord = { id: 7, domainId: 1, domain: 'example.test', local: 'alice', passwordHash: '', quotaBytes: 0, usedBytes: 0, enabled: true, createdAt: 0 };

function compiled(source: string): string {
  const r = compileSieve(source);
  if (!r.ok) throw new Error(r.error.message);
  return JSON.stringify(r.script);
}

function delivery(source: string | null, opts: { globals?: SieveGlobalScriptRecord[]; seen?: string[]; personal?: Record<string, string> } = {}) {
  const asked: string[][] = [];
  const d = new SieveDelivery({
    scripts: {
      active: async () => (source === null ? undefined : { name: 'main', compiled: compiled(source) }),
      get: async (_id, name) => (opts.personal?.[name] !== undefined ? { compiled: compiled(opts.personal[name]!) } : undefined),
      listGlobal: async () => opts.globals ?? [],
    },
    mailboxes: { listMailboxes: async () => [{ name: 'INBOX', specialUse: null }, { name: 'Junk', specialUse: '\\Junk' }, { name: 'Work', specialUse: null }, { name: 'Old', specialUse: '\\Archive' }] },
    marks: {
      unexpired: async (_a, _k, marks) => {
        asked.push([...marks]);
        return new Set(marks.filter((m) => opts.seen?.includes(m)));
      },
    },
    directory: {
      resolve: async (a) =>
        a.domain === 'example.test'
          ? a.local === 'alice'
            ? { kind: 'deliver', targets: [{ kind: 'mailbox', account: alice, address: 'alice@example.test' }] }
            : { kind: 'unknown' }
          : { kind: 'not-hosted' },
      maySendAs: async (acc, text) => text.toLowerCase() === `${acc.local}@${acc.domain}` || (acc.id === alice.id && text.toLowerCase() === 'info@example.test'),
    },
    hostname: 'mx.example.test',
  });
  return { d, asked };
}

const MESSAGE = 'Received: from x\r\nFrom: Bob <bob@remote.test>\r\nTo: alice@example.test\r\nSubject: Hello\r\nMessage-ID: <m1@remote.test>\r\n\r\nHi there\r\n';

function input(bytes = MESSAGE, over: Partial<SieveDeliveryInput> = {}): SieveDeliveryInput {
  return {
    account: alice,
    recipient: 'alice@example.test',
    sender: 'bob@remote.test',
    bytes: Buffer.from(bytes),
    messageId: '<m1@remote.test>',
    queueId: 'Q1',
    source: 'mx',
    keepMailbox: 'INBOX',
    envelope: { ret: null, envid: null, smtpUtf8: false, requireTls: false, body: null },
    enforceQuota: true,
    now: new Date(Date.UTC(2026, 11, 4)),
    log: createLogger({ write: () => {} }),
    ...over,
  };
}

describe('Sieve at delivery: the action mapping', () => {
  it('no script and no global script: null, delivery as before', async () => {
    assert.equal(await delivery(null).d.plan(input()), null);
  });

  it('fileinto with imap4flags lands in that mailbox with the flags; the implicit keep is cancelled', async () => {
    const plan = await delivery('require ["fileinto", "imap4flags"]; fileinto :flags ["\\\\Flagged", "$Work"] "Work";').d.plan(input());
    assert.deepEqual(plan, { kind: 'deliver', copies: [{ mailbox: 'Work', flags: ['\\Flagged', '$Work'] }], also: [], localAlso: 0, marks: [] });
  });

  it('fileinto :copy keeps too; :specialuse picks the mailbox with that use; a missing mailbox without :create keeps, with :create is created', async () => {
    const p1 = await delivery('require ["fileinto", "copy", "special-use"]; fileinto :copy :specialuse "\\\\Archive" "Archive";').d.plan(input());
    assert.deepEqual(p1?.kind === 'deliver' && p1.copies.map((c) => c.mailbox), ['Old', 'INBOX']);
    const p2 = await delivery('require "fileinto"; fileinto "Nope";').d.plan(input());
    assert.deepEqual(p2?.kind === 'deliver' && p2.copies.map((c) => c.mailbox), ['INBOX']);
    const p3 = await delivery('require ["fileinto", "mailbox"]; fileinto :create "Lists/New";').d.plan(input());
    assert.deepEqual(p3?.kind === 'deliver' && p3.copies.map((c) => c.mailbox), ['Lists/New']);
  });

  it('keep follows the filters\' Junk decision; flags IMAP cannot store are dropped', async () => {
    const plan = await delivery('require "imap4flags"; keep :flags ["\\\\Seen", "bad(flag", "\\\\Recent"];').d.plan(input(MESSAGE, { keepMailbox: 'Junk' }));
    assert.deepEqual(plan?.kind === 'deliver' && plan.copies, [{ mailbox: 'Junk', flags: ['\\Seen'] }]);
    assert.deepEqual(imapFlags(['$Label1', 'a b', '\\Deleted', '\\Whatever']), { flags: ['$Label1', '\\Deleted'], refused: ['a b', '\\Whatever'] });
  });

  it('a runtime error (a missing include) falls back to keep in INBOX', async () => {
    const plan = await delivery('require ["include", "fileinto"]; fileinto "Work"; include "missing";').d.plan(input());
    assert.deepEqual(plan?.kind === 'deliver' && plan.copies, [{ mailbox: 'INBOX', flags: [] }]);
  });

  it('includes are loaded from the user\'s other scripts (a second pass), never compiled here', async () => {
    const plan = await delivery('require "include"; include "sub";', { personal: { sub: 'require "fileinto"; fileinto "Work";' } }).d.plan(input());
    assert.deepEqual(plan?.kind === 'deliver' && plan.copies, [{ mailbox: 'Work', flags: [] }]);
  });

  it('the global before script runs first and a discard there ends the sequence', async () => {
    const g: SieveGlobalScriptRecord = { name: 'spam', phase: 'before', source: '', compiled: compiled('require "fileinto"; if header :contains "subject" "hello" { fileinto "Junk"; }'), size: 1, createdAt: 0, updatedAt: 0 };
    const plan = await delivery('require "fileinto"; fileinto "Work";', { globals: [g] }).d.plan(input());
    assert.deepEqual(plan?.kind === 'deliver' && plan.copies, [{ mailbox: 'Junk', flags: [] }]);
  });

  it('reject and ereject refuse the recipient with the reason, control characters removed', async () => {
    assert.deepEqual(await delivery('require "reject"; reject "Go away\r\nnow";').d.plan(input()), { kind: 'refuse', reason: 'Go away now' });
    assert.deepEqual(await delivery('require "ereject"; ereject "No";').d.plan(input()), { kind: 'refuse', reason: 'No' });
  });

  it('discard stores nothing', async () => {
    assert.deepEqual(await delivery('discard;').d.plan(input()), { kind: 'deliver', copies: [], also: [], localAlso: 0, marks: [] });
  });

  it('redirect queues a marked copy from the original sender, ORCPT naming the user (for the ARC seal); a message that already carries the marker is kept instead', async () => {
    const plan = await delivery('redirect "carol@far.test";').d.plan(input());
    assert.ok(plan?.kind === 'deliver');
    assert.deepEqual(plan.copies, []);
    const item = plan.also[0]!;
    assert.equal(item.bytes.toString().split('\r\n')[0], `${SIEVE_REDIRECT_MARKER}: <alice@example.test>`);
    assert.deepEqual(item.request.outbound?.recipients, [{ address: 'carol@far.test', notify: null, orcpt: 'rfc822;alice@example.test' }]);
    assert.equal(item.request.outbound?.sender, 'bob@remote.test');
    assert.equal(item.request.outbound?.source, 'mx');
    assert.notEqual(item.request.queueId, 'Q1');
    const looped = await delivery('redirect "carol@far.test";').d.plan(input(`${SIEVE_REDIRECT_MARKER}: <alice@example.test>\r\n${MESSAGE}`));
    assert.deepEqual(looped, { kind: 'deliver', copies: [{ mailbox: 'INBOX', flags: [] }], also: [], localAlso: 0, marks: [] });
  });

  it('a redirect or a vacation reply to a local address is a copy into that account\'s INBOX in the same commit, not a queue entry; an unknown local address is not redirected', async () => {
    const bobby: AccountRecord = { ...alice, id: 9, local: 'bobby' };
    const { d } = delivery('require ["vacation", "copy"]; redirect :copy "alice@example.test"; redirect :copy "ghost@example.test"; vacation "Away";');
    // bobby gets a message from alice, another local user: his copy of it to alice and his answer to her stay inside.
    const plan = await d.plan(input(MESSAGE.replace('To: alice@', 'To: bobby@'), { account: bobby, recipient: 'bobby@example.test', sender: 'alice@example.test' }));
    assert.ok(plan?.kind === 'deliver');
    assert.deepEqual(plan.copies, [{ mailbox: 'INBOX', flags: [] }]);
    assert.equal(plan.also.length, 2, 'the redirect to alice and the vacation reply to alice');
    for (const item of plan.also) {
      assert.equal(item.request.outbound, undefined);
      assert.deepEqual(item.request.local, [{ accountId: 7, mailbox: 'INBOX', enforceQuota: false }]);
    }
    assert.match(plan.also[1]!.bytes.toString(), /^Auto-Submitted: auto-replied$/m);
  });

  it('editheader changes apply to the stored copy, which becomes a message of its own in the same commit', async () => {
    const plan = await delivery('require "editheader"; addheader "X-Filtered" "yes"; deleteheader "subject";').d.plan(input());
    assert.ok(plan?.kind === 'deliver');
    assert.deepEqual(plan.copies, []);
    assert.equal(plan.localAlso, 1);
    const text = plan.also[0]!.bytes.toString();
    assert.ok(text.startsWith('X-Filtered: yes\r\n'));
    assert.ok(!/^Subject:/m.test(text));
    assert.deepEqual(plan.also[0]!.request.local, [{ accountId: 7, mailbox: 'INBOX', flags: [], enforceQuota: true }]);
  });

  it('vacation answers the envelope sender from <> with Auto-Submitted, once per period (a mark taken at commit)', async () => {
    const plan = await delivery('require "vacation"; vacation :days 3 "Away";').d.plan(input());
    assert.ok(plan?.kind === 'deliver');
    assert.deepEqual(plan.copies, [{ mailbox: 'INBOX', flags: [] }]);
    const reply = plan.also[0]!;
    assert.equal(reply.request.outbound?.sender, '');
    assert.deepEqual(reply.request.outbound?.recipients.map((r) => r.address), ['bob@remote.test']);
    assert.equal(reply.request.onlyOnce?.kind, 'vacation');
    assert.equal(reply.request.onlyOnce?.seconds, 3 * 86400);
    const text = reply.bytes.toString();
    assert.match(text, /^Auto-Submitted: auto-replied$/m);
    assert.match(text, /^In-Reply-To: <m1@remote.test>$/m);
    assert.match(text, /^Subject: Auto: Hello$/m);
    assert.match(text, /^From: <alice@example.test>$/m);
  });

  it('vacation: no answer to <>, MAILER-DAEMON, Auto-Submitted, List-Id, Precedence bulk, or when the user is not in To/Cc/Bcc; an alias of the user counts', async () => {
    const { d } = delivery('require "vacation"; vacation "Away";');
    const none = async (bytes: string, over: Partial<SieveDeliveryInput> = {}) => {
      const p = await d.plan(input(bytes, over));
      assert.ok(p?.kind === 'deliver');
      return p.also.length;
    };
    assert.equal(await none(MESSAGE, { sender: '' }), 0);
    assert.equal(await none(MESSAGE, { sender: 'MAILER-DAEMON@remote.test' }), 0);
    assert.equal(await none(MESSAGE.replace('Subject', 'Auto-Submitted: auto-replied\r\nSubject')), 0);
    assert.equal(await none(MESSAGE.replace('Subject', 'List-Id: <l.remote.test>\r\nSubject')), 0);
    assert.equal(await none(MESSAGE.replace('Subject', 'Precedence: bulk\r\nSubject')), 0);
    assert.equal(await none(MESSAGE.replace('To: alice@example.test', 'To: someone@else.test')), 0);
    assert.equal(await none(MESSAGE.replace('To: alice@example.test', 'To: someone@else.test\r\nCc: Info <info@example.test>')), 1);
    assert.equal(await none(MESSAGE.replace('Subject', 'Auto-Submitted: no\r\nSubject')), 1);
  });

  it('notify mailto is queued from <> with Auto-Submitted: auto-notified, never about automatic mail', async () => {
    const plan = await delivery('require "enotify"; notify :message "New mail" "mailto:alice@far.test?subject=Ping";').d.plan(input());
    assert.ok(plan?.kind === 'deliver');
    const n = plan.also[0]!;
    assert.deepEqual(n.request.outbound?.recipients.map((r) => r.address), ['alice@far.test']);
    assert.match(n.bytes.toString(), /^Auto-Submitted: auto-notified$/m);
    assert.match(n.bytes.toString(), /^Subject: Ping$/m);
    const auto = await delivery('require "enotify"; notify "mailto:alice@far.test";').d.plan(input(MESSAGE.replace('Subject', 'Auto-Submitted: auto-generated\r\nSubject')));
    assert.equal(auto?.kind === 'deliver' && auto.also.length, 0);
  });

  it('duplicate: the ids are asked of the store (a second pass) and recorded as marks for the commit', async () => {
    const src = 'require "duplicate"; if duplicate { discard; }';
    const first = delivery(src);
    const p1 = await first.d.plan(input());
    assert.ok(p1?.kind === 'deliver');
    assert.deepEqual(p1.copies, [{ mailbox: 'INBOX', flags: [] }]);
    assert.equal(p1.marks.length, 1);
    assert.equal(first.asked.length, 1);
    const again = await delivery(src, { seen: [p1.marks[0]!.mark] }).d.plan(input());
    assert.deepEqual(again?.kind === 'deliver' && again.copies, []);
  });
});

describe('Sieve at delivery: the filter facts (RFC 5235)', () => {
  it('spamtest 1..10 and spamtestplus 0..100 from score and threshold; absent when not tested', () => {
    assert.equal(spamtestOf(undefined), undefined);
    assert.deepEqual(spamtestOf({ spam: { score: -2, threshold: 5 } }), { value: 1, percent: 0 });
    assert.deepEqual(spamtestOf({ spam: { score: 2.5, threshold: 5 } }), { value: 6, percent: 50 });
    assert.deepEqual(spamtestOf({ spam: { score: 12, threshold: 5 } }), { value: 10, percent: 100 });
  });

  it('virustest 0 unscanned, 1 clean, 5 infected', () => {
    assert.equal(virustestOf({ virus: { scanned: false, infected: false } }), undefined);
    assert.equal(virustestOf({ virus: { scanned: true, infected: false } }), 1);
    assert.equal(virustestOf({ virus: { scanned: true, infected: true } }), 5);
  });
});
