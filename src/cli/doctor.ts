/*
 * `petrel doctor [DOMAIN...] [--json] [--resolver HOST:PORT] [--name
 * NAME,...] [--user ADDRESS --password-stdin] [--outbound-probe
 * HOST:PORT|off] [--dns-only]`: gathers what
 * this server is (host name, public addresses, the keys it signs and
 * serves with, what each domain publishes, its listeners) from the
 * configuration and the store, then runs every check of doctor/ against
 * the DNS and against its own listeners, and prints the report. Exit
 * status 1 when any error is found.
 *
 * Every lookup goes to --resolver when given, else to [dns] resolvers,
 * else the system's; listeners on a wildcard address are probed on
 * loopback. --name adds names clients use that are not public (an
 * internal or container name), to see what certificate they get.
 *
 * Security: operator command. The test password is read from standard
 * input or the terminal, never from argv; it is only sent to our own
 * listeners over TLS.
 */
import { statfs, readFile } from 'node:fs/promises';
import { freemem, totalmem } from 'node:os';
import { acmeIssuer, publicAddresses } from '../app/addresses.js';
import type { StoreContext } from '../app/context.js';
import { publishedFor } from '../app/published.js';
import { tlsaKeysFor } from '../app/tlsa.js';
import type { Config } from '../config/schema.js';
import { domainToAscii } from '../core/address.js';
import { WireDnsClient } from '../dns/wire-client.js';
import { runDoctor } from '../doctor/index.js';
import type { NetworkDeps, NetworkFacts, ServiceEndpoint } from '../doctor/network/index.js';
import { httpsRequest, openPlain, openTls, portHolder } from '../doctor/probe/sessions.js';
import { exitStatus, reportJson, reportText } from '../doctor/report.js';
import type { DoctorDeps, DomainFacts, HostFacts } from '../doctor/types.js';
import { parseListen } from '../net/listen.js';
import { HttpsPolicyFetcher } from '../sender-auth/mta-sts-fetch.js';
import { OutboundSigner } from '../sender-auth/outbound-signer.js';
import { UsageError, type CommandContext } from './context.js';

const USAGE = 'usage: petrel doctor [DOMAIN...] [--json] [--resolver HOST:PORT] [--name NAME,...] [--user ADDRESS --password-stdin] [--outbound-probe HOST:PORT|off] [--dns-only]';

const ROLES: { role: keyof Config & string; security: ServiceEndpoint['security']; protocol: ServiceEndpoint['protocol'] }[] = [
  { role: 'mx', security: 'starttls', protocol: 'smtp' },
  { role: 'submission', security: 'starttls', protocol: 'smtp' },
  { role: 'submissions', security: 'implicit', protocol: 'smtp' },
  { role: 'lmtp', security: 'plain', protocol: 'lmtp' },
  { role: 'imap', security: 'starttls', protocol: 'imap' },
  { role: 'imaps', security: 'implicit', protocol: 'imap' },
  { role: 'pop3', security: 'starttls', protocol: 'pop3' },
  { role: 'pop3s', security: 'implicit', protocol: 'pop3' },
  { role: 'http', security: 'plain', protocol: 'http' },
  { role: 'https', security: 'implicit', protocol: 'http' },
];

/** A05's default: an MX that answers on port 25 from anywhere that is not blocked. */
const DEFAULT_OUTBOUND_PROBE = 'gmail-smtp-in.l.google.com:25';

const LOOPBACK = /^(127\.|::1$|localhost$)/;

/** Every enabled TCP listener, where the doctor connects to it (a wildcard address becomes loopback). */
function endpointsOf(config: Config): { endpoints: ServiceEndpoint[]; development: boolean } {
  const endpoints: ServiceEndpoint[] = [];
  let allLoopback = true;
  for (const r of ROLES) {
    const section = config[r.role] as { enabled: boolean; listen: string[] };
    if (!section.enabled) continue;
    for (const text of section.listen) {
      const a = parseListen(text);
      if (a.kind !== 'tcp') continue;
      if (r.role !== 'lmtp' && !LOOPBACK.test(a.host)) allLoopback = false;
      const host = a.host === '0.0.0.0' || a.host === '' ? '127.0.0.1' : a.host === '::' ? '::1' : a.host;
      endpoints.push({ role: r.role, host, port: a.port, security: r.security, protocol: r.protocol });
    }
  }
  return { endpoints, development: allLoopback };
}

/** MemAvailable from /proc/meminfo (what can be had without swapping), else Node's free memory. */
async function availableMemory(): Promise<number> {
  const text = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  const kib = /^MemAvailable:\s+(\d+) kB/m.exec(text)?.[1];
  return kib ? Number(kib) * 1024 : freemem();
}

async function domainFacts(stores: StoreContext, config: Config, domain: string): Promise<DomainFacts> {
  const published = publishedFor(config);
  const { host: _host, ...services } = published.services(domain);
  return {
    domain,
    clientHost: published.clientHost(domain),
    // The keys that sign now; pending and retiring ones are checked by petrel dkim status.
    dkim: (await stores.directory.dkimKeys(domain)).filter((k) => k.state === 'active').map((k) => ({ selector: k.selector, algorithm: k.algorithm, publicKey: k.publicKey })),
    mtaSts: published.mtaSts(domain),
    dmarcRua: published.dmarcRua(domain),
    tlsRptRua: published.tlsRptRua(domain),
    services,
  };
}

/** Where A05 connects: the smarthost when there is one, else --outbound-probe (default: a large provider's MX); "off" or outbound off: not at all. */
function outboundProbe(config: Config, option: string | boolean | undefined): NetworkFacts['outboundProbe'] {
  const relay = config.outbound.relay;
  if (!config.outbound.enabled || option === 'off') return undefined;
  if (relay.host) return { host: relay.host, port: relay.port, smarthost: true, implicitTls: relay.security === 'tls' };
  const text = typeof option === 'string' ? option : DEFAULT_OUTBOUND_PROBE;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(text);
  if (!m) throw new UsageError(`--outbound-probe needs HOST:PORT or off\n${USAGE}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), smarthost: false };
}

async function delivers(stores: StoreContext, local: string, domain: string): Promise<boolean> {
  const r = await stores.directory.resolve({ local, domain });
  return r.kind === 'deliver' && r.targets.length > 0;
}

export async function doctor(ctx: CommandContext): Promise<number> {
  const o = ctx.options;
  const resolver = typeof o.resolver === 'string' ? o.resolver : undefined;
  if (o.resolver === true || (resolver !== undefined && !/^(\[[0-9a-fA-F:.]+\]|[0-9.]+)(:\d{1,5})?$/.test(resolver))) throw new UsageError(`--resolver needs an address with an optional port, such as 127.0.0.1:53\n${USAGE}`);
  const user = typeof o.user === 'string' ? o.user : undefined;
  if (o['password-stdin'] && !user) throw new UsageError(`--password-stdin needs --user ADDRESS\n${USAGE}`);
  const password = user ? await ctx.io.readPassword(o['password-stdin'] === true) : undefined;
  const extraNames = typeof o.name === 'string' ? o.name.split(',').map((n) => n.trim().toLowerCase()).filter(Boolean) : [];

  return ctx.withStores(async (stores, { config }) => {
    const hosted = await stores.directory.hostedNames();
    const domains = ctx.args.length > 0 ? ctx.args.map((name) => {
      const ascii = domainToAscii(name);
      if (!ascii || !hosted.includes(ascii)) throw new UsageError(`${name} is not a hosted domain (petrel domain list)`);
      return ascii;
    }) : hosted;

    const { ipv4, ipv6 } = publicAddresses(config);
    const host: HostFacts = {
      hostname: config.hostname.toLowerCase(),
      heloName: (config.outbound.helo_name || config.hostname).toLowerCase(),
      ipv4,
      ipv6,
      tlsaKeys: await tlsaKeysFor(config, stores.paths, hosted),
      acmeCa: acmeIssuer(config),
    };
    const facts = await Promise.all(domains.map((d) => domainFacts(stores, config, d)));

    const dns = new WireDnsClient({ servers: resolver ? [resolver] : config.dns.resolvers, timeoutMs: config.dns.timeout, tries: config.dns.tries });
    const { endpoints, development } = endpointsOf(config);
    const https = endpoints.find((e) => e.role === 'https');
    // Senders fetch the policy from port 443; in development the HTTPS listener's own port stands in.
    const policyPort = development && https ? https.port : 443;
    const deps: DoctorDeps = {
      dns,
      query: (name, type) => dns.query(name, type),
      now: Date.now,
      mtaStsFetcher: new HttpsPolicyFetcher({ dns, port: policyPort }),
    };

    let network: { facts: NetworkFacts; deps: NetworkDeps } | undefined;
    if (o['dns-only'] !== true) {
      const disk = await statfs(stores.paths.root);
      const roleAddresses: NetworkFacts['roleAddresses'] = {};
      for (const d of domains) roleAddresses[d] = { postmaster: await delivers(stores, 'postmaster', d), abuse: await delivers(stores, 'abuse', d) };
      const signer = new OutboundSigner(async (domain) =>
        (await stores.directory.dkimKeys(domain)).filter((k) => k.state === 'active').map((k) => ({ domain: k.domain, selector: k.selector, algorithm: k.algorithm, privateKey: k.privateKey })),
      );
      network = {
        facts: {
          endpoints,
          development,
          extraNames,
          credentials: user && password !== undefined ? { user, pass: password } : undefined,
          disk: { freeBytes: disk.bavail * disk.bsize, totalBytes: disk.blocks * disk.bsize },
          memory: { freeBytes: await availableMemory(), totalBytes: totalmem() },
          roleAddresses,
          outboundProbe: outboundProbe(config, o['outbound-probe']),
          peers: {
            resolvers: resolver ? [resolver] : config.dns.resolvers,
            routes: config.outbound.enabled ? config.outbound.route.filter((r) => r.host && !r.mx).map((r) => ({ domain: r.domain, host: r.host!, port: r.port })) : [],
          },
        },
        deps: {
          ...deps,
          openTls,
          openPlain,
          portHolder,
          https: httpsRequest,
          askResolver: async (server, name) => {
            const answer = await new WireDnsClient({ servers: [server], timeoutMs: config.dns.timeout, tries: 1 }).query(name, 'A');
            // An error RCODE is an answer (the resolver is there; the DNS checks judge the zone); silence or a socket error is not.
            const silent = !answer.ok && answer.kind === 'temporary' && /no answer within|\bE[A-Z]{4,} (from|sending to|connecting to)|\(TCP /.test(answer.detail);
            return silent ? answer.detail : undefined;
          },
          signProbe: async (domain) => {
            const probe = Buffer.from(
              `From: postmaster@${domain}\r\nTo: postmaster@${domain}\r\nSubject: petrel doctor DKIM probe\r\nDate: ${new Date().toUTCString().replace('GMT', '+0000')}\r\n` +
                `Message-ID: <doctor.${Date.now()}@${domain}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThis message is never sent.\r\n`,
            );
            const signed = await signer.sign(probe);
            return signed.selectors.length > 0 ? signed.bytes : undefined;
          },
        },
      };
    }

    const sections = await runDoctor({ host, domains: facts, deps, dns: { allowPrivate: development }, network });
    if (o.json) ctx.io.out(reportJson(sections));
    else ctx.io.out(reportText(sections));
    return exitStatus(sections);
  });
}
