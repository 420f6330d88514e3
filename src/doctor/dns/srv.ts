/*
 * The client autoconfiguration SRV check of the doctor (doctor.md K01):
 * RFC 6186 and RFC 8314 SRV records for submission, IMAP, POP3 and
 * ManageSieve name the host clients should use and the port each service
 * listens on, and `0 0 0 .` for a service that is not offered.
 *
 * The target should be the domain's client host, whose certificate
 * Petrel serves for the domain: a client that follows an SRV record to
 * another name checks the certificate against that name and may fail.
 * Without the services (facts.services unknown) any record pointing at
 * the client host, or `0 0 0 .`, is right.
 *
 * Exports: srvCheck, SRV_SERVICES.
 * Security: records come from the zone; each RRset is bounded
 * (MAX_RRSET_RECORDS) and only compared.
 * Standards: RFC 6186 sections 3.1 to 3.4 (the service names; "." as
 * target: the service is decidedly not offered), RFC 8314 section 5.1
 * (_submissions._tcp, _imaps._tcp, _pop3s._tcp), RFC 5804 section 1.8
 * (_sieve._tcp), RFC 2782 (SRV).
 * Interpretations: SRV records are optional and clients fall back to
 * their own guesses, so a missing record for a service that is offered,
 * a record for one that is not, or another target are warnings; a wrong
 * port (clients that follow it cannot connect) is an error.
 */
import type { SrvData } from 'dns-packet';
import { finding, type DomainCheck, type DomainFacts, type Finding, type HostFacts } from '../types.js';
import { MAX_RRSET_RECORDS } from './limits.js';
import { bare, couldNotCheck, currently, DNS_DELAY } from './lookup.js';

type Service = keyof NonNullable<DomainFacts['services']>;

/** The services of RFC 6186/8314 and RFC 5804, in the order the planner writes them. */
export const SRV_SERVICES: readonly Service[] = ['submissions', 'submission', 'imaps', 'imap', 'pop3s', 'pop3', 'sieve'];

const show = (r: SrvData) => `${r.priority ?? 0} ${r.weight ?? 0} ${r.port} ${bare(r.target) || '.'}`;

/** K01 for one service's records. */
function judge(name: string, service: Service, records: SrvData[], facts: DomainFacts, host: HostFacts): Finding[] {
  const client = bare(facts.clientHost);
  const known = facts.services !== undefined;
  const port = facts.services?.[service];
  const value = port ? `0 1 ${port} ${client}.` : '0 0 0 .';
  const planned = `${name}. SRV ${value}`;
  const seen = records.map(show).join(', ');
  const warn = (title: string, fix: string) => finding('K01', 'warning', name, title, seen, planned, `${fix} ${currently(`"${seen}"`, `"${value}"`)} ${DNS_DELAY}`);
  const off = records.filter((r) => bare(r.target) === '');
  const on = records.filter((r) => bare(r.target) !== '');
  if (on.length === 0) {
    if (port) return [warn(`the SRV record says ${service} is not offered, but Petrel offers it on port ${port}`, 'Clients that read SRV records will not use the service (RFC 6186 3.4).')];
    return [];
  }
  const out: Finding[] = [];
  if (off.length > 0) out.push(warn('"0 0 0 ." (not offered) stands beside other SRV records', 'The "." target must be the only record of the service (RFC 6186 3.4).'));
  if (known && !port) {
    out.push(warn(`the SRV record sends clients to ${service}, which Petrel does not offer`, 'Clients that follow it find no service there.'));
    return out;
  }
  const elsewhere = on.filter((r) => bare(r.target) !== client);
  if (elsewhere.length > 0) {
    const ourHost = elsewhere.every((r) => bare(r.target) === bare(host.hostname));
    out.push(finding('K01', ourHost ? 'info' : 'warning', name, `the SRV record for ${service} names ${bare(elsewhere[0]!.target)}, not the client host ${client}`, seen, planned,
      ourHost
        ? `That is this server, and its host certificate covers the name, but users configure ${client}: point the record there so clients see one name. ${DNS_DELAY}`
        : `Clients check the server's certificate against the name in the SRV record; Petrel's certificate for ${facts.domain} is for ${client}, so it may not match ${bare(elsewhere[0]!.target)}. ${currently(`"${seen}"`, `"${value}"`)} ${DNS_DELAY}`));
  }
  const wrongPort = port ? on.filter((r) => r.port !== port) : [];
  if (wrongPort.length > 0) {
    out.push(finding('K01', 'error', name, `the SRV record for ${service} names port ${wrongPort[0]!.port}, but the service listens on ${port}`, seen, planned,
      `Clients that follow it cannot connect. ${currently(`"${seen}"`, `"${value}"`)} ${DNS_DELAY}`));
  }
  return out;
}

/** K01 for every service. */
export const srvCheck: DomainCheck = async (facts, host, deps) => {
  const out: Finding[] = [];
  for (const service of SRV_SERVICES) {
    const name = `_${service}._tcp.${facts.domain}`;
    const answer = await deps.query(name, 'SRV');
    if (!answer.ok && answer.kind === 'temporary') {
      out.push(couldNotCheck('K01', name, `the ${service} SRV record`, answer.detail));
      continue;
    }
    if (answer.ok) {
      out.push(...judge(name, service, answer.records.slice(0, MAX_RRSET_RECORDS), facts, host));
      continue;
    }
    const port = facts.services?.[service];
    if (port) {
      const planned = `${name}. SRV 0 1 ${port} ${bare(facts.clientHost)}.`;
      out.push(finding('K01', 'warning', name, `no SRV record for ${service}: clients cannot find it by themselves`, answer.detail, planned,
        `Mail clients that configure themselves from SRV records (RFC 6186) do not find ${service} on port ${port}. Publish ${planned} ${DNS_DELAY}`));
    }
  }
  return out;
};
