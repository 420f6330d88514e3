/*
 * The DKIM checks of the doctor (doctor.md group E) for each key Petrel
 * signs a domain's mail with: a record exists at the selector (E01: a
 * selector typo shows here), it publishes our key (E02), its syntax
 * (E03), it is ONE TXT record (E04: several strings are right, several
 * records are wrong), the key's strength (E05), test mode left on (E06),
 * and `_domainkey.<domain>` answering NOERROR rather than NXDOMAIN (E08).
 * The signing round trip (E07) is a network check, not here.
 *
 * Root causes first: with several records at a selector (E04) nothing
 * else is judged for it (a verifier may pick any of them); quotes or
 * backslashes pasted into the value (E03) are reported and the record is
 * then judged without them, so the same paste is not also "a key that is
 * not ours" (E02); the key's strength (E05) is judged only for our key.
 *
 * Exports: dkimCheck.
 * Security: records come from the zone; each is bounded by
 * MAX_RECORD_OCTETS before parsing, the key is decoded only when it is
 * valid base64 and equals ours.
 * Standards: RFC 6376 sections 3.2 (tag-list, trailing ";"), 3.6.1 (key
 * record: v= first and "DKIM1", h=, k=, p= (empty: revoked), s=, t=y and
 * t=s), 3.6.2.2 (one TXT record, strings joined), 3.3.3 (RSA key sizes:
 * at least 1024 bits; RFC 8301 section 3.2: 2048 recommended); RFC 8463
 * (k=ed25519); RFC 8020 (NXDOMAIN means nothing exists below a name).
 * Interpretations: v= present but not first is a warning (RFC 6376 says
 * MUST; verifiers in use accept it); a value other than DKIM1 is an
 * error.
 */
import { createPublicKey } from 'node:crypto';
import { finding, type DoctorDeps, type DomainCheck, type DomainFacts, type Finding } from '../types.js';
import { MAX_RECORD_OCTETS } from './limits.js';
import { couldNotCheck, currently, DNS_DELAY, quoted, txtRecords, type TxtRecord } from './lookup.js';
import { parseTagList } from './tag-list.js';
import { dkimRecordValue } from '../../sender-auth/dkim-keys.js';

type Key = DomainFacts['dkim'][number];

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The value with pasted zone-file quoting removed: "a" "b" -> ab, \; -> ;. */
const unquote = (text: string) => text.replace(/"\s*"/g, '').replace(/\\(.)/g, '$1').replace(/"/g, '');

function judgeRecord(name: string, key: Key, record: TxtRecord): Finding[] {
  const out: Finding[] = [];
  const ours = dkimRecordValue(key);
  const keep = `Publish ONE TXT record at ${name} with the value Petrel prints (petrel dkim show); a long value is several quoted strings in that one record.`;
  let text = record.text.slice(0, MAX_RECORD_OCTETS);
  if (/["\\]/.test(text)) {
    out.push(finding('E03', 'error', name, 'the DKIM record contains quotes or backslashes: zone-file quoting was pasted into the value', quoted(text, 120), quoted(ours, 120),
      `Verifiers read the quotes as part of the key and fail. Paste the value without the quotes between the strings (in a zone file the quotes are syntax; in a web form they are not). ${DNS_DELAY}`));
    text = unquote(text);
  }
  const list = parseTagList(text);
  const tag = (n: string) => list.tags.find((t) => t.name === n);
  const syntax = (title: string, seen: string, fix: string) => out.push(finding('E03', 'error', name, title, seen, quoted(ours, 120), `${fix} ${DNS_DELAY}`));
  if (list.duplicates.length > 0) syntax(`the DKIM record gives ${list.duplicates.join(', ')}= more than once`, quoted(text, 120), `A repeated tag makes the whole record invalid (RFC 6376 3.2). ${keep}`);
  for (const p of list.problems) syntax('the DKIM record is not a valid tag=value list', p, keep);
  const v = tag('v');
  if (v && v.value !== 'DKIM1') syntax(`the DKIM record says v=${v.value}`, quoted(text, 120), `Verifiers discard a record whose v= is not DKIM1 (RFC 6376 3.6.1). ${currently(`"v=${v.value}"`, '"v=DKIM1"')}`);
  else if (v && list.tags[0] !== v) {
    out.push(finding('E03', 'warning', name, 'v=DKIM1 is not the first tag of the DKIM record', quoted(text, 120), quoted(ours, 120), `RFC 6376 3.6.1 requires v= first; some verifiers discard the record otherwise. Put "v=DKIM1;" first. ${DNS_DELAY}`));
  }
  const wantK = key.algorithm === 'rsa-sha256' ? 'rsa' : 'ed25519';
  const k = tag('k')?.value ?? 'rsa';
  if (k !== wantK) syntax(`the DKIM record says k=${k} but Petrel signs with ${wantK}`, quoted(text, 120), `Verifiers read the key as the wrong type and fail. ${currently(`"k=${k}"`, `"k=${wantK}"`)}`);
  const h = tag('h');
  if (h && !h.value.split(':').map((x) => x.trim()).includes('sha256')) syntax(`the DKIM record allows only h=${h.value}, not sha256`, quoted(text, 120), `Petrel signs with sha256. Remove h= or include sha256.`);
  const s = tag('s');
  if (s && !s.value.split(':').map((x) => x.trim()).some((x) => x === 'email' || x === '*')) syntax(`the DKIM record limits the key to s=${s.value}, not email`, quoted(text, 120), 'Remove s= (or set s=email).');
  const t = tag('t');
  if (t && t.value.split(':').map((x) => x.trim()).includes('y')) {
    out.push(finding('E06', 'warning', name, 'the DKIM key is in test mode (t=y)', quoted(text, 120), quoted(ours, 120), `With t=y verifiers may treat failed signatures as unsigned (RFC 6376 3.6.1). Once signing works, remove t=y. ${DNS_DELAY}`));
  }
  const p = tag('p');
  if (!p) {
    syntax('the DKIM record has no p= (the public key)', quoted(text, 120), keep);
    return out;
  }
  const published = p.value.replace(/[ \t\r\n]+/g, '');
  if (published === '') {
    out.push(finding('E02', 'error', name, 'the DKIM key is revoked (empty p=)', quoted(text, 120), quoted(ours, 120), `An empty p= means "this key is revoked": every signature fails. ${keep} ${DNS_DELAY}`));
    return out;
  }
  if (!BASE64.test(published)) {
    syntax('p= of the DKIM record is not valid base64', `${quoted(published, 60)} (${published.length} characters)`, `The key was probably cut or mangled while pasting. ${keep}`);
    return out;
  }
  if (published !== key.publicKey) {
    out.push(finding('E02', 'error', name, 'the published DKIM key is not the key Petrel signs with', `p=${published.slice(0, 24)}...${published.slice(-12)}`, `p=${key.publicKey.slice(0, 24)}...${key.publicKey.slice(-12)}`,
      `Every message Petrel signs with selector ${key.selector} fails DKIM. Replace the record's value with the one petrel dkim show prints. ${DNS_DELAY}`));
    return out;
  }
  if (wantK === 'rsa') {
    let bits: number | undefined;
    try {
      bits = createPublicKey({ key: Buffer.from(published, 'base64'), format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength;
    } catch {
      bits = undefined;
    }
    if (bits === undefined) syntax('p= of the DKIM record is not an RSA public key', `p=${published.slice(0, 24)}...`, keep);
    else if (bits < 1024) out.push(finding('E05', 'error', name, `the DKIM key has only ${bits} bits`, `RSA ${bits}`, 'RSA 2048', `Verifiers refuse RSA keys under 1024 bits (RFC 8301 3.2). Make a new 2048-bit key under a new selector, publish it, then switch. ${DNS_DELAY}`));
    else if (bits < 2048) out.push(finding('E05', 'warning', name, `the DKIM key has ${bits} bits; 2048 is recommended`, `RSA ${bits}`, 'RSA 2048', `Make a new 2048-bit key under a new selector, publish it, then switch. ${DNS_DELAY}`));
  }
  if (list.trailingSemicolon && out.length === 0) {
    out.push(finding('E03', 'info', name, 'the DKIM record ends with ";"', quoted(text.slice(-20)), 'either form', 'This is legal (RFC 6376 3.2) and needs no change.'));
  }
  return out;
}

async function checkKey(domain: string, key: Key, deps: DoctorDeps): Promise<{ findings: Finding[]; exists: boolean }> {
  const name = `${key.selector}._domainkey.${domain}`;
  const txt = await txtRecords(deps, name);
  if (!txt.ok) {
    if (txt.kind === 'temporary') return { findings: [couldNotCheck('E01', name, 'the DKIM record', txt.detail)], exists: false };
    return {
      exists: false,
      findings: [finding('E01', 'error', name, `no DKIM record at selector ${key.selector}`, txt.detail, quoted(dkimRecordValue(key), 120),
        `Petrel signs ${domain}'s mail with selector "${key.selector}", so verifiers look up ${name}; without a record every signature fails. If you published the key under another name (a typo in the selector), move it to exactly ${name}. ${DNS_DELAY}`)],
    };
  }
  if (txt.records.length > 1) {
    return {
      exists: true,
      findings: [finding('E04', 'error', name, `${txt.records.length} TXT records at the DKIM selector; there must be one`, txt.records.map((r) => quoted(r.text, 60)).join(' and '), 'ONE TXT record (a long key is several quoted strings in it)',
        `Verifiers take one record at random, so signatures fail. A 2048-bit key does not fit one 255-octet string: publish it as ONE record of several strings ("..." "..."), not as separate records, and delete the others. ${DNS_DELAY}`)],
    };
  }
  return { exists: true, findings: judgeRecord(name, key, txt.records[0]!) };
}

/** E01 to E06 per key, and E08 once for the domain. */
export const dkimCheck: DomainCheck = async (facts, _host, deps) => {
  const domain = facts.domain;
  if (facts.dkim.length === 0) {
    return [finding('E01', 'warning', domain, 'Petrel has no DKIM key for this domain', 'no key', 'an RSA key (and optionally Ed25519)', 'Mail from this domain is not signed. Generate a key (petrel domain add makes one) and publish the record petrel dkim show prints.')];
  }
  const out: Finding[] = [];
  let anyExists = false;
  for (const key of facts.dkim) {
    const r = await checkKey(domain, key, deps);
    anyExists ||= r.exists;
    out.push(...r.findings);
  }
  const parent = `_domainkey.${domain}`;
  const ent = await deps.query(parent, 'TXT');
  if (!ent.ok && ent.kind === 'nxdomain') {
    out.push(anyExists
      ? finding('E08', 'warning', parent, `${parent} answers NXDOMAIN although a selector below it exists`, 'NXDOMAIN', 'NOERROR (an empty name with records below it)',
        `A name with records below it exists (RFC 8020); resolvers that trust this NXDOMAIN stop looking and DKIM fails for them. This is a bug of the DNS host's server: ask them to fix empty non-terminals, or move the zone.`)
      : finding('E08', 'info', parent, `${parent} does not exist: no DKIM selector is published for ${domain}`, 'NXDOMAIN', 'NOERROR once a selector is published', 'Nothing to do beyond publishing the DKIM record above.'));
  } else if (!ent.ok && ent.kind === 'temporary') {
    out.push(couldNotCheck('E08', parent, `whether ${parent} exists`, ent.detail));
  }
  return out;
};
