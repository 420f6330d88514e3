/*
 * Fake network edges for the doctor's network checks in unit tests: each
 * endpoint answers from a script (greeting, replies to commands in order,
 * the TLS session it negotiates), and every command sent is recorded. The
 * listeners are outside the checks under test; end-to-end tests probe a
 * real `petrel serve`.
 *
 *   const net = fakeNetwork({ 587: { greeting: '220 mx ESMTP\r\n250-mx\r\n250 STARTTLS', tls: view } });
 *
 * Exports: fakeNetwork, FakeEndpoint, tlsViewOf, facts.
 * Security: test only.
 */
import { X509Certificate } from 'node:crypto';
import { fakeDns, type FakeZone } from '../../dns/fake-client.js';
import type { LineClient, TlsView } from '../probe/line-client.js';
import type { HttpAnswer, NetworkDeps, NetworkFacts, ServiceEndpoint, TlsProbeOptions } from './types.js';

export interface FakeEndpoint {
  /** The plain greeting (banner and EHLO/CAPABILITY/CAPA), or an Error: nothing listens. */
  greeting?: string | Error;
  /** Replies to the commands sent after the greeting, matched by the command's first word. */
  replies?: Record<string, string>;
  /** The TLS session by SNI name ('*' for any), or an Error: the handshake fails. */
  tls?: Record<string, TlsView | Error>;
  /** Sessions with these options succeed (old versions, weak ciphers); by default they fail. */
  acceptsWeak?: boolean;
  /** HTTPS answers by "name path". */
  http?: Record<string, HttpAnswer>;
}

/** A TlsView of a PEM chain, verified or not. */
export function tlsViewOf(chainPem: string, verdict: { authorized: boolean; error?: string }, protocol = 'TLSv1.3'): TlsView {
  const chain = (chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));
  return { protocol, cipher: 'TLS_AES_256_GCM_SHA384', authorized: verdict.authorized, authorizationError: verdict.error ?? null, chain, alpn: false };
}

/** A client that answers commands from the endpoint's replies. */
function scriptedClient(script: FakeEndpoint, sent: string[]): LineClient {
  let last = '';
  return {
    send(line: string) {
      sent.push(line);
      const words = line.split(' ');
      // An IMAP command's first word is its tag.
      last = (/^[a-z]\d+$/.test(words[0]!) ? words[1]! : words[0]!).toUpperCase();
    },
    async read() {
      return script.replies?.[last] ?? '502 5.5.1 not scripted';
    },
    close() {},
  } as unknown as LineClient;
}

/** resolvers: what askResolver answers per server (absent: it answered). */
export function fakeNetwork(endpoints: Record<number, FakeEndpoint>, zone: FakeZone = {}, holders: Record<number, string> = {}, resolvers: Record<string, string> = {}): NetworkDeps & { sent: string[] } {
  const dns = fakeDns(zone);
  const sent: string[] = [];
  const script = (e: ServiceEndpoint) => endpoints[e.port] ?? { greeting: new Error('connect ECONNREFUSED') };
  return {
    dns,
    query: dns.query,
    now: () => Date.parse('2026-12-03T10:00:00Z'),
    sent,
    async openPlain(e) {
      const s = script(e);
      if (s.greeting instanceof Error) throw s.greeting;
      return { client: scriptedClient(s, sent), greeting: s.greeting ?? '' };
    },
    async openTls(e, o: TlsProbeOptions) {
      const s = script(e);
      if (s.greeting instanceof Error) throw s.greeting;
      if ((o.maxVersion === 'TLSv1.1' || o.ciphers) && !s.acceptsWeak) throw new Error('handshake failure');
      const view = s.tls?.[o.servername] ?? s.tls?.['*'];
      if (!view) throw new Error('no TLS scripted');
      if (view instanceof Error) throw view;
      return { client: scriptedClient(s, sent), tls: view, before: typeof s.greeting === 'string' ? s.greeting : '' };
    },
    async portHolder(port) {
      return holders[port];
    },
    async https(e, r) {
      const answer = script(e).http?.[`${r.name} ${r.path.split('?')[0]}`];
      if (!answer) throw new Error('connect ECONNREFUSED');
      return answer;
    },
    async askResolver(server) {
      return resolvers[server];
    },
    async signProbe() {
      return undefined;
    },
  };
}

/** Network facts with room on disk and in memory and the given endpoints. */
export function facts(endpoints: ServiceEndpoint[], more: Partial<NetworkFacts> = {}): NetworkFacts {
  return {
    endpoints,
    development: false,
    extraNames: [],
    disk: { freeBytes: 50 * 1024 ** 3, totalBytes: 100 * 1024 ** 3 },
    memory: { freeBytes: 4 * 1024 ** 3, totalBytes: 8 * 1024 ** 3 },
    roleAddresses: {},
    ...more,
  };
}
