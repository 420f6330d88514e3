/*
 * DNSSEC as the doctor sees it through a validating resolver (doctor.md
 * H03): an answer with the AD bit is signed and validated (secure); an
 * answer without it is unsigned (insecure, or the resolver does not
 * validate); a SERVFAIL while a DS record above the name says the zone is
 * signed is a zone that fails validation (bogus): every validating
 * resolver refuses its answers, so mail to the domain stops.
 *
 * The domain's own DNSSEC is judged here (dnssecCheck, on its MX
 * answer, which is what senders ask); the MX host's is judged with its
 * TLSA records in dane.ts, through dnssecState.
 *
 * Exports: dnssecCheck, dnssecState, bogusFinding, DnssecState.
 * Security: answers come from the zone; the climb looking for a DS
 * record is bounded (MAX_NAME_CLIMB) and never asks the root or a TLD.
 * Standards: RFC 4033 section 5 and RFC 4035 sections 3.2.3 and 5.5 (AD,
 * bogus answers are SERVFAIL), RFC 6840 section 5.8 (AD on answers).
 * Interpretations: an unsigned domain is a note (DNSSEC is optional;
 * MTA-STS protects delivery without it), a bogus one an error; a
 * SERVFAIL with no DS found above the name is an outage (could not
 * check), not bogus.
 */
import { finding, type DoctorDeps, type DomainCheck } from '../types.js';
import { MAX_NAME_CLIMB } from './limits.js';
import { bare, couldNotCheck } from './lookup.js';

export type DnssecState =
  | { state: 'secure' | 'insecure' }
  /** The name fails validation although a DS above it says it is signed; `zone` is where the DS is. */
  | { state: 'bogus'; zone: string; detail: string }
  /** The lookup failed and nothing says why. */
  | { state: 'unknown'; detail: string };

/** The nearest name at or above `name` (below the TLD) with a DS record, or undefined. */
async function signedParent(name: string, deps: DoctorDeps): Promise<string | undefined> {
  const labels = bare(name).split('.');
  for (let i = 0; i < Math.min(labels.length - 1, MAX_NAME_CLIMB); i++) {
    const candidate = labels.slice(i).join('.');
    const ds = await deps.query(candidate, 'DS');
    if (ds.ok && ds.records.length > 0) return candidate;
  }
  return undefined;
}

/** Whether the answers for (name, type) validate: the AD bit, or on SERVFAIL whether a DS says they should. */
export async function dnssecState(name: string, type: 'A' | 'MX', deps: DoctorDeps): Promise<DnssecState> {
  const answer = await deps.query(name, type);
  if (answer.ok || answer.kind !== 'temporary') return { state: answer.authenticated ? 'secure' : 'insecure' };
  const zone = await signedParent(name, deps);
  return zone ? { state: 'bogus', zone, detail: answer.detail } : { state: 'unknown', detail: answer.detail };
}

/** The finding for a name that fails validation (the domain here, the MX host in dane.ts). */
export function bogusFinding(name: string, zone: string, detail: string) {
  return finding('H03', 'error', name, 'DNSSEC validation fails: validating resolvers refuse the answers', `${detail}; a DS record for ${zone} says the zone is signed`, 'answers that validate (AD bit) or an unsigned zone (no DS)',
    `Senders that validate DNSSEC (most large providers) cannot resolve ${name}, so they cannot deliver. Re-sign the zone (expired signatures, keys rolled without updating the DS), or remove the DS record for ${zone} at the registrar to turn DNSSEC off. DNS changes can take hours to reach everyone (a DS for as long as its TTL).`);
}

/** H03 for the domain: its MX answer validates. */
export const dnssecCheck: DomainCheck = async (facts, _host, deps) => {
  const domain = facts.domain;
  const state = await dnssecState(domain, 'MX', deps);
  switch (state.state) {
    case 'secure': return [];
    case 'bogus': return [bogusFinding(domain, state.zone, state.detail)];
    case 'unknown': return [couldNotCheck('H03', domain, 'DNSSEC for the domain', state.detail)];
    case 'insecure':
      return [finding('H03', 'info', domain, 'the domain is not signed with DNSSEC (or the resolver does not validate)', 'answers without the AD bit', 'a signed zone (optional)',
        'DNSSEC is optional: MTA-STS protects delivery to the domain without it. With it, senders can authenticate the MX record and use DANE. Turn it on at your DNS host and publish the DS record at the registrar; check that [dns] resolvers validate.')];
  }
};
