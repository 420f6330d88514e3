/*
 * The sender-authentication cases, written once and run twice: over the
 * fake resolver (filter.test.ts) and over a real BIND serving the same
 * records as zone files (test/interop/sender-auth-bind.test.ts). Each
 * domain below is one situation (a record an operator writes, a mistake
 * they make); each case a message and the envelope it comes with, and
 * what the filter must answer.
 *
 * Names under TEMPORARY fail temporarily: 'temporary' in the fake, and in
 * BIND a zone that is not served (REFUSED, which the wire client treats
 * as a temporary failure).
 *
 * Exports: CLIENT_IP, HELO, AUTHSERV_ID, KEYS, RECORDS, TEMPORARY, CASES,
 * Case, ZoneRecord, MessageSpec, CaseRun, fakeZone, bindZones,
 * buildMessage, runCase, assertCase, settingsWith.
 * Security: test only.
 */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import type { DnsClient } from '../../dns/client.js';
import type { FakeZone } from '../../dns/fake-client.js';
import { dkimRecordStrings, generateDkimKey } from '../../sender-auth/dkim-keys.js';
import { dkimSignatures } from '../../sender-auth/dkim-sign.js';
import { silentLogger } from '../../telemetry/logger.js';
import { FilterPipeline, type BodyOutcome } from '../pipeline.js';
import type { ClientInfo, Verdict } from '../types.js';
import { senderAuthFilter, type SenderAuthDeps } from './filter.js';
import { DEFAULT_SENDER_AUTH_SETTINGS, type SenderAuthSettings } from './settings.js';

export const CLIENT_IP = '192.0.2.10';
export const HELO = 'mx.relay.test';
export const AUTHSERV_ID = 'mx.petrel.test';

/** One RSA key per selector name used below; the ARC key too. */
export const KEYS = { s1: generateDkimKey('rsa-sha256', 's1'), arc: generateDkimKey('rsa-sha256', 'arc1') };

export interface ZoneRecord {
  name: string;
  type: 'TXT' | 'A';
  /** TXT: the character-strings of one record. */
  value: string[];
}

const txt = (name: string, ...value: string[]): ZoneRecord => ({ name, type: 'TXT', value });
const key = (name: string, k: { algorithm: 'rsa-sha256' | 'ed25519-sha256'; publicKey: string }): ZoneRecord => txt(name, ...dkimRecordStrings(k));

export const RECORDS: ZoneRecord[] = [
  txt('spf-pass.test', `v=spf1 ip4:${CLIENT_IP} -all`),
  txt('spf-fail.test', 'v=spf1 ip4:198.51.100.1 -all'),
  txt('spf-soft.test', 'v=spf1 ~all'),
  txt('spf-neutral.test', 'v=spf1 ?all'),
  { name: 'spf-none.test', type: 'A', value: ['198.51.100.2'] },
  txt('spf-lookups.test', `v=spf1 ${Array.from({ length: 11 }, (_, i) => `include:i${i}.spf-lookups.test`).join(' ')} -all`),
  ...Array.from({ length: 11 }, (_, i) => txt(`i${i}.spf-lookups.test`, 'v=spf1 -all')),
  txt('spf-two.test', `v=spf1 ip4:${CLIENT_IP} -all`),
  txt('spf-two.test', 'v=spf1 -all'),
  // The HELO name's own record (the null sender's identity), and its domain's policy.
  txt('mx.relay.test', `v=spf1 ip4:${CLIENT_IP} -all`),
  txt('_dmarc.relay.test', 'v=DMARC1; p=reject'),
  // A sender whose own domain passes, for the From tricks.
  txt('sender.test', `v=spf1 ip4:${CLIENT_IP} -all`),
  txt('_dmarc.sender.test', 'v=DMARC1; p=none'),
  // DKIM: a key, and a domain that signs with a selector it never published.
  key('s1._domainkey.dkim.test', KEYS.s1),
  txt('_dmarc.dkim.test', 'v=DMARC1; p=reject'),
  txt('_dmarc.nokey.test', 'v=DMARC1; p=none'),
  // DMARC policies.
  txt('_dmarc.spf-pass.test', 'v=DMARC1; p=reject'),
  txt('_dmarc.p-none.test', 'v=DMARC1; p=none; rua=mailto:d@p-none.test'),
  txt('_dmarc.p-quar.test', 'v=DMARC1; p=quarantine'),
  txt('_dmarc.p-reject.test', 'v=DMARC1; p=REJECT'),
  txt('_dmarc.pct.test', 'v=DMARC1; p=reject; pct=0'),
  // Alignment: the signature is the subdomain's, the From the parent's (and the reverse).
  key('s1._domainkey.mail.relaxed.test', KEYS.s1),
  txt('_dmarc.relaxed.test', 'v=DMARC1; p=reject'),
  key('s1._domainkey.mail.strict.test', KEYS.s1),
  key('s1._domainkey.strict.test', KEYS.s1),
  txt('_dmarc.strict.test', 'v=DMARC1; p=reject; adkim=s; aspf=s'),
  txt('bounce.strict.test', `v=spf1 ip4:${CLIENT_IP} -all`),
  // Subdomain policy: the Organizational Domain's record, sp= for its subdomains.
  txt('_dmarc.sp.test', 'v=DMARC1; p=none; sp=reject'),
  // ARC: the sealer's key.
  key('arc1._domainkey.forwarder.test', KEYS.arc),
];

/** Zones whose lookups fail temporarily (the apex and its _dmarc name in the fake). */
export const TEMPORARY = ['spf-temp.test', 'dmarc-temp.test'];

/** The records as the fake resolver's table. */
export function fakeZone(): FakeZone {
  const zone: FakeZone = {};
  for (const r of RECORDS) {
    const entry = (zone[r.name] ??= {});
    if (r.type === 'A') entry.a = [...((entry.a as string[] | undefined) ?? []), ...r.value];
    else entry.txtStrings = [...((entry.txtStrings as string[][] | undefined) ?? []), r.value];
  }
  for (const name of TEMPORARY.flatMap((z) => [z, `_dmarc.${z}`])) zone[name] = { txt: 'temporary', a: 'temporary', aaaa: 'temporary', mx: 'temporary' };
  return zone;
}

/** The records as BIND zones: one zone per Organizational Domain (the last two labels). */
export function bindZones(): Record<string, string> {
  const zones: Record<string, string> = {};
  for (const r of RECORDS) {
    const zone = r.name.split('.').slice(-2).join('.');
    // A character-string holds 255 octets: longer ones are cut, which readers join back (RFC 7208 section 3.3).
    const strings = r.value.flatMap((s) => s.match(/.{1,255}/g) ?? ['']);
    const data = r.type === 'A' ? r.value.join(' ') : `( ${strings.map((s) => `"${s}"`).join(' ')} )`;
    zones[zone] = `${zones[zone] ?? ''}${r.name}. 60 IN ${r.type} ${data}\n`;
  }
  return zones;
}

export interface MessageSpec {
  /** From field values; one string for one field. */
  from: string[];
  subject?: string;
  /** Sign with KEYS.s1 as d=<domain>, s=s1. */
  signAs?: string;
  /** Change the body after signing. */
  tamper?: boolean;
}

/** A message as the filter sees it, signed as asked. */
export function buildMessage(spec: MessageSpec): Buffer {
  const head = [...spec.from.map((f) => `From: ${f}`), 'To: bob@petrel.test', `Subject: ${spec.subject ?? 'Lunch'}`, 'Date: Thu, 03 Dec 2026 09:58:00 +0000', 'Message-ID: <1@relay.test>'];
  const plain = Buffer.from(`${head.join('\r\n')}\r\n\r\nSee you at noon.\r\n`);
  if (!spec.signAs) return plain;
  const signature = dkimSignatures(plain, [{ domain: spec.signAs, selector: 's1', algorithm: 'rsa-sha256', privateKey: createPrivateKey(KEYS.s1.privateKey) }], Date.UTC(2026, 11, 3));
  const signed = Buffer.concat([Buffer.from(signature, 'latin1'), plain]);
  return spec.tamper ? Buffer.from(signed.toString('latin1').replace('noon', 'one'), 'latin1') : signed;
}

export interface Case {
  name: string;
  sender: string;
  helo?: string;
  message: MessageSpec;
  expect: { spf: string; dkim?: string; dmarc: string; action: Verdict['action']; reply?: string };
}

const REJECT = '550 5.7.1 Message rejected by the sender domain\'s DMARC policy';
const TEMPFAIL = '451 4.4.3 Temporary DNS failure while checking the sender, try again later';

export const CASES: Case[] = [
  // SPF, each result (no DMARC record: nothing is refused).
  { name: 'SPF pass', sender: 'a@spf-pass.test', message: { from: ['a@spf-pass.test'] }, expect: { spf: 'pass', dmarc: 'pass', action: 'continue' } },
  { name: 'SPF fail', sender: 'a@spf-fail.test', message: { from: ['a@spf-fail.test'] }, expect: { spf: 'fail', dmarc: 'none', action: 'continue' } },
  { name: 'SPF softfail', sender: 'a@spf-soft.test', message: { from: ['a@spf-soft.test'] }, expect: { spf: 'softfail', dmarc: 'none', action: 'continue' } },
  { name: 'SPF neutral', sender: 'a@spf-neutral.test', message: { from: ['a@spf-neutral.test'] }, expect: { spf: 'neutral', dmarc: 'none', action: 'continue' } },
  { name: 'SPF none (no record)', sender: 'a@spf-none.test', message: { from: ['a@spf-none.test'] }, expect: { spf: 'none', dmarc: 'none', action: 'continue' } },
  { name: 'SPF permerror: 11 lookups', sender: 'a@spf-lookups.test', message: { from: ['a@spf-lookups.test'] }, expect: { spf: 'permerror', dmarc: 'none', action: 'continue' } },
  { name: 'SPF permerror: two SPF records', sender: 'a@spf-two.test', message: { from: ['a@spf-two.test'] }, expect: { spf: 'permerror', dmarc: 'none', action: 'continue' } },
  { name: 'SPF temperror (the From domain has no policy: accepted)', sender: 'a@spf-temp.test', message: { from: ['a@spf-neutral.test'] }, expect: { spf: 'temperror', dmarc: 'none', action: 'continue' } },
  { name: 'SPF of the HELO name for the null sender', sender: '', helo: HELO, message: { from: ['mailer-daemon@relay.test'] }, expect: { spf: 'pass', dmarc: 'pass', action: 'continue' } },
  // DKIM.
  { name: 'DKIM pass, aligned: DMARC pass under p=reject', sender: 'a@spf-fail.test', message: { from: ['a@dkim.test'], signAs: 'dkim.test' }, expect: { spf: 'fail', dkim: 'pass', dmarc: 'pass', action: 'continue' } },
  { name: 'DKIM fail (body changed): DMARC fail, p=reject refuses', sender: 'a@spf-fail.test', message: { from: ['a@dkim.test'], signAs: 'dkim.test', tamper: true }, expect: { spf: 'fail', dkim: 'fail', dmarc: 'fail', action: 'reject', reply: REJECT } },
  { name: 'DKIM permerror (no key published)', sender: 'a@spf-fail.test', message: { from: ['a@nokey.test'], signAs: 'nokey.test' }, expect: { spf: 'fail', dkim: 'permerror', dmarc: 'fail', action: 'continue' } },
  // DMARC policies.
  { name: 'DMARC p=none: fail, delivered', sender: 'a@spf-fail.test', message: { from: ['a@p-none.test'] }, expect: { spf: 'fail', dmarc: 'fail', action: 'continue' } },
  { name: 'DMARC p=quarantine: fail, to Junk', sender: 'a@spf-fail.test', message: { from: ['a@p-quar.test'] }, expect: { spf: 'fail', dmarc: 'fail', action: 'junk' } },
  { name: 'DMARC p=reject: fail, refused', sender: 'a@spf-fail.test', message: { from: ['a@p-reject.test'] }, expect: { spf: 'fail', dmarc: 'fail', action: 'reject', reply: REJECT } },
  { name: 'DMARC pct=0: reject weakened to quarantine', sender: 'a@spf-fail.test', message: { from: ['a@pct.test'] }, expect: { spf: 'fail', dmarc: 'fail', action: 'junk' } },
  { name: 'DMARC temperror: 451 4.4.3', sender: 'a@spf-fail.test', message: { from: ['a@dmarc-temp.test'] }, expect: { spf: 'fail', dmarc: 'temperror', action: 'reject', reply: TEMPFAIL } },
  // Alignment.
  { name: 'relaxed: d=mail.relaxed.test aligns with relaxed.test', sender: 'a@spf-fail.test', message: { from: ['a@relaxed.test'], signAs: 'mail.relaxed.test' }, expect: { spf: 'fail', dkim: 'pass', dmarc: 'pass', action: 'continue' } },
  { name: 'strict adkim: d=mail.strict.test does not align with strict.test', sender: 'a@spf-fail.test', message: { from: ['a@strict.test'], signAs: 'mail.strict.test' }, expect: { spf: 'fail', dkim: 'pass', dmarc: 'fail', action: 'reject', reply: REJECT } },
  { name: 'strict adkim: d=strict.test does not align with From sub.strict.test (mailauth 4.13 says it does)', sender: 'a@spf-fail.test', message: { from: ['a@sub.strict.test'], signAs: 'strict.test' }, expect: { spf: 'fail', dkim: 'pass', dmarc: 'fail', action: 'reject', reply: REJECT } },
  { name: 'strict aspf: SPF pass for bounce.strict.test does not align with strict.test', sender: 'x@bounce.strict.test', message: { from: ['a@strict.test'] }, expect: { spf: 'pass', dmarc: 'fail', action: 'reject', reply: REJECT } },
  { name: 'strict: the same name aligns', sender: 'a@spf-fail.test', message: { from: ['a@strict.test'], signAs: 'strict.test' }, expect: { spf: 'fail', dkim: 'pass', dmarc: 'pass', action: 'continue' } },
  // Subdomain policy.
  { name: 'sp=reject applies to a subdomain of the record\'s domain', sender: 'a@spf-fail.test', message: { from: ['a@news.sp.test'] }, expect: { spf: 'fail', dmarc: 'fail', action: 'reject', reply: REJECT } },
  { name: 'p=none applies to the domain itself', sender: 'a@spf-fail.test', message: { from: ['a@sp.test'] }, expect: { spf: 'fail', dmarc: 'fail', action: 'continue' } },
  // The From field.
  { name: 'two From addresses: fail, the strictest policy of them (p=reject)', sender: 'a@sender.test', message: { from: ['a@sender.test, boss@p-reject.test'] }, expect: { spf: 'pass', dmarc: 'fail', action: 'reject', reply: REJECT } },
  { name: 'two From fields: fail, even with an aligned pass (the strictest: p=quarantine)', sender: 'a@sender.test', message: { from: ['a@sender.test', 'boss@p-quar.test'] }, expect: { spf: 'pass', dmarc: 'fail', action: 'junk' } },
  { name: 'two From fields of one address: fail all the same', sender: 'a@sender.test', message: { from: ['a@sender.test', 'a@sender.test'] }, expect: { spf: 'pass', dmarc: 'fail', action: 'continue' } },
  { name: 'no From field: fail, no policy to apply', sender: 'a@sender.test', message: { from: [] }, expect: { spf: 'pass', dmarc: 'fail', action: 'continue' } },
];

export const settingsWith = (change: Partial<SenderAuthSettings> = {}): SenderAuthSettings => ({ ...DEFAULT_SENDER_AUTH_SETTINGS, authservId: AUTHSERV_ID, ...change });

export interface CaseRun {
  mailFrom: Verdict;
  body: BodyOutcome;
  /** Our Authentication-Results field. */
  header: string;
}

/** One message (built from its spec, or as given) through a pipeline holding the filter alone, as the SMTP session runs it. */
export async function runCase(c: Pick<Case, 'sender' | 'helo'> & { message: MessageSpec | Buffer }, dns: DnsClient, settings = settingsWith(), deps: Partial<SenderAuthDeps> = {}, client: Partial<ClientInfo> = {}): Promise<CaseRun> {
  const pipeline = new FilterPipeline([senderAuthFilter(settings, { dns, now: () => new Date(Date.UTC(2026, 11, 3, 10)), random: () => 0.5, ...deps })]);
  const info: ClientInfo = { ip: CLIENT_IP, helo: c.helo ?? HELO, tls: false, user: null, role: 'mx', trusted: false, ...client };
  const run = pipeline.begin({ client: info, sender: c.sender, queueId: 'Q1', facts: {}, log: silentLogger });
  try {
    const mailFrom = await run.mailFrom();
    await run.rcpt({ address: 'bob@petrel.test', domain: 'petrel.test' });
    const bytes = Buffer.isBuffer(c.message) ? c.message : buildMessage(c.message);
    const body = await run.body({ bytes, headerEnd: bytes.indexOf('\r\n\r\n') + 4 });
    return { mailFrom, body, header: body.headers.find((h) => h.startsWith('Authentication-Results:')) ?? '' };
  } finally {
    run.close();
  }
}

/** What a case expects of its run: the results in our field and the facts, the verdict and its reply; SPF alone refuses nothing. */
export function assertCase(c: Case, r: CaseRun): void {
  const result = (method: string) => new RegExp(`${method}=(\\w+)`).exec(r.header)?.[1];
  assert.equal(result('spf'), c.expect.spf, r.header);
  assert.equal(r.body.facts.auth?.spf?.result, c.expect.spf);
  if (c.expect.dkim) assert.equal(r.body.facts.auth?.dkim?.[0]?.result, c.expect.dkim, r.header);
  assert.equal(result('dmarc'), c.expect.dmarc, r.header);
  assert.equal(r.body.verdict.action, c.expect.action, r.header);
  if (c.expect.reply) assert.equal(r.body.verdict.action === 'reject' && r.body.verdict.error.reply, c.expect.reply);
  assert.equal(r.mailFrom.action, 'continue');
}
