/*
 * The built-in rules, table-driven: each row a literal message (and the
 * facts earlier filters would publish), the tests that must hit and
 * those that must not. A clean message from a real mail program hits
 * nothing that scores.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Facts } from '../types.js';
import { scoreMessage } from './engine.js';
import { readMessage } from './message.js';
import { GTUBE, RULES } from './rules/index.js';
import { DEFAULT_SPAM_SETTINGS, type SpamSettings } from './settings.js';
import { urlHosts } from './urls.js';

const NOW = Date.UTC(2026, 11, 3, 10, 0, 0);
const HEAD = 'From: Alice <alice@sender.example>\r\nTo: bob@petrel.example\r\nSubject: Lunch\r\nDate: Thu, 03 Dec 2026 09:58:00 +0000\r\nMessage-ID: <1@sender.example>\r\n';

const msg = (head: string, body = 'See you at noon.\r\n') => `${head}\r\n${body}`;
const html = (head: string, markup: string) => `${head}MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${markup}\r\n`;

function hitsOf(text: string, facts: Facts = {}, settings: SpamSettings = DEFAULT_SPAM_SETTINGS, sender = 'alice@sender.example', bayes?: number) {
  const view = readMessage(Buffer.from(text));
  return scoreMessage({ view, facts, sender, evidence: { hosts: urlHosts(view.text, view.html), bayes }, settings, now: NOW });
}

const cases: { name: string; message: string; facts?: Facts; sender?: string; bayes?: number; hit: string[]; miss?: string[] }[] = [
  { name: 'a clean message from a real mail program', message: msg(HEAD), hit: [] },
  { name: 'no Date, no Message-ID (bulk software)', message: msg('From: a@sender.example\r\nTo: b@petrel.example\r\nSubject: hi\r\n'), hit: ['MISSING_DATE', 'MISSING_MID'] },
  { name: 'a Date that is not one', message: msg(HEAD.replace(/Date: .*\r\n/, 'Date: yesterday-ish\r\n')), hit: ['INVALID_DATE'], miss: ['MISSING_DATE'] },
  { name: 'dated two days ahead', message: msg(HEAD.replace(/Date: .*\r\n/, 'Date: Sat, 05 Dec 2026 10:00:00 +0000\r\n')), hit: ['DATE_IN_FUTURE_12'] },
  { name: 'dated a week ago', message: msg(HEAD.replace(/Date: .*\r\n/, 'Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n')), hit: ['DATE_IN_PAST_96'] },
  { name: 'a Message-ID without @', message: msg(HEAD.replace('<1@sender.example>', '<12345>')), hit: ['INVALID_MSGID'] },
  { name: 'no From at all', message: msg(HEAD.replace(/From: .*\r\n/, '')), sender: '', hit: ['MISSING_FROM'] },
  { name: 'two From fields', message: msg(`${HEAD}From: other@sender.example\r\n`), hit: ['MULTIPLE_FROM'] },
  { name: 'no Subject, no To', message: msg(HEAD.replace(/Subject: .*\r\n/, '').replace(/To: .*\r\n/, '')), hit: ['MISSING_SUBJECT', 'MISSING_TO'] },
  { name: 'a shouting subject', message: msg(HEAD.replace('Subject: Lunch', 'Subject: FREE MONEY FOR YOU NOW!!!')), hit: ['SUBJ_ALL_CAPS'] },
  { name: 'a short capital subject is an acronym, not shouting', message: msg(HEAD.replace('Subject: Lunch', 'Subject: NDA SIGNED')), hit: [], miss: ['SUBJ_ALL_CAPS'] },
  { name: 'Re: with nothing replied to', message: msg(HEAD.replace('Subject: Lunch', 'Subject: Re: your invoice')), hit: ['FAKE_REPLY'] },
  { name: 'a real reply', message: msg(`${HEAD.replace('Subject: Lunch', 'Subject: Re: Lunch')}In-Reply-To: <0@petrel.example>\r\n`), hit: [], miss: ['FAKE_REPLY'] },
  { name: 'Reply-To elsewhere', message: msg(`${HEAD}Reply-To: collect@other.example\r\n`), hit: ['FROM_REPLYTO_DIFF_DOMAIN'] },
  { name: 'envelope sender of another domain', message: msg(HEAD), sender: 'bounce@mailer.example', hit: ['HEADER_FROM_DIFFERENT_DOMAINS'] },
  { name: 'envelope sender of a subdomain of From is the same sender', message: msg(HEAD), sender: 'bounce@mail.sender.example', hit: [] },
  { name: 'a display name disguised as another address', message: msg(HEAD.replace('Alice <alice@sender.example>', '"service@paypal.com" <x@sender.example>')), hit: ['FROM_NAME_HAS_OTHER_ADDR'] },
  { name: 'an encoded display name disguised as another address', message: msg(HEAD.replace('Alice <alice@sender.example>', '=?utf-8?q?service=40paypal.com?= <x@sender.example>')), hit: ['FROM_NAME_HAS_OTHER_ADDR'] },
  { name: 'a bulk mailer', message: msg(`${HEAD}X-Mailer: Atomic Mail Sender 9.5\r\n`), hit: ['XM_BULK_MAILER'] },
  { name: 'SPF fail and DMARC p=reject fail', message: msg(HEAD), facts: { auth: { spf: { result: 'fail', domain: 'sender.example' }, dmarc: { result: 'fail', domain: 'sender.example', policy: 'reject' } } }, hit: ['SPF_FAIL', 'DMARC_FAIL_REJECT'] },
  { name: 'SPF softfail, DKIM fail, DMARC quarantine fail, ARC fail', message: msg(HEAD), facts: { auth: { spf: { result: 'softfail', domain: 'sender.example' }, dkim: [{ result: 'fail', domain: 'sender.example', aligned: true }], dmarc: { result: 'fail', domain: 'sender.example', policy: 'quarantine' }, arc: { result: 'fail' } } }, hit: ['SPF_SOFTFAIL', 'DKIM_INVALID', 'DMARC_FAIL_QUAR', 'ARC_FAIL'] },
  { name: 'aligned DKIM and DMARC pass take a little off', message: msg(HEAD), facts: { auth: { dkim: [{ result: 'pass', domain: 'sender.example', aligned: true }], dmarc: { result: 'pass', domain: 'sender.example', policy: 'reject' } } }, hit: ['DKIM_VALID_AU', 'DMARC_PASS'] },
  { name: 'listed in two DNSBL zones', message: msg(HEAD), facts: { dnsbl: [{ zone: 'zen.spamhaus.org', answer: '127.0.0.2' }, { zone: 'bl.example', answer: '127.0.0.3' }] }, hit: ['RCVD_IN_ZEN_SPAMHAUS_ORG', 'RCVD_IN_BL_EXAMPLE'] },
  { name: 'a link to a bare address', message: msg(HEAD, 'Log in at http://192.0.2.7/login now\r\n'), hit: ['NUMERIC_HTTP_ADDR'] },
  { name: 'GTUBE in the body', message: msg(HEAD, `${GTUBE}\r\n`), hit: ['GTUBE'] },
  { name: 'GTUBE in a base64 part', message: `${HEAD}MIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(GTUBE).toString('base64')}\r\n`, hit: ['GTUBE'] },
  { name: 'an attachment the policy found suspicious', message: msg(HEAD), facts: { attachments: [{ name: 'x.exe', reason: 'executable' }] }, hit: ['ATTACH_SUSPICIOUS'] },
  {
    name: 'a program dressed as a document',
    message: `${HEAD}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee invoice.\r\n--b\r\nContent-Type: application/octet-stream; name="invoice.pdf.exe"\r\nContent-Disposition: attachment; filename="invoice.pdf.exe"\r\n\r\nMZ\r\n--b--\r\n`,
    hit: ['ATTACH_DOUBLE_EXT'],
  },
  { name: 'HTML only', message: html(HEAD, '<p>Hello <b>there</b>, see you at noon for lunch with the team.</p>'), hit: ['MIME_HTML_ONLY'] },
  { name: 'HTML hiding text', message: html(HEAD, '<p>Buy now</p><div style="display:none">lorem ipsum salad</div>'), hit: ['HTML_HIDDEN_TEXT'] },
  { name: 'an image and three words', message: html(HEAD, '<img src="http://img.example/big.png" width=600 height=800><p>Click here</p>'), hit: ['HTML_IMAGE_ONLY'] },
  { name: 'a link showing one domain and going to another', message: html(HEAD, '<p>Your account: <a href="http://login.evil.example/paypal">https://www.paypal.com/signin</a></p>'), hit: ['HTML_LINK_TEXT_MISMATCH'] },
  { name: 'a link showing its own domain', message: html(HEAD, '<p>Your account: <a href="https://www.paypal.com/signin?x=1">www.paypal.com</a></p>'), hit: ['MIME_HTML_ONLY'], miss: ['HTML_LINK_TEXT_MISMATCH'] },
  { name: 'letters as character references', message: html(HEAD, `<p>${[...'VIAGRAVIAGRAVIAGRAVIAGRA'].map((c) => `&#${c.charCodeAt(0)};`).join('')}</p>`), hit: ['HTML_OBFUSCATE'] },
  { name: 'Bayes 99.9 %', message: msg(HEAD), bayes: 0.9995, hit: ['BAYES_99', 'BAYES_999'] },
  { name: 'Bayes 0.1 %', message: msg(HEAD), bayes: 0.001, hit: ['BAYES_00'] },
  { name: 'Bayes unsure', message: msg(HEAD), bayes: 0.5, hit: ['BAYES_50'] },
];

describe('spam rules', () => {
  for (const c of cases) {
    it(c.name, () => {
      const names = hitsOf(c.message, c.facts, DEFAULT_SPAM_SETTINGS, c.sender, c.bayes).hits.map((h) => h.name);
      assert.deepEqual(names.filter((n) => c.hit.includes(n)).sort(), [...c.hit].sort(), `hits: ${names.join(',')}`);
      for (const n of c.miss ?? []) assert.ok(!names.includes(n), `${n} should not hit: ${names.join(',')}`);
      if (c.hit.length === 0) assert.deepEqual(names, []);
    });
  }

  it('every rule has an upper-case name, a description, and a name of its own', () => {
    const names = RULES.map((r) => r.name);
    assert.equal(new Set(names).size, names.length);
    for (const r of RULES) assert.ok(/^[A-Z0-9_]+$/.test(r.name) && r.description.length > 0, r.name);
  });

  it('the operator\'s score replaces a rule\'s, and 0 turns it off', () => {
    const message = msg('From: a@sender.example\r\nTo: b@petrel.example\r\nSubject: hi\r\n');
    const r = hitsOf(message, {}, { ...DEFAULT_SPAM_SETTINGS, scores: { MISSING_DATE: 4, MISSING_MID: 0 } });
    assert.deepEqual(r.hits, [{ name: 'MISSING_DATE', score: 4 }]);
    assert.equal(r.score, 4);
  });

  it('GTUBE scores as spam whatever else the message is', () => {
    const r = hitsOf(msg(HEAD, `${GTUBE}\r\n`), { auth: { dkim: [{ result: 'pass', domain: 'sender.example', aligned: true }], dmarc: { result: 'pass', domain: 'sender.example', policy: 'reject' } } }, DEFAULT_SPAM_SETTINGS, undefined, 0);
    assert.ok(r.score >= 990, String(r.score));
  });
});
