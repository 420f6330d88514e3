/*
 * BODY[section]<partial> cut from real messages: every expectation is the
 * literal text the section must return (RFC 9051 section 6.4.5).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIXTURES, crlf } from './imap-fixtures.test.js';
import { sectionBytes, type PartialRange, type SectionSpec } from './imap-sections.js';
import { indexMessage } from './index.js';

function fetch(name: string, section: SectionSpec, partial?: PartialRange): string {
  const message = Buffer.from(FIXTURES[name] as string, 'latin1');
  return sectionBytes(message, indexMessage(message), section, partial).toString('latin1');
}

const INNER_HEADER = crlf(
  'Date: Mon, 30 Jun 2003 09:00:00 +0000',
  'From: Carol <carol@example.net>',
  'Sender: Secretary <sec@example.net>',
  'To: undisclosed-recipients:;',
  'Subject: lunch',
  'Message-ID: <lunch@example.net>',
  'Content-Type: multipart/alternative; boundary=in',
  '',
  '',
);
const INNER_TEXT = crlf('--in', 'Content-Type: text/plain', '', 'Lunch at one?', '--in', 'Content-Type: text/html', '', '<b>Lunch</b> at one?', '--in--');

describe('sections of a message with an attached message/rfc822', () => {
  it('BODY[] is the whole message', () => {
    assert.equal(fetch('rfc822', { part: [] }), FIXTURES.rfc822);
  });
  it('BODY[HEADER] and BODY[TEXT] of the message', () => {
    assert.equal(fetch('rfc822', { part: [], kind: 'HEADER' }), crlf('From: alice@example.com', 'To: bob@example.org', 'Subject: Fwd: lunch', 'Content-Type: multipart/mixed; boundary=fwd', '', ''));
    assert.equal(fetch('rfc822', { part: [], kind: 'TEXT' }), (FIXTURES.rfc822 as string).slice((FIXTURES.rfc822 as string).indexOf('\r\n\r\n') + 4));
  });
  it('BODY[1] and BODY[1.MIME] of a text part', () => {
    assert.equal(fetch('rfc822', { part: [1] }), 'Forwarded below.');
    assert.equal(fetch('rfc822', { part: [1], kind: 'MIME' }), 'Content-Type: text/plain\r\n\r\n');
  });
  it('BODY[2] is the encapsulated message, BODY[2.MIME] the part header', () => {
    assert.equal(fetch('rfc822', { part: [2] }), INNER_HEADER + INNER_TEXT);
    assert.equal(fetch('rfc822', { part: [2], kind: 'MIME' }), 'Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n');
  });
  it('BODY[2.HEADER] and BODY[2.TEXT] refer to the encapsulated message', () => {
    assert.equal(fetch('rfc822', { part: [2], kind: 'HEADER' }), INNER_HEADER);
    assert.equal(fetch('rfc822', { part: [2], kind: 'TEXT' }), INNER_TEXT);
  });
  it('BODY[2.HEADER.FIELDS (SUBJECT from)] keeps the original order and adds the blank line', () => {
    assert.equal(fetch('rfc822', { part: [2], kind: 'HEADER.FIELDS', fields: ['SUBJECT', 'from'] }), 'From: Carol <carol@example.net>\r\nSubject: lunch\r\n\r\n');
  });
  it('BODY[2.HEADER.FIELDS.NOT (...)] keeps the others', () => {
    assert.equal(
      fetch('rfc822', { part: [2], kind: 'HEADER.FIELDS.NOT', fields: ['date', 'from', 'sender', 'to', 'content-type'] }),
      'Subject: lunch\r\nMessage-ID: <lunch@example.net>\r\n\r\n',
    );
  });
  it('BODY[2.1], BODY[2.2.MIME]: numbers after 2 count the encapsulated parts', () => {
    assert.equal(fetch('rfc822', { part: [2, 1] }), 'Lunch at one?');
    assert.equal(fetch('rfc822', { part: [2, 2] }), '<b>Lunch</b> at one?');
    assert.equal(fetch('rfc822', { part: [2, 2], kind: 'MIME' }), 'Content-Type: text/html\r\n\r\n');
  });
  it('HEADER or TEXT of a part that is not a message, MIME without a part, missing parts: empty', () => {
    assert.equal(fetch('rfc822', { part: [2, 1], kind: 'HEADER' }), '');
    assert.equal(fetch('rfc822', { part: [1], kind: 'TEXT' }), '');
    assert.equal(fetch('rfc822', { part: [], kind: 'MIME' }), '');
    assert.equal(fetch('rfc822', { part: [3] }), '');
    assert.equal(fetch('rfc822', { part: [0] }), '');
    assert.equal(fetch('rfc822', { part: [2, 1, 1] }), '');
  });
});

describe('partial ranges', () => {
  it('<0.9>, <10.100> (clipped), <100.5> (past the end), <5.0>', () => {
    assert.equal(fetch('rfc822', { part: [1] }, { start: 0, length: 9 }), 'Forwarded');
    assert.equal(fetch('rfc822', { part: [1] }, { start: 10, length: 100 }), 'below.');
    assert.equal(fetch('rfc822', { part: [1] }, { start: 100, length: 5 }), '');
    assert.equal(fetch('rfc822', { part: [1] }, { start: 5, length: 0 }), '');
  });
  it('applies to HEADER.FIELDS after selection', () => {
    assert.equal(fetch('rfc822', { part: [2], kind: 'HEADER.FIELDS', fields: ['subject'] }, { start: 9, length: 100 }), 'lunch\r\n\r\n');
  });
});

describe('single-part and digest messages', () => {
  it('BODY[1] of a non-multipart message is its body, BODY[1.MIME] its header', () => {
    assert.equal(fetch('simple', { part: [1] }), 'Hello Bob,\r\nhow are you?\r\n');
    assert.equal(fetch('simple', { part: [1], kind: 'MIME' }), fetch('simple', { part: [], kind: 'HEADER' }));
    assert.equal(fetch('simple', { part: [2] }), '');
  });
  it('digest parts default to message/rfc822: HEADER, TEXT, 1.1 and an empty MIME header', () => {
    assert.equal(fetch('digest', { part: [1], kind: 'HEADER' }), 'From: a@example.com\r\nSubject: one\r\n\r\n');
    assert.equal(fetch('digest', { part: [1], kind: 'TEXT' }), 'first');
    assert.equal(fetch('digest', { part: [1, 1] }), 'first');
    assert.equal(fetch('digest', { part: [1], kind: 'MIME' }), '\r\n');
    assert.equal(fetch('digest', { part: [3] }), 'not a message');
  });
  it('nested multiparts: 1.2.2 is the image, 1.2 the related body', () => {
    assert.equal(fetch('nested', { part: [1, 2, 2] }), 'iVBORw0KGgo=');
    assert.equal(fetch('nested', { part: [1, 2, 2], kind: 'MIME' }), 'Content-Type: image/png\r\nContent-ID: <img>\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n');
    assert.ok(fetch('nested', { part: [1, 2] }).startsWith('--rel\r\n'));
    assert.ok(fetch('nested', { part: [1, 2] }).endsWith('--rel--'));
  });
});

describe('HEADER.FIELDS on awkward headers', () => {
  const message = Buffer.from(crlf('Subject: folded', ' continued', 'X-A: 1', 'subject: second', 'X-Empty:', '', 'body'));
  const index = indexMessage(message);
  const get = (section: SectionSpec): string => sectionBytes(message, index, section).toString('latin1');
  it('folded fields stay folded; every field of the name is returned, in order', () => {
    assert.equal(get({ part: [], kind: 'HEADER.FIELDS', fields: ['Subject'] }), 'Subject: folded\r\n continued\r\nsubject: second\r\n\r\n');
  });
  it('no match gives the blank line alone; an empty field matches', () => {
    assert.equal(get({ part: [], kind: 'HEADER.FIELDS', fields: ['x-none'] }), '\r\n');
    assert.equal(get({ part: [], kind: 'HEADER.FIELDS', fields: ['x-empty'] }), 'X-Empty:\r\n\r\n');
  });
  it('a header without a body or final line break still ends with the blank line', () => {
    const bare = Buffer.from('Subject: x');
    assert.equal(sectionBytes(bare, indexMessage(bare), { part: [], kind: 'HEADER.FIELDS', fields: ['subject'] }).toString(), 'Subject: x\r\n\r\n');
  });
});
