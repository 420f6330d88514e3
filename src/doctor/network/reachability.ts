/*
 * Reachability (doctor.md A02 to A05): the MX answers on each public
 * address the host publishes, IPv4 (A02) and IPv6 (A03); the servers this
 * one depends on answer it (A04: each configured DNS resolver, each
 * [[outbound.route]] host); and this host can open SMTP connections to the
 * Internet on port 25 (A05; many cloud and residential networks block it,
 * and then nothing leaves).
 *
 * A02/A03 connect from this host: a failure proves the MX is not listening
 * on that address (or a local firewall drops it); a success proves the
 * listener, not a firewall in front of the host, so the note says how to
 * check from outside. A05 connects to the probe host given (a large
 * provider's MX in production, a loopback peer in tests) and reads its
 * banner; with a smarthost, the smarthost is what must be reachable.
 *
 * Exports: reachabilityChecks.
 * Security: A04 and A05 open one TCP connection to each host and send QUIT
 * after the banner; nothing else is sent. A resolver is asked one
 * question, about our own host name.
 * Standards: RFC 5321 section 3.1 (the 220 greeting).
 */
import { isIP } from 'node:net';
import { nonPublicRange } from '../dns/addresses.js';
import { finding, type Finding } from '../types.js';
import type { NetworkCheck, NetworkDeps, NetworkFacts, ServiceEndpoint } from './types.js';

/** A host name's first address, through the doctor's resolver (so --resolver holds for these connections too). */
async function addressOf(deps: NetworkDeps, host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  for (const answer of [await deps.dns.a(host), await deps.dns.aaaa(host)]) {
    if (answer.ok && answer.records.length > 0) return answer.records[0]!;
  }
  throw new Error(`${host} has no address in the DNS`);
}

async function banner(deps: NetworkDeps, target: ServiceEndpoint): Promise<void> {
  const e = { ...target, host: await addressOf(deps, target.host) };
  if (e.security === 'implicit') {
    // A smarthost on 465: the session opened (TLS, greeting, EHLO) is the proof.
    (await deps.openTls(e, { servername: target.host })).client.close();
    return;
  }
  const { client, greeting } = await deps.openPlain(e);
  client.send('QUIT');
  client.close();
  const first = greeting.split('\r\n')[0] ?? '';
  if (!first.startsWith('220')) throw new Error(`the greeting was "${first}"`);
}

/** A04: each resolver answers a question about our own host name, each route host greets. */
async function peerChecks(hostname: string, net: NetworkFacts, deps: NetworkDeps): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const server of net.peers?.resolvers ?? []) {
    const failed = await deps.askResolver(server, hostname);
    if (failed) {
      out.push(finding('A04', 'error', `resolver ${server}`, 'a configured DNS resolver does not answer', failed, `an answer from ${server}`,
        `Every lookup (MX routing, SPF, DKIM, DANE) tries it first and waits. Start the resolver, open the path to it (for Docker: iptables -I DOCKER-USER 1 -d <its address> -p udp --dport 53 -j ACCEPT, and tcp too), or remove it from [dns] resolvers.`));
    }
  }
  for (const route of net.peers?.routes ?? []) {
    try {
      await banner(deps, { role: 'route', host: route.host, port: route.port, security: 'plain', protocol: 'smtp' });
    } catch (err) {
      out.push(finding('A04', 'error', `route ${route.domain}`, `the route's next hop ${route.host}:${route.port} does not answer`, err instanceof Error ? err.message : String(err), 'a 220 greeting',
        `Mail for ${route.domain} waits in the queue until it does. Check that ${route.host} runs and that the firewall lets this host reach port ${route.port} (for Docker, one user network for both containers, or iptables -I DOCKER-USER 1 -s <subnet> -d <gateway> -j ACCEPT).`));
    }
  }
  return out;
}

export const reachabilityChecks: NetworkCheck = async (host, _domains, net, deps) => {
  const out: Finding[] = [];
  const mx = net.endpoints.find((e) => e.role === 'mx');
  if (mx) {
    for (const [id, family, ips] of [['A02', 'IPv4', host.ipv4], ['A03', 'IPv6', host.ipv6]] as const) {
      for (const ip of ips) {
        if (nonPublicRange(ip) && !net.development) continue;
        try {
          await banner(deps, { ...mx, host: ip });
        } catch (err) {
          out.push(finding(id, 'error', `ip ${ip}`, `the MX does not answer on the public ${family} address`, `${ip}:${mx.port}: ${err instanceof Error ? err.message : String(err)}`, `a 220 greeting on ${ip}:${mx.port}`,
            `Senders connect to this address (it is in the A${family === 'IPv6' ? 'AAAA' : ''} records). Listen on it ([mx] listen = ["0.0.0.0:25", "[::]:25"]) and open port ${mx.port} in the host firewall; then check from another network (for example: nc -v ${ip} ${mx.port}).`));
        }
      }
    }
  }
  out.push(...(await peerChecks(host.hostname, net, deps)));
  const probe = net.outboundProbe;
  if (probe) {
    const target: ServiceEndpoint = { role: 'outbound', host: probe.host, port: probe.port, security: probe.implicitTls ? 'implicit' : 'plain', protocol: 'smtp' };
    try {
      await banner(deps, target);
    } catch (err) {
      out.push(finding('A05', 'error', `outbound port ${probe.port}`, probe.smarthost ? 'the smarthost cannot be reached' : `outgoing connections to port ${probe.port} are blocked`, `${probe.host}:${probe.port}: ${err instanceof Error ? err.message : String(err)}`, 'a 220 greeting',
        probe.smarthost
          ? 'Check [outbound] relay host and port, and the firewall between this host and the smarthost.'
          : 'Mail to other domains cannot leave. Ask the provider to open outgoing port 25, or send through a smarthost ([outbound] relay host, port 587 with a login).'));
    }
  }
  return out;
};
