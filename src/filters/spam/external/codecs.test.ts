/*
 * The spamd and rspamd codecs with literal wire strings: requests as
 * spamd reads them, replies as spamd 4.0 writes them (taken from a real
 * one), errors and cut replies that must never become a score; rspamd's
 * headers with hostile envelope values and its JSON with wrong types.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRspamdReply, rspamdHeaders } from './rspamd-codec.js';
import { scaledScore } from './scorers.js';
import { parseSpamdReply, spamdRequest } from './spamd-codec.js';

const reply = (s: string) => Buffer.from(s, 'latin1');

describe('spamd codec', () => {
  it('writes PING and SYMBOLS requests with Content-length and User', () => {
    assert.equal(spamdRequest('PING').toString(), 'PING SPAMC/1.5\r\n\r\n');
    const msg = Buffer.from('Subject: x\r\n\r\nhi\r\n');
    assert.equal(spamdRequest('SYMBOLS', msg).toString(), 'SYMBOLS SPAMC/1.5\r\nContent-length: 18\r\n\r\nSubject: x\r\n\r\nhi\r\n');
    assert.equal(spamdRequest('CHECK', msg, 'bob\r\nX: y').toString(), 'CHECK SPAMC/1.5\r\nContent-length: 18\r\nUser: bobX: y\r\n\r\nSubject: x\r\n\r\nhi\r\n', 'no header injection through User');
  });

  it('reads PONG, a SYMBOLS reply, a CHECK reply and a REPORT reply', () => {
    assert.deepEqual(parseSpamdReply(reply('SPAMD/1.5 0 PONG\r\n'), 'PING'), { ok: true, pong: true });
    assert.deepEqual(parseSpamdReply(reply('SPAMD/1.1 0 EX_OK\r\nContent-length: 42\r\nSpam: True ; 1003.3 / 5.0\r\n\r\nGTUBE,MISSING_DATE,MISSING_MID,NO_RECEIVED'), 'SYMBOLS'), {
      ok: true, spam: true, score: 1003.3, threshold: 5, symbols: ['GTUBE', 'MISSING_DATE', 'MISSING_MID', 'NO_RECEIVED'], report: '',
    });
    assert.deepEqual(parseSpamdReply(reply('SPAMD/1.1 0 EX_OK\r\nSpam: False ; -0.5 / 5.0\r\n\r\n'), 'CHECK'), { ok: true, spam: false, score: -0.5, threshold: 5, symbols: [], report: '' });
    const r = parseSpamdReply(reply('SPAMD/1.1 0 EX_OK\r\nContent-length: 20\r\nSpam: True ; 15.0 / 5.0\r\n\r\n 1000 GTUBE  BODY: x'), 'REPORT');
    assert.ok(r.ok && !r.pong && r.report === ' 1000 GTUBE  BODY: x');
  });

  it('an error code, a reply cut short, a missing Spam header or garbage is an error, never a score', () => {
    assert.deepEqual(parseSpamdReply(reply('SPAMD/1.0 76 Bad header line: Content-length: x\r\n'), 'SYMBOLS'), { ok: false, code: 76, message: 'Bad header line: Content-length: x' });
    assert.equal(parseSpamdReply(reply('SPAMD/1.1 0 EX_OK\r\nContent-length: 42\r\nSpam: True ; 15.0 / 5.0\r\n\r\nGTUBE'), 'SYMBOLS').ok, false);
    assert.equal(parseSpamdReply(reply('SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\n\r\n'), 'SYMBOLS').ok, false);
    assert.equal(parseSpamdReply(reply('SPAMD/1.1 0 EX_OK\r\nSpam: Maybe ; lots / 5\r\n\r\n'), 'CHECK').ok, false);
    assert.equal(parseSpamdReply(reply('HTTP/1.1 200 OK\r\n\r\n'), 'CHECK').ok, false);
    assert.equal(parseSpamdReply(reply(''), 'CHECK').ok, false, 'spamd closed without a word');
  });
});

describe('rspamd codec', () => {
  it('sends the envelope as headers, one Rcpt per recipient, controls removed, empty values left out', () => {
    assert.deepEqual(rspamdHeaders({ ip: '192.0.2.1', helo: 'mx\r\nX-Injected: 1', sender: '', recipients: ['a@x.example', 'b@y.example'], queueId: 'Q1', user: null }, 'secret'), [
      ['IP', '192.0.2.1'], ['Helo', 'mxX-Injected: 1'], ['Queue-Id', 'Q1'], ['Rcpt', 'a@x.example'], ['Rcpt', 'b@y.example'], ['Password', 'secret'],
    ]);
  });

  it('reads score, required_score, action and symbols', () => {
    const body = '{"is_skipped":false,"score":16.2,"required_score":15.0,"action":"reject","symbols":{"GTUBE":{"name":"GTUBE","score":0.0},"R_SPF_FAIL":{"name":"R_SPF_FAIL","score":1.0}},"message-id":"x"}';
    assert.deepEqual(parseRspamdReply(body), { ok: true, result: { score: 16.2, requiredScore: 15, action: 'reject', symbols: [{ name: 'GTUBE', score: 0 }, { name: 'R_SPF_FAIL', score: 1 }] } });
  });

  it('not JSON, an error object, or fields of the wrong type are errors, never a score', () => {
    assert.equal(parseRspamdReply('<html>').ok, false);
    assert.deepEqual(parseRspamdReply('{"error":"cannot parse message"}'), { ok: false, message: 'rspamd: cannot parse message' });
    assert.equal(parseRspamdReply('{"score":"16","required_score":15,"action":"reject"}').ok, false);
    assert.equal(parseRspamdReply('null').ok, false);
  });
});

describe('external scores on our scale', () => {
  it('scales their required score to our junk threshold, times the weight', () => {
    assert.equal(scaledScore(5, 5, 5, 1), 5);
    assert.equal(scaledScore(6, 6, 5, 1), 5, 'rspamd\'s add-header score is our junk threshold');
    assert.equal(scaledScore(12, 6, 5, 0.5), 5);
    assert.equal(scaledScore(3, 0, 5, 2), 6, 'no required score: taken as it is');
  });
});
