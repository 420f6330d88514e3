/*
 * The advertised capabilities match the session state and what the
 * handler table implements: no AUTH= before TLS, no STARTTLS after it, and
 * no extension listed whose command has no handler.
 *
 * Security: test only.
 * Standards: RFC 9051 section 7.2.2, RFC 2595.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionCapabilities } from './capabilities.js';
import { HANDLERS } from './handlers.js';

describe('IMAP capabilities', () => {
  it('before TLS on 143: STARTTLS and LOGINDISABLED, no AUTH=', () => {
    const caps = sessionCapabilities('not-authenticated', false, true);
    assert.ok(caps.includes('STARTTLS') && caps.includes('LOGINDISABLED'));
    assert.ok(!caps.some((c) => c.startsWith('AUTH=')));
  });
  it('after TLS: AUTH=PLAIN and SASL-IR, no STARTTLS or LOGINDISABLED', () => {
    const caps = sessionCapabilities('not-authenticated', true, false);
    assert.ok(caps.includes('AUTH=PLAIN') && caps.includes('SASL-IR'));
    assert.ok(!caps.includes('STARTTLS') && !caps.includes('LOGINDISABLED'));
  });
  it('every advertised command extension has a handler', () => {
    const needs: Record<string, (keyof typeof HANDLERS)[]> = {
      ENABLE: ['ENABLE'], ID: ['ID'], NAMESPACE: ['NAMESPACE'], UNSELECT: ['UNSELECT'], 'LIST-EXTENDED': ['LIST'], 'LIST-STATUS': ['LIST', 'STATUS'],
      'SPECIAL-USE': ['LIST'], UIDPLUS: ['EXPUNGE', 'COPY'], MOVE: ['MOVE'], BINARY: ['FETCH'], PREVIEW: ['FETCH'], 'CREATE-SPECIAL-USE': ['CREATE'], STARTTLS: ['STARTTLS'], 'AUTH=PLAIN': ['AUTHENTICATE'],
      CONDSTORE: ['FETCH', 'STORE', 'SELECT'], QRESYNC: ['ENABLE', 'SELECT'], 'COMPRESS=DEFLATE': ['COMPRESS'],
      ESEARCH: ['SEARCH'], SEARCHRES: ['SEARCH'], WITHIN: ['SEARCH'], SORT: ['SORT'], ESORT: ['SORT'], 'THREAD=REFERENCES': ['THREAD'], 'THREAD=ORDEREDSUBJECT': ['THREAD'], IDLE: ['IDLE'], NOTIFY: ['NOTIFY'],
    };
    const all = new Set([...sessionCapabilities('authenticated', true, false), ...sessionCapabilities('not-authenticated', false, true), ...sessionCapabilities('not-authenticated', true, false)]);
    for (const cap of all) for (const cmd of needs[cap] ?? []) assert.ok(HANDLERS[cmd], `${cap} needs ${cmd}`);
    assert.ok(all.has('IDLE') && all.has('NOTIFY'));
  });
});
