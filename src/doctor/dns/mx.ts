/*
 * The MX checks of the doctor (doctor.md group C): the domain's MX points
 * at this mail host (C01), each target is not an alias (C02), is a name
 * with addresses rather than an IP address (C03), and those addresses are
 * public (C04); no host is listed twice (C05); a null MX is not used for a
 * domain that receives mail, nor beside other MX records (C06).
 *
 * An MX that is a CNAME for our host, or one of our addresses written as
 * a name, is reported once (C02, C03), and not again as "points
 * elsewhere" (C01): the fix is the same name change.
 * Private addresses are an error unless the caller allows them
 * (`allowPrivate`, for development and test zones on loopback), then a
 * note.
 *
 * Exports: mxCheck, MxCheckOptions.
 * Security: the records come from the zone; MX records (MAX_MX_RECORDS)
 * and addresses per host (MAX_HOST_ADDRESSES) are bounded.
 * Standards: RFC 5321 section 5.1 (MX targets are host names with
 * address records), RFC 2181 section 10.3 (an MX target must not be an
 * alias), RFC 7505 section 3 (a null MX is the only MX of a domain that
 * receives no mail), RFC 6890 (special-purpose addresses).
 */
import { isIP } from 'node:net';
import type { MxRecord } from '../../dns/client.js';
import { finding, type DomainCheck, type DoctorDeps, type Finding } from '../types.js';
import { nonPublicRange } from './addresses.js';
import { MAX_HOST_ADDRESSES, MAX_MX_RECORDS } from './limits.js';
import { bare, couldNotCheck, currently, DNS_DELAY } from './lookup.js';

export interface MxCheckOptions {
  /** Private, loopback and other non-public addresses are only noted (development, test zones on loopback). */
  allowPrivate?: boolean;
}

const mxLine = (domain: string, host: string) => `${domain}. MX 10 ${host}.`;

/** What one MX target is: its CNAME target when it is an alias, and the findings about it. */
interface Target {
  host: string;
  aliasOf?: string;
  findings: Finding[];
}

async function checkTarget(host: string, ours: string, deps: DoctorDeps, options: MxCheckOptions): Promise<Target> {
  const findings: Finding[] = [];
  if (isIP(host) !== 0 || /^\[.*\]$/.test(host)) {
    findings.push(finding('C03', 'error', host, 'the MX target is an IP address, not a host name', host, `a host name with A/AAAA records, such as ${ours}`,
      `MX records name hosts, never addresses (RFC 5321 5.1); many senders refuse them. ${currently(host, ours)} ${DNS_DELAY}`));
    return { host, findings };
  }
  let aliasOf: string | undefined;
  const cname = await deps.query(host, 'CNAME');
  if (cname.ok && cname.records.length > 0) {
    aliasOf = bare(String(cname.records[0]));
    findings.push(finding('C02', 'error', host, 'the MX target is a CNAME', `${host} is an alias for ${aliasOf}`, `the host's own name, ${aliasOf === ours ? ours : aliasOf}`,
      `An MX must name the host itself, not an alias (RFC 2181 10.3); some senders refuse to deliver. ${currently(host, aliasOf)} ${DNS_DELAY}`));
  } else if (!cname.ok && cname.kind === 'temporary') {
    findings.push(couldNotCheck('C02', host, 'whether the MX target is a CNAME', cname.detail));
  }
  const [v4, v6] = await Promise.all([deps.dns.a(host), deps.dns.aaaa(host)]);
  const addresses = [...(v4.ok ? v4.records : []), ...(v6.ok ? v6.records : [])].slice(0, MAX_HOST_ADDRESSES);
  if (addresses.length === 0) {
    const trouble = [v4, v6].find((a) => !a.ok && a.kind === 'temporary');
    if (trouble && !trouble.ok) findings.push(couldNotCheck('C03', host, 'the MX host\'s addresses', trouble.detail));
    else {
      const gone = !v4.ok && v4.kind === 'nxdomain';
      findings.push(finding('C03', 'error', host, gone ? 'the MX host does not exist in the DNS' : 'the MX host has no A or AAAA record', gone ? `${host}: NXDOMAIN` : `${host}: no A, no AAAA`, `A (and AAAA) records for ${host}`,
        `Senders cannot connect to a host without addresses. Publish ${host}'s A record (and AAAA for IPv6), or point the MX at ${ours}. ${DNS_DELAY}`));
    }
  }
  const privateOnes = addresses.map((ip) => ({ ip, range: nonPublicRange(ip) })).filter((a) => a.range !== undefined);
  if (privateOnes.length > 0) {
    const seen = privateOnes.map((a) => `${a.ip} (${a.range})`).join(', ');
    if (options.allowPrivate) {
      findings.push(finding('C04', 'info', host, 'the MX host has non-public addresses (allowed here)', seen, 'public addresses in production', 'Fine for development and tests; in production the MX host needs addresses the Internet can reach.'));
    } else {
      findings.push(finding('C04', 'error', host, 'the MX host resolves to addresses the Internet cannot reach', seen, 'public IPv4/IPv6 addresses of this server',
        `Senders cannot reach private, loopback or container addresses. Publish the server's public address in ${host}'s A/AAAA records (the address a container or NAT maps port 25 to). ${DNS_DELAY}`));
    }
  }
  return { host, aliasOf, findings };
}

/** C06 for a domain with a null MX; undefined when it has none. */
function nullMx(domain: string, ours: string, records: MxRecord[]): Finding | undefined {
  const nulls = records.filter((r) => bare(r.exchange) === '');
  if (nulls.length === 0) return undefined;
  const seen = records.map((r) => `${r.priority} ${r.exchange === '' ? '.' : r.exchange}`).join(', ');
  if (nulls.length < records.length) {
    return finding('C06', 'error', domain, 'a null MX is published beside other MX records', seen, `only ${mxLine(domain, ours)}`,
      `"0 ." says the domain receives no mail and must be its only MX (RFC 7505 3); senders may bounce mail. Remove the "MX 0 ." record. ${DNS_DELAY}`);
  }
  return finding('C06', 'error', domain, 'the domain publishes a null MX: it says it receives no mail', seen, mxLine(domain, ours),
    `Senders bounce mail to a domain with a null MX (RFC 7505). ${currently('"MX 0 ."', `"MX 10 ${ours}."`)} ${DNS_DELAY}`);
}

/** The C checks; `allowPrivate` turns C04's error into a note. */
export function mxCheck(options: MxCheckOptions = {}): DomainCheck {
  return async (facts, host, deps) => {
    const domain = facts.domain;
    const ours = bare(host.hostname);
    const answer = await deps.dns.mx(domain);
    if (!answer.ok) {
      if (answer.kind === 'temporary') return [couldNotCheck('C01', domain, 'the MX records', answer.detail)];
      return [finding('C01', 'error', domain, answer.kind === 'nxdomain' ? 'the domain does not exist in the DNS' : 'the domain has no MX record', answer.detail, mxLine(domain, ours),
        `Without an MX record mail for ${domain} does not reach this server. Publish ${mxLine(domain, ours)} ${DNS_DELAY}`)];
    }
    const records = answer.records.slice(0, MAX_MX_RECORDS);
    const nulled = nullMx(domain, ours, records);
    if (nulled && records.every((r) => bare(r.exchange) === '')) return [nulled];
    const out: Finding[] = nulled ? [nulled] : [];
    const real = records.filter((r) => bare(r.exchange) !== '');
    const names = real.map((r) => bare(r.exchange));
    const duplicates = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
    const targets: Target[] = [];
    for (const name of [...new Set(names)]) targets.push(await checkTarget(name, ours, deps, options));
    // An alias of our host (C02) or one of our addresses written as a name (C03) is ours, reported once by its own check.
    const ourIps = new Set([...host.ipv4, ...host.ipv6]);
    const isOurs = (t: Target) => t.host === ours || t.aliasOf === ours || ourIps.has(t.host.replace(/^\[|\]$/g, ''));
    const seen = real.map((r) => `${r.priority} ${bare(r.exchange)}`).join(', ');
    if (!targets.some(isOurs)) {
      out.push(finding('C01', 'error', domain, 'the MX does not point at this mail host', seen, mxLine(domain, ours),
        `Mail for ${domain} goes to another server. ${currently(`"MX ${seen}"`, `"MX 10 ${ours}."`)} ${DNS_DELAY}`));
    } else {
      const others = targets.filter((t) => !isOurs(t)).map((t) => t.host);
      if (others.length > 0) {
        out.push(finding('C01', 'info', domain, 'other hosts are listed as MX besides this one', seen, `${ours} (other MX hosts only if they forward to it)`,
          `Senders may deliver to ${others.join(', ')}: make sure they forward to ${ours} (a backup MX or a filtering service), or remove them. ${DNS_DELAY}`));
      }
    }
    if (duplicates.length > 0) {
      out.push(finding('C05', 'warning', domain, 'an MX host is listed more than once', seen, 'each host once',
        `Remove the duplicate MX records for ${duplicates.join(', ')}, keeping one per host. ${DNS_DELAY}`));
    }
    for (const t of targets) out.push(...t.findings);
    return out;
  };
}
