/*
 * The listener checks (A01, B04, B05, B07, J01-J04) against scripted
 * sessions: what a listener that is down, a relay, a chatty VRFY, AUTH
 * before TLS, an IMAP port without LOGINDISABLED and a refused login are
 * reported as, and that a well-behaved server gets nothing but the note
 * that logins were not tested.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createTestCa, issueCertificate, type TestCertificate } from '../../../test/support/certs.js';
import type { DomainFacts, Finding, HostFacts } from '../types.js';
import { facts, fakeNetwork, tlsViewOf, type FakeEndpoint } from './fake-network.js';
import { listenerChecks, serviceChecks } from './services.js';
import type { ServiceEndpoint } from './types.js';

const host: HostFacts = { hostname: 'mx.example.net', heloName: 'mx.example.net', ipv4: [], ipv6: [], tlsaKeys: { current: '' } };
const domains = [{ domain: 'example.com', clientHost: 'mail.example.com' }] as DomainFacts[];
const ep = (role: string, port: number, security: ServiceEndpoint['security'], protocol: ServiceEndpoint['protocol']): ServiceEndpoint => ({ role, host: '127.0.0.1', port, security, protocol });
const mx = ep('mx', 25, 'starttls', 'smtp');
const sub = ep('submission', 587, 'starttls', 'smtp');
const subs = ep('submissions', 465, 'implicit', 'smtp');
const imap = ep('imap', 143, 'starttls', 'imap');
const pop3 = ep('pop3', 110, 'starttls', 'pop3');
const brief = (fs: Finding[]) => fs.map((f) => `${f.id} ${f.severity} ${f.subject}`).sort();

let cert: TestCertificate;
before(async () => {
  cert = await issueCertificate(await createTestCa(), ['mx.example.net', 'mail.example.com']);
});

function good(): Record<number, FakeEndpoint> {
  const tls = { '*': tlsViewOf(cert.chainPem, { authorized: true }) };
  return {
    25: { greeting: '220 mx.example.net ESMTP\r\n250-mx.example.net\r\n250 STARTTLS', tls, replies: { MAIL: '250 2.1.0 ok', RCPT: '550 5.7.1 relaying denied', RSET: '250 ok', VRFY: '252 2.5.2 cannot verify', EXPN: '502 5.5.1 no' } },
    587: { greeting: '220 mx.example.net ESMTP\r\n250-mx.example.net\r\n250 STARTTLS', tls, replies: { EHLO: '250-mx.example.net\r\n250 AUTH PLAIN LOGIN', AUTH: '235 2.7.0 ok' } },
    465: { greeting: '220 mx.example.net ESMTP', tls, replies: { EHLO: '250-mx.example.net\r\n250 AUTH PLAIN LOGIN', AUTH: '235 2.7.0 ok' } },
    143: { greeting: '* OK ready\r\n* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\nc1 OK done', tls, replies: { LOGIN: 'l1 OK logged in' } },
    110: { greeting: '+OK ready\r\n+OK\r\nSTLS\r\nUIDL', tls, replies: { USER: '+OK', PASS: '+OK logged in' } },
  };
}
const all = [mx, sub, subs, imap, pop3];

describe('listener checks (A01, B04, B05, B07, J01-J04)', () => {
  it('a well-behaved server: only the note that logins were not tested', async () => {
    assert.deepEqual(brief(await serviceChecks(host, domains, facts(all), fakeNetwork(good()))), ['J03 info logins']);
  });

  it('with a test account every client port logs in, and each is asked', async () => {
    const deps = fakeNetwork(good());
    assert.deepEqual(await serviceChecks(host, domains, facts(all, { credentials: { user: 'ann@example.com', pass: 'p"w' } }), deps), []);
    assert.ok(deps.sent.includes(`AUTH PLAIN ${Buffer.from('\0ann@example.com\0p"w').toString('base64')}`));
    assert.ok(deps.sent.includes('l1 LOGIN "ann@example.com" "p\\"w"'));
    assert.ok(deps.sent.includes('PASS p"w'));
  });

  it('a refused login names the port', async () => {
    const e = good();
    e[143]!.replies!.LOGIN = 'l1 NO [AUTHENTICATIONFAILED] Authentication failed';
    const found = await serviceChecks(host, domains, facts(all, { credentials: { user: 'ann@example.com', pass: 'x' } }), fakeNetwork(e));
    assert.deepEqual(brief(found), ['J03 error port 143 (imap)']);
    assert.match(found[0]!.seen, /AUTHENTICATIONFAILED/);
  });

  it('a listener that does not answer: A01, with the process holding its port; the others go on', async () => {
    const e = good();
    e[587] = { greeting: new Error('connect ECONNREFUSED 127.0.0.1:587') };
    const found = await listenerChecks(host, domains, facts(all), fakeNetwork(e, {}, { 587: 'pid 812 (/usr/sbin/exim4 -bd)' }));
    assert.deepEqual(brief(found.findings), ['A01 error 127.0.0.1:587 (submission)']);
    assert.match(found.findings[0]!.fix, /exim4/);
    assert.deepEqual(found.up.map((x) => x.port), [25, 465, 143, 110]);
  });

  it('nothing answers: one finding, the server is not running', async () => {
    const found = await listenerChecks(host, domains, facts(all), fakeNetwork({}));
    assert.deepEqual(brief(found.findings), ['A01 error mx.example.net']);
    assert.match(found.findings[0]!.title, /not running/);
    assert.deepEqual(found.up, []);
  });

  it('an open relay, VRFY answering, a banner that is not the host name', async () => {
    const e = good();
    e[25]!.greeting = '220 localhost ESMTP\r\n250-localhost\r\n250 STARTTLS';
    e[25]!.replies = { ...e[25]!.replies, RCPT: '250 2.1.5 ok', VRFY: '250 2.1.5 Postmaster <postmaster@example.com>' };
    assert.deepEqual(brief(await serviceChecks(host, domains, facts([mx]), fakeNetwork(e))), ['B04 warning port 25 (mx)', 'B05 error port 25 (mx)', 'B07 warning port 25 (mx)', 'J03 info logins']);
  });

  it('AUTH before STARTTLS, no STARTTLS, no AUTH after TLS on 465', async () => {
    const e = good();
    e[587]!.greeting = '220 mx.example.net ESMTP\r\n250-mx.example.net\r\n250 AUTH PLAIN LOGIN';
    e[465]!.replies = { EHLO: '250 mx.example.net' };
    assert.deepEqual(brief(await serviceChecks(host, domains, facts([sub, subs]), fakeNetwork(e))), ['J01 error port 587 (submission)', 'J01 error port 587 (submission)', 'J02 error port 465 (submissions)', 'J03 info logins']);
  });

  it('IMAP without LOGINDISABLED and POP3 with USER before TLS: J04', async () => {
    const e = good();
    e[143]!.greeting = '* OK ready\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\nc1 OK done';
    e[110]!.greeting = '+OK ready\r\n+OK\r\nSTLS\r\nUSER';
    assert.deepEqual(brief(await serviceChecks(host, domains, facts([imap, pop3]), fakeNetwork(e))), ['J03 info logins', 'J04 error port 110 (pop3)', 'J04 error port 143 (imap)']);
  });
});
