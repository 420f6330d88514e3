/*
 * Client autoconfiguration served over HTTPS (doctor.md K02): Thunderbird's
 * https://autoconfig.<domain>/mail/config-v1.1.xml and Outlook's POST to
 * https://autodiscover.<domain>/autodiscover/autodiscover.xml answer 200
 * with XML that a client reads as pointing at the domain's client host on
 * the ports that are open. The certificate these names get is judged by
 * the TLS checks (I04); here only the documents.
 *
 * Exports: autoconfigChecks, readThunderbird, readAutodiscover.
 * Security: the answers come from the server's own listener; bodies are
 * bounded by the probe and read with anchored, non-backtracking patterns.
 * Standards: Mozilla's clientConfig 1.1; Microsoft's Autodiscover POX
 * (outlook/responseschema/2006a).
 */
import { finding, type DomainFacts, type Finding } from '../types.js';
import type { HttpAnswer, NetworkCheck, NetworkDeps, ServiceEndpoint } from './types.js';

export interface ServerEntry {
  type: string;
  host: string;
  port: number;
}

const between = (text: string, tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`, 'i').exec(text)?.[1]?.trim() ?? '';

/** The incoming and outgoing servers of a clientConfig document, or a reason it is not one. */
export function readThunderbird(xml: string, domain: string): ServerEntry[] | string {
  if (!/<clientConfig\b[^>]*\bversion="1\.1"/.test(xml)) return 'no <clientConfig version="1.1"> element';
  const provider = /<emailProvider\b[^>]*\bid="([^"]*)"/.exec(xml)?.[1];
  if (!provider) return 'no <emailProvider id="..."> element';
  if (!new RegExp(`<domain>${domain.replace(/\./g, '\\.')}</domain>`, 'i').test(xml)) return `the document does not list <domain>${domain}</domain>`;
  const servers: ServerEntry[] = [];
  for (const m of xml.matchAll(/<(incoming|outgoing)Server\b[^>]*\btype="([^"]+)"[^>]*>([\s\S]*?)<\/\1Server>/g)) {
    servers.push({ type: m[2]!.toLowerCase(), host: between(m[3]!, 'hostname'), port: Number(between(m[3]!, 'port')) });
  }
  return servers.length > 0 ? servers : 'no incomingServer or outgoingServer';
}

/** The protocols of an Autodiscover POX response, or a reason it is not one. */
export function readAutodiscover(xml: string): ServerEntry[] | string {
  if (!/<Autodiscover\b[^>]*xmlns="http:\/\/schemas\.microsoft\.com\/exchange\/autodiscover\/responseschema\/2006"/.test(xml)) return 'no Autodiscover response element (responseschema/2006)';
  if (!/<Response\b[^>]*xmlns="http:\/\/schemas\.microsoft\.com\/exchange\/autodiscover\/outlook\/responseschema\/2006a"/.test(xml)) return 'no Outlook response (outlook/responseschema/2006a)';
  const servers: ServerEntry[] = [];
  for (const m of xml.matchAll(/<Protocol>([\s\S]*?)<\/Protocol>/g)) {
    servers.push({ type: between(m[1]!, 'Type').toLowerCase(), host: between(m[1]!, 'Server'), port: Number(between(m[1]!, 'Port')) });
  }
  return servers.length > 0 ? servers : 'no <Protocol> entries';
}

/** What the document should say: each service on, at the client host and its port. */
function compare(d: DomainFacts, where: string, servers: ServerEntry[], kinds: Record<string, (number | undefined)[]>): Finding[] {
  const out: Finding[] = [];
  const wrongHost = servers.filter((s) => s.host.toLowerCase() !== d.clientHost);
  if (wrongHost.length > 0) {
    out.push(finding('K02', 'error', where, `the configuration sends clients to ${wrongHost[0]!.host}`, `${wrongHost[0]!.type} at ${wrongHost[0]!.host}:${wrongHost[0]!.port}`, `${d.clientHost}, the name in the certificate`, 'Clients would connect to a host whose certificate may not match. Set [domains] client_host, or serve this document from Petrel.'));
  }
  const services = d.services;
  if (services) {
    for (const s of servers) {
      const ports = (kinds[s.type] ?? []).filter((p): p is number => p !== undefined);
      if (ports.length > 0 && !ports.includes(s.port)) {
        out.push(finding('K02', 'error', where, `the configuration names port ${s.port} for ${s.type}, which is not open`, `${s.type} ${s.host}:${s.port}`, `port ${ports.join(' or ')}`, 'Clients would fail to connect. Serve the document from Petrel, which lists the ports its listeners use.'));
      }
    }
  }
  return out;
}

async function ask(deps: NetworkDeps, e: ServiceEndpoint, where: string, request: Parameters<NetworkDeps['https']>[1]): Promise<HttpAnswer | Finding> {
  try {
    const answer = await deps.https(e, request);
    if (answer.status !== 200) return finding('K02', 'error', where, `autoconfiguration answers HTTP ${answer.status}`, `HTTP ${answer.status}`, 'HTTP 200 with the XML document', `Point ${request.name} at Petrel's HTTPS listener (a CNAME or A record to the mail host).`);
    if (!/xml/i.test(answer.contentType)) return finding('K02', 'warning', where, 'autoconfiguration is not served as XML', answer.contentType || 'no Content-Type', 'text/xml or application/xml', `Something other than Petrel answers ${request.name}.`);
    return answer;
  } catch (err) {
    return finding('K02', 'error', where, 'autoconfiguration cannot be fetched', err instanceof Error ? err.message : String(err), 'an HTTPS answer', 'Check that the HTTPS listener runs (A01) and that the name reaches it.');
  }
}

export const autoconfigChecks: NetworkCheck = async (_host, domains, net, deps) => {
  const e = net.endpoints.find((x) => x.role === 'https');
  if (!e) return [];
  const out: Finding[] = [];
  for (const d of domains) {
    const s = d.services ?? {};
    const tbWhere = `https://autoconfig.${d.domain}/mail/config-v1.1.xml`;
    const tb = await ask(deps, e, tbWhere, { name: `autoconfig.${d.domain}`, path: '/mail/config-v1.1.xml?emailaddress=' + encodeURIComponent(`postmaster@${d.domain}`) });
    if ('id' in tb) out.push(tb);
    else {
      const servers = readThunderbird(tb.body, d.domain);
      if (typeof servers === 'string') out.push(finding('K02', 'error', tbWhere, 'Thunderbird cannot read this autoconfiguration', servers, 'a clientConfig 1.1 document', 'Serve the document from Petrel (its HTTPS listener answers this path).'));
      else out.push(...compare(d, tbWhere, servers, { imap: [s.imaps, s.imap], pop3: [s.pop3s, s.pop3], smtp: [s.submissions, s.submission] }));
    }
    const adWhere = `https://autodiscover.${d.domain}/autodiscover/autodiscover.xml`;
    const body = `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>postmaster@${d.domain}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`;
    const ad = await ask(deps, e, adWhere, { name: `autodiscover.${d.domain}`, path: '/autodiscover/autodiscover.xml', method: 'POST', body });
    if ('id' in ad) out.push(ad);
    else {
      const servers = readAutodiscover(ad.body);
      if (typeof servers === 'string') out.push(finding('K02', 'error', adWhere, 'Outlook cannot read this autodiscover answer', servers, 'an Autodiscover POX response', 'Serve the document from Petrel (its HTTPS listener answers this path).'));
      else out.push(...compare(d, adWhere, servers, { imap: [s.imaps, s.imap], pop3: [s.pop3s, s.pop3], smtp: [s.submissions, s.submission] }));
    }
  }
  return out;
};
