/*
 * What a domain (and this mail host) must publish in DNS, with the real
 * values: `petrel dns plan DOMAIN` prints it as zone-file lines and as
 * JSON, and `petrel domain add` prints it for a new domain. Pure: every
 * value comes in through PlanInput.
 *
 * For the mail host: A/AAAA, SPF for the HELO name, the PTR to ask the
 * address's owner for, TLSA for the key served on port 25 (and the next
 * key, so a rollover never breaks DANE), CAA for the ACME CA.
 * For the domain: MX to the host, SPF, every DKIM key as ONE TXT record
 * of strings of at most 255 octets, DMARC at the policy stage configured
 * (with the rollout plan), MTA-STS (the `_mta-sts` id of the policy Petrel
 * serves, and the mta-sts name), TLS-RPT, RFC 6186/8314 SRV records (and
 * `0 0 0 .` for a service not offered), the client, autoconfig and
 * autodiscover names; names with addresses but no mail get a null MX
 * (RFC 7505) and `v=spf1 -all`; an external DMARC report address needs
 * its domain's authorisation record (RFC 7489 section 7.1).
 *
 * Exports: planDomain, planZoneText, reverseName, PlanInput, PlannedRecord, Plan.
 * Security: configuration and our own keys only; nothing secret is printed
 * (public keys and hashes).
 * Standards: RFC 5321, 7208, 6376, 7489 (section 7.1), 8461, 8460, 7672,
 * 6698, 6186, 8314, 7505, 8659.
 */
import { dkimRecordStrings } from '../sender-auth/dkim-keys.js';

export interface PlanInput {
  /** A-label. */
  domain: string;
  hostname: string;
  heloName: string;
  ipv4: readonly string[];
  ipv6: readonly string[];
  /** The name clients use (mail.<domain>, or the hostname). */
  clientHost: string;
  dkim: readonly { selector: string; algorithm: 'rsa-sha256' | 'ed25519-sha256'; publicKey: string }[];
  dmarc: { policy: 'none' | 'quarantine' | 'reject'; rua: string };
  tlsRptRua: string;
  mtaSts: { mode: 'none' | 'testing' | 'enforce'; id: string; text: string };
  /** The client services offered, with the ports clients should use (RFC 6186/8314 SRV). */
  services: { submissions?: number; submission?: number; imaps?: number; imap?: number; pop3s?: number; pop3?: number; sieve?: number };
  /** SHA-256 (hex) of the SubjectPublicKeyInfo served on port 25, and of the next key when one is staged. */
  tlsa?: { current: string; next?: string };
  /** The CA issuer domain for CAA (letsencrypt.org), when ACME is on. */
  caa?: string;
  ttl?: number;
}

export interface PlannedRecord {
  /** Fully qualified, with the trailing dot. */
  name: string;
  type: 'A' | 'AAAA' | 'MX' | 'TXT' | 'SRV' | 'TLSA' | 'CAA' | 'CNAME' | 'PTR';
  ttl: number;
  /** The record data as a zone file writes it (TXT: the quoted strings, one record). */
  value: string;
  /** TXT only: the character-strings of the one record, unquoted. */
  strings?: string[];
  /** Why it is there, or what to do with it; printed as a comment. */
  note?: string;
  /** Who publishes it, when not the domain's zone: the address owner (PTR), another domain (DMARC authorisation). */
  publishedBy?: string;
}

export interface Plan {
  domain: string;
  host: PlannedRecord[];
  records: PlannedRecord[];
  /** The MTA-STS policy Petrel serves at https://mta-sts.<domain>/.well-known/mta-sts.txt. */
  mtaStsPolicy: string;
  /** What could not be planned, and how to fix it (no public address known, say). */
  warnings: string[];
}

const fq = (name: string) => `${name.replace(/\.$/, '')}.`;
const quote = (strings: string[]) => strings.map((s) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(' ');

function txt(name: string, strings: string[], ttl: number, note?: string): PlannedRecord {
  return { name: fq(name), type: 'TXT', ttl, value: strings.length > 1 ? `( ${quote(strings)} )` : quote(strings), strings, note };
}

/** The reverse name of an address: 4.3.2.1.in-addr.arpa. or the nibbles of an IPv6 address. */
export function reverseName(ip: string): string {
  if (ip.includes('.')) return `${ip.split('.').reverse().join('.')}.in-addr.arpa.`;
  const parts = ip.split('::');
  const head = parts[0] ? parts[0].split(':') : [];
  const tail = parts[1] ? parts[1].split(':') : [];
  const groups = [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail].map((g) => g.padStart(4, '0'));
  return `${groups.join('').split('').reverse().join('.')}.ip6.arpa.`;
}

function hostRecords(i: PlanInput, ttl: number, warnings: string[]): PlannedRecord[] {
  const out: PlannedRecord[] = [];
  for (const ip of i.ipv4) out.push({ name: fq(i.hostname), type: 'A', ttl, value: ip });
  for (const ip of i.ipv6) out.push({ name: fq(i.hostname), type: 'AAAA', ttl, value: ip });
  if (i.ipv4.length + i.ipv6.length === 0) warnings.push(`no public address is known for ${i.hostname}: set [network] public_ipv4 (and public_ipv6) so the A/AAAA, SPF and PTR lines can be planned`);
  out.push(txt(i.heloName, ['v=spf1 a -all'], ttl, 'SPF for the HELO name (bounces and DSNs are checked against it)'));
  for (const ip of [...i.ipv4, ...i.ipv6]) {
    out.push({ name: reverseName(ip), type: 'PTR', ttl, value: fq(i.hostname), publishedBy: `the owner of ${ip} (your hosting provider)`, note: `ask them to set the reverse DNS of ${ip} to ${i.hostname}` });
  }
  if (i.tlsa) {
    const note = 'DANE (RFC 7672): only meaningful in a DNSSEC-signed zone';
    out.push({ name: fq(`_25._tcp.${i.hostname}`), type: 'TLSA', ttl, value: `3 1 1 ${i.tlsa.current}`, note: `${note}; the key served on port 25 now` });
    if (i.tlsa.next) out.push({ name: fq(`_25._tcp.${i.hostname}`), type: 'TLSA', ttl, value: `3 1 1 ${i.tlsa.next}`, note: 'the next key: published ahead so the rollover breaks nothing' });
  }
  if (i.caa) out.push({ name: fq(i.hostname), type: 'CAA', ttl, value: `0 issue "${i.caa}"`, note: 'only this CA may issue certificates for the host' });
  return out;
}

function srv(service: string, target: string | undefined, port: number | undefined, domain: string, ttl: number): PlannedRecord {
  return port && target
    ? { name: fq(`_${service}._tcp.${domain}`), type: 'SRV', ttl, value: `0 1 ${port} ${fq(target)}` }
    : { name: fq(`_${service}._tcp.${domain}`), type: 'SRV', ttl, value: '0 0 0 .', note: 'not offered (RFC 6186 section 3.4)' };
}

/** Everything the domain needs. */
export function planDomain(i: PlanInput): Plan {
  const ttl = i.ttl ?? 3600;
  const warnings: string[] = [];
  const d = i.domain;
  const records: PlannedRecord[] = [];
  records.push({ name: fq(d), type: 'MX', ttl, value: `10 ${fq(i.hostname)}` });
  records.push(txt(d, ['v=spf1 mx -all'], ttl, 'only the MX host sends mail for the domain'));
  for (const key of i.dkim) records.push(txt(`${key.selector}._domainkey.${d}`, dkimRecordStrings(key), ttl, 'ONE record of several strings (never several records)'));
  const stage = { none: 'start here and read the reports; then p=quarantine, then p=reject', quarantine: 'next: p=reject once the reports are clean', reject: 'the last stage' }[i.dmarc.policy];
  records.push(txt(`_dmarc.${d}`, [`v=DMARC1; p=${i.dmarc.policy}; rua=mailto:${i.dmarc.rua}; adkim=r; aspf=r`], ttl, stage));
  const ruaDomain = i.dmarc.rua.slice(i.dmarc.rua.lastIndexOf('@') + 1).toLowerCase();
  if (ruaDomain && ruaDomain !== d && !ruaDomain.endsWith(`.${d}`)) {
    records.push({ ...txt(`${d}._report._dmarc.${ruaDomain}`, ['v=DMARC1'], ttl, `lets ${ruaDomain} receive ${d}'s DMARC reports (RFC 7489 section 7.1)`), publishedBy: `the zone of ${ruaDomain}` });
  }
  if (i.mtaSts.mode !== 'none') {
    records.push(txt(`_mta-sts.${d}`, [`v=STSv1; id=${i.mtaSts.id}`], ttl, 'the id changes whenever the policy does'));
    records.push(txt(`_smtp._tls.${d}`, [`v=TLSRPTv1; rua=mailto:${i.tlsRptRua}`], ttl, 'TLS reports (RFC 8460)'));
  }
  // Names that point at this host for clients, policy and autoconfiguration, and never receive mail:
  // their own addresses, a null MX (RFC 7505) and an SPF that allows nothing. Without a known
  // address, a CNAME to the host (which cannot stand beside MX or TXT records).
  const names = [...new Set([i.clientHost, `mta-sts.${d}`, `autoconfig.${d}`, `autodiscover.${d}`].filter((n) => n !== i.hostname))];
  for (const name of names) {
    const note = name === i.clientHost ? 'the name users configure in their mail clients' : undefined;
    if (i.ipv4.length + i.ipv6.length === 0) {
      records.push({ name: fq(name), type: 'CNAME', ttl, value: fq(i.hostname), note });
      continue;
    }
    for (const ip of i.ipv4) records.push({ name: fq(name), type: 'A', ttl, value: ip, note });
    for (const ip of i.ipv6) records.push({ name: fq(name), type: 'AAAA', ttl, value: ip, note });
    records.push({ name: fq(name), type: 'MX', ttl, value: '0 .', note: 'receives no mail (null MX, RFC 7505)' });
    records.push(txt(name, ['v=spf1 -all'], ttl, 'sends no mail'));
  }
  const s = i.services;
  records.push(srv('submissions', i.clientHost, s.submissions, d, ttl), srv('submission', i.clientHost, s.submission, d, ttl));
  records.push(srv('imaps', i.clientHost, s.imaps, d, ttl), srv('imap', i.clientHost, s.imap, d, ttl));
  records.push(srv('pop3s', i.clientHost, s.pop3s, d, ttl), srv('pop3', i.clientHost, s.pop3, d, ttl));
  records.push(srv('sieve', i.clientHost, s.sieve, d, ttl));
  if (i.caa) records.push({ name: fq(d), type: 'CAA', ttl, value: `0 issue "${i.caa}"`, note: 'the certificates for the mail names come from this CA' });
  const policy = i.mtaSts.mode === 'none' ? '' : i.mtaSts.text;
  return { domain: d, host: hostRecords(i, ttl, warnings), records, mtaStsPolicy: policy, warnings };
}

function line(r: PlannedRecord): string {
  const comment = [r.publishedBy && `published by ${r.publishedBy}`, r.note].filter(Boolean).join('; ');
  return `${r.name} ${r.ttl} IN ${r.type} ${r.value}${comment ? ` ; ${comment}` : ''}`;
}

/** The plan as zone-file text, host records first, each group with a heading comment. */
export function planZoneText(plan: Plan): string {
  const out: string[] = [];
  for (const w of plan.warnings) out.push(`; WARNING: ${w}`);
  out.push('; the mail host', ...plan.host.map(line), '', `; ${plan.domain}`, ...plan.records.map(line));
  if (plan.mtaStsPolicy) out.push('', `; the MTA-STS policy Petrel serves at https://mta-sts.${plan.domain}/.well-known/mta-sts.txt:`, ...plan.mtaStsPolicy.trimEnd().split('\r\n').map((l) => `;   ${l}`));
  return `${out.join('\n')}\n`;
}
