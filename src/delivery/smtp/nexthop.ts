/*
 * Where mail for a recipient domain goes next: the domain's own MX hosts,
 * a per-domain route (Postfix's transport maps: a fixed host:port, with or
 * without an MX lookup of that host), or the relay host (a smarthost)
 * that takes all other outbound mail. The next hop is also the unit of
 * per-destination concurrency and rate: every recipient with the same
 * next hop shares one destination.
 *
 * Exports: nexthopFor, Nexthop, RouteRule, RelaySettings, DestinationLimits.
 * Security: the domain comes from an envelope; it is only compared and
 * looked up. Routes and the relay are operator configuration.
 */

export interface RouteRule {
  /** "example.net", or ".example.net" for every subdomain of it. */
  domain: string;
  /** Absent: the domain's own MX hosts, with this rule's limits. */
  host?: string;
  port: number;
  /** true: look up the host's MX records; false: connect to the host itself (Postfix's [host]). */
  mx: boolean;
  tls: 'opportunistic' | 'required' | 'none';
  /** Limits of this destination instead of [outbound] destination_concurrency and destination_rate. */
  concurrency?: number;
  rate?: number;
}

/** Per-destination limits that differ from the defaults. */
export interface DestinationLimits {
  concurrency?: number;
  /** Messages a minute; 0 no limit. */
  rate?: number;
}

export interface RelaySettings {
  host: string;
  port: number;
  security: 'starttls' | 'tls';
  username: string;
  password: string;
  /** Extra trust anchors, PEM. */
  ca?: string;
}

export type Nexthop =
  /** The recipient domain's MX hosts on the outbound port, with MTA-STS and DANE. */
  | { kind: 'mx'; key: string; domain: string; limits?: DestinationLimits }
  /** A route or the relay: a fixed host (or its MX hosts), TLS as configured. */
  | {
      kind: 'host';
      key: string;
      /** The recipient domain, for the log. */
      domain: string;
      host: string;
      port: number;
      mx: boolean;
      tls: 'opportunistic' | 'required' | 'none';
      implicitTls: boolean;
      auth?: { user: string; pass: string };
      ca?: string;
      relay: boolean;
      limits?: DestinationLimits;
    };

const canonical = (d: string) => d.toLowerCase().replace(/\.$/, '');

function matches(rule: string, domain: string): boolean {
  const r = canonical(rule);
  return r.startsWith('.') ? domain.endsWith(r) : domain === r;
}

/** The next hop for an (A-label, lower-case) recipient domain. */
export function nexthopFor(domain: string, routes: readonly RouteRule[], relay: RelaySettings | undefined): Nexthop {
  const d = canonical(domain);
  // An exact rule wins over a subdomain rule, whatever their order.
  const rule = routes.find((r) => !r.domain.startsWith('.') && matches(r.domain, d)) ?? routes.find((r) => r.domain.startsWith('.') && matches(r.domain, d));
  const limits = rule && (rule.concurrency !== undefined || rule.rate !== undefined) ? { concurrency: rule.concurrency, rate: rule.rate } : undefined;
  if (rule?.host) {
    const host = canonical(rule.host).replace(/^\[(.*)\]$/, '$1');
    return { kind: 'host', key: `route:${host}:${rule.port}:${rule.mx ? 'mx' : 'host'}`, domain: d, host, port: rule.port, mx: rule.mx, tls: rule.tls, implicitTls: false, relay: false, limits };
  }
  // A rule without a host only changes the limits: the domain keeps its MX hosts, its own destination.
  if (rule) return { kind: 'mx', key: `mx:${d}`, domain: d, limits };
  if (relay && relay.host) {
    const host = canonical(relay.host);
    return {
      kind: 'host',
      key: `relay:${host}:${relay.port}`,
      domain: d,
      host,
      port: relay.port,
      mx: false,
      tls: 'required',
      implicitTls: relay.security === 'tls',
      auth: relay.username ? { user: relay.username, pass: relay.password } : undefined,
      ca: relay.ca,
      relay: true,
    };
  }
  return { kind: 'mx', key: `mx:${d}`, domain: d };
}
