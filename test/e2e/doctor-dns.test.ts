/*
 * The doctor's DNS checks (dnsHostChecks, dnsDomainChecks) against a real
 * BIND on loopback: a zone written by the planner from the facts the app
 * would have (a real DKIM key, the SPKI hash of a real certificate key,
 * the MTA-STS policy Petrel serves) gets no error; then one domain per
 * pitfall operators actually make, each found with the right id and
 * nothing else at error level. One BIND serves every zone, the mail
 * host's reverse zone (127.0.0.x) and a blocklist zone that lists
 * nothing; a second pair (a signed zone behind a validating resolver)
 * serves the DANE case, where the AD bit is real.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { WireDnsClient } from '../../src/dns/wire-client.js';
import { planDomain, type PlannedRecord, type PlanInput } from '../../src/dns/plan.js';
import { dnsDomainChecks, dnsHostChecks, type DnsCheckOptions } from '../../src/doctor/dns/index.js';
import type { DoctorDeps, DomainFacts, Finding, HostFacts } from '../../src/doctor/types.js';
import { dkimRecordStrings, generateDkimKey } from '../../src/sender-auth/dkim-keys.js';
import { mtaStsPolicy } from '../../src/sender-auth/mta-sts-policy.js';
import { generateCertificateKey, spkiSha256 } from '../../src/tls/acme/keys.js';
import { startBind, type BindServer } from '../support/bind.js';
import { startDnssecBind, type DnssecBind } from '../support/bind-dnssec.js';
import { hasTool, requireTools } from '../support/tools.js';

const WEEK_MS = 7 * 86_400_000;
const HOSTNAME = 'mx.petrel.test';
const CA = 'letsencrypt.org';
const key = generateDkimKey('rsa-sha256', 's2026');
const otherKey = generateDkimKey('rsa-sha256', 's2026');
const services = { submissions: 465, submission: 587, imaps: 993 };
const options: DnsCheckOptions = { allowPrivate: true, zen: 'bl.test', dbl: 'bl.test' };

interface Case {
  domain: string;
  /** What the pitfall is, for the test's name. */
  what: string;
  /** The finding that must be there, as "ID severity". */
  expect: string;
  /** Plan differently (a DMARC stage, an MTA-STS mode). */
  plan?: Partial<PlanInput>;
  /** Break the planned records. */
  edit?: (records: PlannedRecord[], d: string) => PlannedRecord[];
  /** Extra zone lines. */
  extra?: string;
  /** Facts that differ from what was planned (the policy Petrel serves now). */
  facts?: Partial<DomainFacts>;
}

const txt = (name: string, value: string): PlannedRecord => ({ name, type: 'TXT', ttl: 60, value: `"${value}"` });
const isSpf = (d: string) => (r: PlannedRecord) => r.name === `${d}.` && r.type === 'TXT';
const isDkim = (r: PlannedRecord) => r.type === 'TXT' && r.name.includes('._domainkey.');
const withSpf = (value: string) => (rs: PlannedRecord[], d: string) => [...rs.filter((r) => !isSpf(d)(r)), txt(`${d}.`, value)];

const cases: Case[] = [
  // The alias is in the host's zone: BIND without recursion follows a CNAME only within a zone.
  { domain: 'cname.test', what: 'MX to a CNAME', expect: 'C02 error',
    // An enforced policy would also refuse the alias (G04, rightly); testing mode keeps this zone to its one mistake.
    plan: { mtaSts: mtaStsPolicy([HOSTNAME], 'testing', WEEK_MS) },
    edit: (rs, d) => rs.map((r) => (r.name === `${d}.` && r.type === 'MX' ? { ...r, value: '10 alias.petrel.test.' } : r)) },
  { domain: 'glued.test', what: 'SPF with -all glued to the previous term', expect: 'D03 error', edit: withSpf('v=spf1 mx ip4:127.0.0.25-all') },
  { domain: 'twospf.test', what: 'two SPF records', expect: 'D01 error', edit: (rs, d) => [...rs, txt(`${d}.`, 'v=spf1 a -all')] },
  { domain: 'lookups.test', what: 'SPF over 10 lookups', expect: 'D05 error',
    edit: withSpf(`v=spf1 mx ${Array.from({ length: 10 }, (_, i) => `include:i${i}.lookups.test`).join(' ')} -all`),
    extra: Array.from({ length: 10 }, (_, i) => `i${i} IN TXT "v=spf1 -all"`).join('\n') },
  { domain: 'split.test', what: 'DKIM split into two TXT records', expect: 'E04 error',
    edit: (rs) => rs.flatMap((r) => (isDkim(r) ? r.strings!.map((s) => ({ ...r, value: `"${s}"` })) : [r])) },
  { domain: 'selector.test', what: 'DKIM under a mistyped selector', expect: 'E01 error',
    edit: (rs) => rs.map((r) => (isDkim(r) ? { ...r, name: r.name.replace('s2026.', 's2062.') } : r)) },
  { domain: 'wrongkey.test', what: 'a DKIM key that is not ours', expect: 'E02 error',
    edit: (rs) => rs.map((r) => (isDkim(r) ? { ...r, value: `( ${dkimRecordStrings(otherKey).map((s) => `"${s}"`).join(' ')} )` } : r)) },
  { domain: 'nodmarc.test', what: 'no DMARC record', expect: 'F01 error', edit: (rs) => rs.filter((r) => !r.name.startsWith('_dmarc.')) },
  { domain: 'pnone.test', what: 'DMARC at p=none', expect: 'F05 warning', plan: { dmarc: { policy: 'none', rua: 'postmaster@pnone.test' } } },
  { domain: 'extrua.test', what: 'an external rua without its authorisation', expect: 'F07 warning',
    plan: { dmarc: { policy: 'reject', rua: 'reports@other.test' } }, facts: { dmarcRua: 'reports@other.test' } },
  { domain: 'caa.test', what: 'CAA allowing another CA only', expect: 'H09 error',
    edit: (rs) => rs.map((r) => (r.type === 'CAA' ? { ...r, value: '0 issue "sectigo.com"' } : r)) },
  { domain: 'srv.test', what: 'an SRV record naming a host the certificate is not for', expect: 'K01 warning',
    edit: (rs, d) => rs.map((r) => (r.type === 'SRV' && r.name.startsWith('_imaps.') ? { ...r, value: `0 1 993 dovecot.${d}.` } : r)) },
  { domain: 'stsid.test', what: 'the MTA-STS id unchanged after a policy change', expect: 'G05 error',
    facts: { mtaSts: mtaStsPolicy([HOSTNAME], 'enforce', 2 * WEEK_MS) } },
];

function planInput(domain: string, host: HostFacts, change: Partial<PlanInput> = {}): PlanInput {
  return {
    domain, hostname: host.hostname, heloName: host.heloName, ipv4: host.ipv4, ipv6: host.ipv6, clientHost: `mail.${domain}`,
    dkim: [key], dmarc: { policy: 'reject', rua: `postmaster@${domain}` }, tlsRptRua: `postmaster@${domain}`,
    mtaSts: mtaStsPolicy([HOSTNAME], 'enforce', WEEK_MS), services, tlsa: host.tlsaKeys, caa: CA, ttl: 60, ...change,
  };
}

/** The facts the app would have for a domain planned with `input`. */
function factsFor(input: PlanInput, change: Partial<DomainFacts> = {}): DomainFacts {
  return { domain: input.domain, clientHost: input.clientHost, dkim: [...input.dkim], mtaSts: input.mtaSts, dmarcRua: input.dmarc.rua, tlsRptRua: input.tlsRptRua, services, ...change };
}

const zoneLine = (r: PlannedRecord) => `${r.name} ${r.ttl} IN ${r.type} ${r.value}`;
/** A plan's records that belong in the zone `zone`. */
const inZone = (records: PlannedRecord[], zone: string) => records.filter((r) => r.name === `${zone}.` || r.name.endsWith(`.${zone}.`)).map(zoneLine).join('\n');

const brief = (findings: Finding[]) => findings.map((f) => `${f.id} ${f.severity}`);
const errors = (findings: Finding[]) => findings.filter((f) => f.severity === 'error');
const explain = (findings: Finding[]) => findings.map((f) => `${f.id} ${f.severity} ${f.subject}: ${f.title} [${f.seen}]`).join('\n');

async function runChecks(host: HostFacts, domains: DomainFacts[], deps: DoctorDeps, opts: DnsCheckOptions): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const check of dnsHostChecks(opts)) out.push(...(await check(host, deps)));
  for (const d of domains) for (const check of dnsDomainChecks(opts)) out.push(...(await check(d, host, deps)));
  return out;
}

function depsFor(server: string): DoctorDeps {
  const dns = new WireDnsClient({ servers: [server], timeoutMs: 2000, tries: 2 });
  return { dns, query: (name, type) => dns.query(name, type), now: () => Date.now() };
}

describe('petrel doctor DNS checks against BIND', () => {
  let bind: BindServer | undefined;
  let signed: DnssecBind | undefined;
  let host: HostFacts;
  let served = '';
  const good = (t: TestContext) => requireTools(t, 'named') && bind !== undefined;

  before(async () => {
    served = spkiSha256(await generateCertificateKey('ecdsa-p256'));
    host = { hostname: HOSTNAME, heloName: HOSTNAME, ipv4: ['127.0.0.25'], ipv6: [], tlsaKeys: { current: served }, acmeCa: CA };
    if (!hasTool('named')) return;
    const goodPlan = planDomain(planInput('good.test', host));
    const zones: Record<string, string> = {
      'good.test': inZone(goodPlan.records, 'good.test'),
      'petrel.test': [
        inZone(goodPlan.host, 'petrel.test'),
        'alias IN CNAME mx.petrel.test.',
        'nptr IN A 127.0.0.26', 'nptr IN TXT "v=spf1 a -all"',
        'badptr IN A 127.0.0.27', 'badptr IN TXT "v=spf1 a -all"', 'elsewhere IN A 127.0.0.99',
      ].join('\n'),
      '0.0.127.in-addr.arpa': `${inZone(goodPlan.host, '0.0.127.in-addr.arpa')}\n27 IN PTR elsewhere.petrel.test.`,
      'bl.test': '',
      'other.test': 'other.test. IN MX 10 mx.petrel.test.',
    };
    for (const c of cases) {
      const records = planDomain(planInput(c.domain, host, c.plan)).records;
      zones[c.domain] = `${inZone(c.edit ? c.edit(records, c.domain) : records, c.domain)}\n${c.extra ?? ''}`;
    }
    bind = await startBind(zones);
  });
  after(async () => {
    await bind?.stop();
    await signed?.stop();
  });

  it('a zone as the planner writes it: no error', async (t) => {
    if (!good(t)) return;
    const findings = await runChecks(host, [factsFor(planInput('good.test', host))], depsFor(bind!.address), options);
    assert.deepEqual(errors(findings), [], explain(findings));
    // Loopback is allowed here, and noted; the zone is not signed, so its TLSA records are only a warning.
    assert.ok(brief(findings).includes('C04 info') && brief(findings).includes('B01 info'), explain(findings));
    assert.ok(!findings.some((f) => ['C01', 'D01', 'D08', 'E01', 'E02', 'F01', 'G01', 'G05', 'G07', 'H09', 'K01', 'B02', 'B03', 'A08'].includes(f.id) && f.severity !== 'info'), explain(findings));
  });

  for (const c of cases) {
    it(`${c.what}: ${c.expect}`, async (t) => {
      if (!good(t)) return;
      const input = planInput(c.domain, host, c.plan);
      const deps = depsFor(bind!.address);
      const findings: Finding[] = [];
      for (const check of dnsDomainChecks(options)) findings.push(...(await check(factsFor(input, c.facts), host, deps)));
      assert.ok(brief(findings).includes(c.expect), explain(findings));
      const [id, severity] = c.expect.split(' ');
      assert.deepEqual(errors(findings).filter((f) => f.id !== id || severity !== 'error'), [], explain(findings));
    });
  }

  for (const [name, ip, id] of [['nptr.petrel.test', '127.0.0.26', 'B02'], ['badptr.petrel.test', '127.0.0.27', 'B03']] as const) {
    it(`${id === 'B02' ? 'no PTR' : 'a PTR that does not resolve back'}: ${id} error`, async (t) => {
      if (!good(t)) return;
      const h: HostFacts = { ...host, hostname: name, heloName: name, ipv4: [ip] };
      const findings = await runChecks(h, [], depsFor(bind!.address), options);
      assert.deepEqual(errors(findings).map((f) => f.id), [id], explain(findings));
    });
  }

  it('TLSA not matching the served key in a DNSSEC-signed zone: H06 error; the right one: none', async (t) => {
    if (!requireTools(t, 'named', 'dnssec-keygen', 'dnssec-signzone')) return;
    const stale = spkiSha256(await generateCertificateKey('ecdsa-p256'));
    signed = await startDnssecBind({
      'dane.test': {
        sign: 'valid',
        records: [
          'mx IN A 127.0.0.28', 'mx IN TXT "v=spf1 a -all"', `_25._tcp.mx IN TLSA 3 1 1 ${stale}`,
          'ok IN A 127.0.0.29', 'ok IN TXT "v=spf1 a -all"', `_25._tcp.ok IN TLSA 3 1 1 ${served}`,
        ].join('\n'),
      },
    });
    const deps = depsFor(signed.resolver);
    // Loopback addresses are not public: B01 warns, B02 is skipped; no reverse zone is needed.
    const opts = { zen: 'bl.test' };
    const wrong = await runChecks({ ...host, hostname: 'mx.dane.test', heloName: 'mx.dane.test', ipv4: ['127.0.0.28'] }, [], deps, opts);
    assert.deepEqual(errors(wrong).map((f) => f.id), ['H06'], explain(wrong));
    assert.ok(errors(wrong)[0]!.fix.includes(`TLSA 3 1 1 ${served}`), 'names the hash to publish');
    const right = await runChecks({ ...host, hostname: 'ok.dane.test', heloName: 'ok.dane.test', ipv4: ['127.0.0.29'] }, [], deps, opts);
    assert.deepEqual(errors(right), [], explain(right));
    assert.ok(!right.some((f) => f.id.startsWith('H0') && f.id !== 'H09'), explain(right));
  });
});
