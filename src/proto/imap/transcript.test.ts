/*
 * Golden transcript: a mail-client session as Thunderbird runs it, driven
 * through framer (with its IDLE and AUTHENTICATE modes) and parser, the way
 * the session will drive them. Checks the command sequence the codec yields.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFramer } from './framer.js';
import { isIdleDone, parseAuthResponse } from './continuation.js';
import { POST_AUTH_FRAMER_LIMITS, PRE_AUTH_FRAMER_LIMITS } from './limits.js';
import { parseCommand } from './parser.js';

const CLIENT = [
  '1 capability\r\n',
  '2 authenticate PLAIN\r\n',
  'AGJvYkBleGFtcGxlLm9yZwBzZWNyZXQ=\r\n',
  '3 ID ("name" "Thunderbird" "version" "128.3.0")\r\n',
  '4 enable UTF8=ACCEPT CONDSTORE\r\n',
  '5 list (subscribed) "" "*" return (special-use)\r\n',
  '6 select "INBOX" (CONDSTORE)\r\n',
  '7 UID fetch 1:* (FLAGS MODSEQ) (CHANGEDSINCE 12)\r\n',
  '8 UID fetch 3 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])\r\n',
  '9 IDLE\r\n',
  'DONE\r\n',
  '10 UID move 3 "Trash"\r\n',
  '11 append "Sent" (\\Seen) {23}\r\n',
  'Subject: hi\r\n\r\nHello.\r\n\r\n',
  '12 UID store 4 +FLAGS (\\Seen \\Flagged)\r\n',
  '13 logout\r\n',
];

test('a Thunderbird session frames and parses as expected', () => {
  const f = new ImapFramer(PRE_AUTH_FRAMER_LIMITS);
  const seen: string[] = [];
  let utf8 = false;
  for (const chunk of CLIENT) {
    f.push(Buffer.from(chunk, 'utf8'));
    for (let e = f.next(); e; e = f.next()) {
      if (e.kind === 'continue') {
        seen.push(`+${e.size}`);
        continue;
      }
      if (e.kind === 'line') {
        if (f.getMode() === 'idle') {
          assert.ok(isIdleDone(e.line));
          seen.push('DONE');
        } else {
          const r = parseAuthResponse(e.line);
          assert.ok(r.kind === 'data');
          assert.equal(r.data.toString('latin1'), '\0bob@example.org\0secret');
          seen.push('SASL');
          f.setLimits(POST_AUTH_FRAMER_LIMITS);
        }
        f.setMode('command');
        continue;
      }
      assert.equal(e.kind, 'command');
      const r = parseCommand(e.unit, { utf8 });
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      const c = r.command;
      seen.push(`${c.tag} ${c.uid ? 'UID ' : ''}${c.name}`);
      if (c.name === 'AUTHENTICATE') f.setMode('authenticate');
      if (c.name === 'IDLE') f.setMode('idle');
      if (c.name === 'ENABLE' && c.args.capabilities.includes('UTF8=ACCEPT')) utf8 = true;
      if (c.name === 'APPEND') assert.equal(c.args.messages[0]!.data.length, 23);
      if (c.name === 'FETCH' && c.tag === '8') {
        const item = c.args.items[3]!;
        assert.ok(item.kind === 'BODY[]' && item.peek && item.section.text?.kind === 'HEADER.FIELDS' && item.section.text.fields.length === 14);
      }
    }
  }
  assert.deepEqual(seen, [
    '1 CAPABILITY', '2 AUTHENTICATE', 'SASL', '3 ID', '4 ENABLE', '5 LIST', '6 SELECT', '7 UID FETCH', '8 UID FETCH',
    '9 IDLE', 'DONE', '10 UID MOVE', '+23', '11 APPEND', '12 UID STORE', '13 LOGOUT',
  ]);
});
