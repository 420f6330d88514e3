/*
 * The DANE checks of the doctor for the mail host (doctor.md H03, H05 to
 * H07): the MX host's answers validate with DNSSEC (H03); with DNSSEC on,
 * TLSA records are published at _25._tcp.<host> (H05); a TLSA 3 1 1
 * record matches the SHA-256 of the key served on port 25 (H06); when a
 * next key is staged, its record is published too, so the rollover can
 * happen (H07: the ACME client only switches keys once the next key's
 * record is visible).
 *
 * Only 3 1 1 (DANE-EE, SubjectPublicKeyInfo, SHA-256) is compared: it is
 * what Petrel plans and what the facts hold. 3 1 2, 3 0 x (other hashes,
 * the full certificate) and 2 x x (DANE-TA, a CA's key) may be right but
 * cannot be checked here, and are said to be so; 0 and 1 (PKIX usages)
 * are ignored by SMTP senders (RFC 7672 3.1.3). A TLSA record in an
 * unsigned zone is ignored by senders, so a mismatch there is a warning,
 * not an error.
 *
 * Exports: daneCheck.
 * Security: records come from the zone; TLSA records are bounded
 * (MAX_RRSET_RECORDS) and their data only compared.
 * Standards: RFC 6698 section 2 (TLSA fields), RFC 7671 (operational
 * guidance: rollover publishes the next key first, section 8.1), RFC 7672
 * sections 2.2 (TLSA only from secure answers), 3.1 (usages for SMTP).
 */
import type { TlsaRecord } from '../../dns/client.js';
import { finding, type Finding, type HostCheck, type HostFacts } from '../types.js';
import { bogusFinding, dnssecState } from './dnssec.js';
import { MAX_RRSET_RECORDS } from './limits.js';
import { bare, couldNotCheck, DNS_DELAY } from './lookup.js';

const hex = (r: TlsaRecord) => r.data.toString('hex').toLowerCase();
const show = (r: TlsaRecord) => `${r.usage} ${r.selector} ${r.matchingType} ${hex(r)}`;
const is311 = (r: TlsaRecord) => r.usage === 3 && r.selector === 1 && r.matchingType === 1;

/** H06 and H07 on the published records; `secure` says whether senders would use them. */
function judge(name: string, host: HostFacts, records: TlsaRecord[], secure: boolean): Finding[] {
  if (host.tlsaKeys.current === '') {
    return [finding('H06', 'info', name, 'the TLSA records were not compared: the key served on port 25 is not known', records.map(show).join(', '), 'the SHA-256 of the served key', 'The doctor could not read the certificate Petrel serves on port 25; check [tls] and the certificate files.')];
  }
  const out: Finding[] = [];
  const current = host.tlsaKeys.current.toLowerCase();
  const next = host.tlsaKeys.next?.toLowerCase();
  const line = (h: string) => `${name}. TLSA 3 1 1 ${h}`;
  const ours = records.filter(is311);
  const matched = ours.some((r) => hex(r) === current);
  const stale = ours.filter((r) => hex(r) !== current && hex(r) !== next);
  const unknowable = records.filter((r) => !is311(r) && (r.usage === 2 || r.usage === 3));
  const pkix = records.filter((r) => r.usage === 0 || r.usage === 1);
  if (!matched && unknowable.length === 0) {
    out.push(finding('H06', secure ? 'error' : 'warning', name, 'no TLSA record matches the key served on port 25', records.map(show).join(', '), line(current),
      `${secure ? 'Senders that use DANE refuse to deliver: they find no record for the key this server presents.' : 'Senders ignore TLSA records in an unsigned zone, but would refuse to deliver once it is signed.'} Publish ${line(current)}${stale.length > 0 ? ` and remove the record for the key no longer served (${stale.map(hex).join(', ')})` : ''}. ${DNS_DELAY}`));
  } else if (!matched) {
    out.push(finding('H06', 'info', name, 'the TLSA records are of a kind the doctor cannot compare with the served key', unknowable.map(show).join(', '), `${line(current)} (what petrel dns plan publishes)`,
      'The doctor knows only the SHA-256 of the served key (3 1 1); 3 1 2, 3 0 x (another hash, the whole certificate) and 2 x x (a CA\'s key, which changes with the CA) may be right. Publishing the 3 1 1 record as well lets the doctor confirm it.'));
  } else if (stale.length > 0) {
    out.push(finding('H06', 'warning', name, 'a TLSA record is for a key that is neither served nor next', stale.map(show).join(', '), `only ${line(current)}${next ? ` and ${line(next)}` : ''}`,
      `Whoever holds that old key can still pass DANE as this server. Remove the record once no sender can have it cached. ${DNS_DELAY}`));
  }
  if (pkix.length > 0) {
    out.push(finding('H06', 'warning', name, 'TLSA records with a PKIX usage (0 or 1) are ignored by mail senders', pkix.map(show).join(', '), line(current),
      `RFC 7672 3.1.3: SMTP senders treat usages 0 and 1 as unusable. Replace them with ${line(current)}. ${DNS_DELAY}`));
  }
  if (next && next !== current && !ours.some((r) => hex(r) === next)) {
    out.push(finding('H07', 'warning', name, 'the next key staged for port 25 has no TLSA record: the key rollover cannot happen', records.map(show).join(', '), `${line(current)} and ${line(next)}`,
      `The certificate keeps its current key until the next key's record is visible, because senders that use DANE would refuse the new key. Publish ${line(next)} beside the current one. ${DNS_DELAY}`));
  }
  return out;
}

/** H03, H05, H06 and H07 for the MX host. */
export const daneCheck: HostCheck = async (host, deps) => {
  const hostname = bare(host.hostname);
  const name = `_25._tcp.${hostname}`;
  const state = await dnssecState(hostname, 'A', deps);
  if (state.state === 'bogus') return [bogusFinding(hostname, state.zone, state.detail)];
  if (state.state === 'unknown') return [couldNotCheck('H03', hostname, 'DNSSEC for the mail host', state.detail)];
  const tlsa = await deps.dns.tlsa(name);
  if (!tlsa.ok && tlsa.kind === 'temporary') return [couldNotCheck('H05', name, 'the TLSA records', tlsa.detail)];
  const records = tlsa.ok ? tlsa.records.slice(0, MAX_RRSET_RECORDS) : [];
  const planned = `${name}. TLSA 3 1 1 ${host.tlsaKeys.current}`;
  const secure = state.state === 'secure' && (!tlsa.ok || tlsa.authenticated === true);
  if (state.state === 'insecure') {
    if (records.length === 0) {
      return [finding('H03', 'info', hostname, 'the mail host\'s zone is not signed with DNSSEC (or the resolver does not validate): DANE is not possible', 'answers without the AD bit', 'a signed zone and TLSA records (optional)',
        `DANE lets senders authenticate this server's certificate without a CA; it needs the zone of ${hostname} signed with DNSSEC. Turn DNSSEC on at your DNS host, then publish ${planned}.`)];
    }
    return [
      finding('H03', 'warning', hostname, 'TLSA records are published but the mail host\'s zone is not signed with DNSSEC: senders ignore them', 'answers without the AD bit', 'a signed zone (AD bit on the answers)',
        `DANE needs DNSSEC (RFC 7672 2.2): without it the TLSA records at ${name} protect nothing. Turn DNSSEC on for the zone of ${hostname} (and publish its DS record at the registrar), or remove the TLSA records. Check also that [dns] resolvers validate DNSSEC.`),
      ...judge(name, host, records, false),
    ];
  }
  if (records.length === 0 && host.tlsaKeys.current !== '') {
    return [finding('H05', 'warning', name, 'DNSSEC is on but no TLSA record is published: senders cannot use DANE', tlsa.ok ? 'no records' : tlsa.detail, planned,
      `With DNSSEC on, a TLSA record lets senders that use DANE insist on an authenticated TLS connection. Publish ${planned}${host.tlsaKeys.next ? ` and ${name}. TLSA 3 1 1 ${host.tlsaKeys.next}` : ''}. ${DNS_DELAY}`)];
  }
  return judge(name, host, records, secure);
};
