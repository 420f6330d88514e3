/*
 * `petrel doctor`'s runner: every check, for the host and for each hosted
 * domain, in report order, each one fenced so that a check that throws (a
 * bug, or an edge that failed in a way the check did not expect) becomes a
 * finding that says so instead of ending the run. DNS checks of one domain
 * run side by side (they wait on the resolver); network checks run one
 * after another (they open sessions to our own listeners and must not
 * trip its per-IP limits).
 *
 * Exports: runDoctor, DoctorRun, DoctorSection, summarise.
 * Security: none beyond the checks'.
 */
import { dnsDomainChecks, dnsHostChecks, type DnsCheckOptions } from './dns/index.js';
import { listenerChecks, networkChecks, type NetworkDeps, type NetworkFacts } from './network/index.js';
import { finding, type DomainFacts, type Finding, type HostFacts, type DoctorDeps } from './types.js';

export interface DoctorSection {
  /** "host mx.example.net", or a domain. */
  scope: string;
  findings: Finding[];
}

export interface DoctorRun {
  host: HostFacts;
  domains: readonly DomainFacts[];
  deps: DoctorDeps;
  dns?: DnsCheckOptions;
  /** With the network facts and edges, the listeners are probed too; without, DNS only. */
  network?: { facts: NetworkFacts; deps: NetworkDeps };
}

async function fenced(what: string, run: () => Promise<Finding[]>): Promise<Finding[]> {
  try {
    return await run();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return [finding('A00', 'warning', what, 'a check could not be completed', why, 'the check to run to its end', 'Run petrel doctor again; if this repeats, report it with the message above.')];
  }
}

/** The names a finding's subject is about: "mail.example.com on port 587 (submission)", "https://autoconfig.example.com/...". */
const subjectName = (subject: string) => subject.replace(/^https:\/\//, '').split(/[\s/:]/)[0]!.toLowerCase();

/** Findings about a domain's names go to its section (the longest domain that matches); the host's own name and the rest to the host's. */
function sectionFor(sections: DoctorSection[], host: HostFacts, f: Finding): DoctorSection {
  const name = subjectName(f.subject);
  if (name === host.hostname) return sections[0]!;
  let best: DoctorSection | undefined;
  for (const s of sections.slice(1)) {
    if ((name === s.scope || name.endsWith(`.${s.scope}`)) && s.scope.length > (best?.scope.length ?? 0)) best = s;
  }
  return best ?? sections[0]!;
}

export async function runDoctor(run: DoctorRun): Promise<DoctorSection[]> {
  const { host, domains, deps } = run;
  const hostFindings = (await Promise.all(dnsHostChecks(run.dns).map((c) => fenced(host.hostname, () => c(host, deps))))).flat();
  const sections: DoctorSection[] = [{ scope: `host ${host.hostname}`, findings: hostFindings }];
  for (const d of domains) {
    const findings = (await Promise.all(dnsDomainChecks(run.dns).map((c) => fenced(d.domain, () => c(d, host, deps))))).flat();
    sections.push({ scope: d.domain, findings });
  }
  if (run.network) {
    const { deps: net } = run.network;
    const listeners = await listenerChecks(host, domains, run.network.facts, net);
    for (const f of listeners.findings) sectionFor(sections, host, f).findings.push(f);
    const facts = { ...run.network.facts, endpoints: listeners.up };
    for (const check of networkChecks) {
      for (const f of await fenced(host.hostname, () => check(host, domains, facts, net))) sectionFor(sections, host, f).findings.push(f);
    }
  }
  return sections;
}

/** How many findings of each severity. */
export function summarise(sections: readonly DoctorSection[]): Record<'error' | 'warning' | 'info', number> {
  const count = { error: 0, warning: 0, info: 0 };
  for (const s of sections) for (const f of s.findings) count[f.severity]++;
  return count;
}
