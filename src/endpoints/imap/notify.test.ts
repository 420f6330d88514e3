/*
 * checkNotify as a table of NOTIFY SET command lines (parsed by the real
 * codec) and the answer RFC 5465 asks for: accepted (with the parts of
 * the request that matter), BAD, or NO [BADEVENT].
 *
 * Security: test only.
 * Standards: RFC 5465 sections 3, 5 and 6.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImapFramer, POST_AUTH_FRAMER_LIMITS, parseCommand } from '../../proto/imap/index.js';
import { checkNotify, wantsChange } from './notify.js';

function check(line: string) {
  const f = new ImapFramer(POST_AUTH_FRAMER_LIMITS);
  f.push(Buffer.from(`${line}\r\n`));
  const e = f.next();
  assert.ok(e && e.kind === 'command');
  const parsed = parseCommand(e.unit);
  assert.ok(parsed.ok && parsed.command.name === 'NOTIFY' && parsed.command.args.kind === 'SET', line);
  return checkNotify(parsed.command.args as Extract<typeof parsed.command.args, { kind: 'SET' }>);
}

const CASES: Array<[string, 'ok' | 'BAD' | 'BADEVENT']> = [
  ['a NOTIFY SET (selected (MessageNew MessageExpunge))', 'ok'],
  ['a NOTIFY SET (selected-delayed (MessageNew MessageExpunge FlagChange))', 'ok'],
  ['a NOTIFY SET STATUS (personal (MessageNew MessageExpunge MailboxName SubscriptionChange))', 'ok'],
  ['a NOTIFY SET (inboxes (MailboxMetadataChange ServerMetadataChange))', 'ok'],
  ['a NOTIFY SET (subtree (Lists "Other Lists") (MessageNew MessageExpunge)) (mailboxes Junk NONE)', 'ok'],
  ['a NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (From Subject)]) MessageExpunge))', 'ok'],
  ['a NOTIFY SET (selected (MessageNew))', 'BAD'],
  ['a NOTIFY SET (selected (MessageExpunge))', 'BAD'],
  ['a NOTIFY SET (personal (FlagChange))', 'BAD'],
  ['a NOTIFY SET (selected (MessageNew MessageExpunge SubscriptionChange))', 'BAD'],
  ['a NOTIFY SET (selected (MessageNew MessageExpunge)) (selected-delayed (MessageNew MessageExpunge))', 'BAD'],
  ['a NOTIFY SET (personal (MessageNew (UID) MessageExpunge))', 'BAD'],
  ['a NOTIFY SET (selected (MessageNew (BODY[TEXT]) MessageExpunge))', 'BAD'],
  ['a NOTIFY SET (selected (MessageNew (RFC822) MessageExpunge))', 'BAD'],
  ['a NOTIFY SET (selected (MessageNew (NOSUCHITEM) MessageExpunge))', 'BAD'],
  ['a NOTIFY SET (personal (NoSuchEvent))', 'BAD'],
  ['a NOTIFY SET (selected (MessageNew MessageExpunge AnnotationChange))', 'BADEVENT'],
];

describe('checkNotify', () => {
  for (const [line, want] of CASES) {
    it(`${line} -> ${want}`, () => {
      const r = check(line);
      assert.equal(r.ok ? 'ok' : r.kind, want, JSON.stringify(r));
    });
  }

  it('keeps what the session needs: SELECTED-DELAYED, the fetch attributes, normalised SUBTREE names, STATUS', () => {
    const r = check('a NOTIFY SET STATUS (selected-delayed (MessageNew (UID FLAGS) MessageExpunge)) (subtree (inbox/Lists) (MessageNew MessageExpunge))');
    assert.ok(r.ok);
    assert.equal(r.spec.status, true);
    assert.equal(r.spec.selected?.delayed, true);
    assert.equal(r.spec.selected?.fetchAtts, 'UID FLAGS');
    assert.deepEqual(r.spec.others[0]!.names, ['INBOX/Lists']);
  });

  it('wantsChange maps change kinds to the events asked for', () => {
    const events = new Set(['MESSAGENEW', 'MESSAGEEXPUNGE']);
    assert.equal(wantsChange(events, ['new']), true);
    assert.equal(wantsChange(events, ['flags']), false);
    assert.equal(wantsChange(events, ['flags', 'expunge']), true);
    assert.equal(wantsChange(events, []), true);
    assert.equal(wantsChange(new Set(), []), false);
  });
});
