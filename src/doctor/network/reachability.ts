/*
 * Reachability (doctor.md A02, A03, A05): the MX answers on each public
 * address the host publishes, IPv4 (A02) and IPv6 (A03), and this host can
 * open SMTP connections to the Internet on port 25 (A05; many cloud and
 * residential networks block it, and then nothing leaves).
 *
 * A02/A03 connect from this host: a failure proves the MX is not listening
 * on that address (or a local firewall drops it); a success proves the
 * listener, not a firewall in front of the host, so the note says how to
 * check from outside. A05 connects to the probe host given (a large
 * provider's MX in production, a loopback peer in tests) and reads its
 * banner; with a smarthost, the smarthost is what must be reachable.
 *
 * Exports: reachabilityChecks.
 * Security: A05 opens one TCP connection to the probe host and sends QUIT
 * after the banner; nothing else is sent.
 * Standards: RFC 5321 section 3.1 (the 220 greeting).
 */
import { nonPublicRange } from '../dns/addresses.js';
import { finding, type Finding } from '../types.js';
import type { NetworkCheck, NetworkDeps, ServiceEndpoint } from './types.js';

async function banner(deps: NetworkDeps, e: ServiceEndpoint): Promise<void> {
  if (e.security === 'implicit') {
    // A smarthost on 465: the session opened (TLS, greeting, EHLO) is the proof.
    (await deps.openTls(e, { servername: e.host })).client.close();
    return;
  }
  const { client, greeting } = await deps.openPlain(e);
  client.send('QUIT');
  client.close();
  const first = greeting.split('\r\n')[0] ?? '';
  if (!first.startsWith('220')) throw new Error(`the greeting was "${first}"`);
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
