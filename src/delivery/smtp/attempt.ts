/*
 * One delivery attempt of one message to the recipients of one next hop:
 * find the hosts (MX routing, a route's fixed host, the relay), decide
 * each host's TLS (tls-policy.ts), connect to their addresses in order
 * (reusing an idle connection to the same place), send, and say for every
 * recipient whether it was delivered, bounced or deferred, with the reply
 * that decided it.
 *
 * RFC 5321 section 5.1 and Postfix's behaviour:
 * - Hosts in MX order; each host's addresses in order (IPv6 first). A
 *   connection failure, a failed TLS policy or a 4xx/5xx greeting moves
 *   on to the next address; a 4xx reply to a recipient moves it on to
 *   the next MX host; a 5xx reply is final for that recipient.
 * - At most MAX_CONNECT_ATTEMPTS addresses are tried and
 *   MAX_SMTP_SESSIONS hosts spoken to per attempt (Postfix's
 *   smtp_mx_address_limit and smtp_mx_session_limit), so a hostile or
 *   broken zone cannot make one attempt last for ever.
 * - Opportunistic TLS whose handshake fails is retried on the same
 *   address in plaintext once, as Postfix does at its "may" level; a
 *   policy that requires TLS never falls back.
 * - A recipient refused with 452 4.5.3 (too many recipients) while others
 *   were accepted is sent again at once in a new transaction on the same
 *   connection.
 * - A message with "TLS-Required: No" and without REQUIRETLS is sent
 *   without MTA-STS and DANE (RFC 8689 section 5).
 * - A message that needs SMTPUTF8 (connection.ts needsSmtpUtf8) is not
 *   sent to a host that does not offer it: 5.6.7 for its recipients
 *   (RFC 6531 section 3.4).
 *
 * Exports: attemptDelivery, tlsRequiredNo, ConnectionPool, AttemptDeps, AttemptJob,
 * AttemptOutcome, AttemptReport, MAX_CONNECT_ATTEMPTS, MAX_SMTP_SESSIONS.
 * Security: every remote answer is untrusted text, kept for the log and
 * DSNs; the number of hosts, addresses, connections and transactions per
 * attempt is bounded.
 */
import { isIP } from 'node:net';
import type { DnsClient } from '../../dns/client.js';
import { addressesOf, resolveRoute, type MxHost, type SelfIdentity } from '../../dns/mx.js';
import type { Logger } from '../../telemetry/logger.js';
import type { OutboundEnvelope } from '../../store/types.js';
import { needsSmtpUtf8, openConnection, type OutboundConnection, type TransactionRecipient } from './connection.js';
import type { Nexthop } from './nexthop.js';
import { hostPolicy, type HostPolicy, type MtaStsView } from './tls-policy.js';

/** Addresses connected to per attempt (Postfix's smtp_mx_address_limit). */
export const MAX_CONNECT_ATTEMPTS = 5;
/** Hosts that answered, spoken to per attempt (Postfix's smtp_mx_session_limit). */
export const MAX_SMTP_SESSIONS = 2;
/** Extra transactions for recipients refused with 452 4.5.3 (too many recipients). */
const MAX_FOLLOW_UP_TRANSACTIONS = 20;

/** Idle connections kept for the next message to the same place. */
export interface ConnectionPool {
  take(key: string): OutboundConnection | undefined;
  /** Hands a connection back after a transaction; the pool closes it when it is spent. */
  give(key: string, connection: OutboundConnection): void;
}

export interface AttemptDeps {
  dns: DnsClient;
  self: SelfIdentity;
  heloName: string;
  /** The port of MX hosts (25). */
  port: number;
  timeouts: { connect: number; greeting: number; reply: number };
  mtaSts(domain: string): Promise<MtaStsView>;
  /** Honour DANE TLSA records ([outbound] dane). */
  dane: boolean;
  pool: ConnectionPool;
  log: Logger;
}

export interface AttemptJob {
  queueId: string;
  from: string;
  recipients: TransactionRecipient[];
  envelope: OutboundEnvelope;
  message: Buffer;
}

export interface AttemptOutcome {
  address: string;
  outcome: 'delivered' | 'deferred' | 'bounced';
  reply: string;
  statusCode: string;
  host: string | null;
  ip: string | null;
  /** The host that took it offers DSN and was given NOTIFY (RFC 3461 section 5.2.2: it sends the success DSN). */
  dsnPassed: boolean;
}

export interface AttemptReport {
  /** One per recipient, in the job's order. */
  outcomes: AttemptOutcome[];
  /** Some host answered in SMTP (false: the destination could not be reached at all). */
  answered: boolean;
}

type Hosts = { ok: true; hosts: MxHost[]; authenticated: boolean } | { ok: false; temporary: boolean; statusCode: string; reason: string };

async function hostsFor(nexthop: Nexthop, deps: AttemptDeps): Promise<Hosts> {
  if (nexthop.kind === 'mx' || nexthop.mx) {
    const route = await resolveRoute(nexthop.kind === 'mx' ? nexthop.domain : nexthop.host, deps.dns, deps.self);
    if (route.kind === 'fail') return { ok: false, temporary: route.temporary, statusCode: route.status, reason: route.reason };
    return { ok: true, hosts: route.hosts, authenticated: nexthop.kind === 'mx' && route.authenticated };
  }
  if (isIP(nexthop.host)) return { ok: true, hosts: [{ name: nexthop.host, preference: 0, addresses: [nexthop.host], authenticated: false }], authenticated: false };
  const found = await addressesOf(deps.dns, nexthop.host);
  if (found === 'temporary') return { ok: false, temporary: true, statusCode: '4.4.3', reason: `no address for ${nexthop.host} yet: a lookup failed` };
  if (found === 'none') return { ok: false, temporary: true, statusCode: '4.4.4', reason: `${nexthop.host} has no address (check the route or relay host)` };
  return { ok: true, hosts: [{ name: nexthop.host, preference: 0, ...found }], authenticated: false };
}

interface Pending {
  recipient: TransactionRecipient;
  reply: string;
  statusCode: string;
  host: string | null;
  ip: string | null;
}

export async function attemptDelivery(job: AttemptJob, nexthop: Nexthop, deps: AttemptDeps): Promise<AttemptReport> {
  const done = new Map<string, AttemptOutcome>();
  const finish = (address: string, outcome: AttemptOutcome['outcome'], reply: string, statusCode: string, host: string | null, ip: string | null, dsnPassed = false) =>
    done.set(address, { address, outcome, reply, statusCode, host, ip, dsnPassed });
  const found = await hostsFor(nexthop, deps);
  if (!found.ok) {
    for (const r of job.recipients) finish(r.address, found.temporary ? 'deferred' : 'bounced', found.reason, found.statusCode, null, null);
    // A DNS answer is an answer: the destination is not dead, its domain is.
    return { outcomes: job.recipients.map((r) => done.get(r.address)!), answered: true };
  }
  let pending: Pending[] = job.recipients.map((recipient) => ({ recipient, reply: 'not attempted', statusCode: '4.4.1', host: null, ip: null }));
  const setAll = (reply: string, statusCode: string, host: string | null, ip: string | null) => {
    for (const p of pending) Object.assign(p, { reply, statusCode, host, ip });
  };
  // RFC 8689 section 5: "TLS-Required: No" asks that MTA-STS and DANE failures not stop the message (REQUIRETLS wins).
  const policiesWaived = !job.envelope.requireTls && tlsRequiredNo(job.message);
  const mtaSts = nexthop.kind === 'mx' && !policiesWaived ? await deps.mtaSts(nexthop.domain) : ({ mode: 'none' } as const);
  const port = nexthop.kind === 'mx' ? deps.port : nexthop.port;
  const utf8 = needsSmtpUtf8(job.from, job.recipients.map((r) => r.address), job.envelope, job.message);
  let connects = 0;
  let sessions = 0;

  hosts: for (const host of found.hosts) {
    if (pending.length === 0 || sessions >= MAX_SMTP_SESSIONS) break;
    const policy = await hostPolicy({ nexthop, host, mxAuthenticated: found.authenticated, port, mtaSts, requireTls: job.envelope.requireTls, dns: deps.dns, dane: deps.dane && !policiesWaived });
    if (policy.kind === 'skip') {
      deps.log.info('host skipped', { queue: job.queueId, host: host.name, reason: policy.reason });
      if (!policy.temporary) {
        for (const p of pending) finish(p.recipient.address, 'bounced', policy.reason, policy.statusCode, host.name, null);
        pending = [];
        break;
      }
      setAll(policy.reason, policy.statusCode, host.name, null);
      continue;
    }
    for (const ip of host.addresses) {
      if (connects >= MAX_CONNECT_ATTEMPTS) break hosts;
      const connection = await connect(nexthop, host.name, ip, port, policy, deps, () => connects++);
      if ('reply' in connection) {
        setAll(connection.reply, connection.statusCode, host.name, ip);
        continue;
      }
      sessions++;
      if (utf8 && !connection.conn.extensions.has('SMTPUTF8')) {
        for (const p of pending) finish(p.recipient.address, 'bounced', `SMTPUTF8 is required, but was not offered by host ${host.name}[${ip}]`, '5.6.7', host.name, ip);
        pending = [];
        deps.pool.give(connection.key, connection.conn);
        break hosts;
      }
      pending = await sendAll(job, pending, connection.conn, host.name, ip, finish);
      if (connection.conn.usable) deps.pool.give(connection.key, connection.conn);
      else connection.conn.close();
      // The host answered: recipients still pending got a 4xx (or the session broke) and go on to the next MX.
      continue hosts;
    }
  }
  const answered = sessions > 0 || done.size > 0;
  for (const p of pending) finish(p.recipient.address, 'deferred', p.reply, p.statusCode, p.host, p.ip);
  return { outcomes: job.recipients.map((r) => done.get(r.address)!), answered };
}

/** The message's header has "TLS-Required: No" (RFC 8689 section 5). */
export function tlsRequiredNo(message: Buffer): boolean {
  const end = message.indexOf('\r\n\r\n');
  const header = (end < 0 ? message : message.subarray(0, end + 2)).toString('latin1');
  return /(?:^|\r\n)TLS-Required[ \t]*:[ \t]*No[ \t]*\r\n/i.test(header);
}

/** A pooled or new connection, or why there is none. */
async function connect(
  nexthop: Nexthop,
  hostName: string,
  ip: string,
  port: number,
  policy: Extract<HostPolicy, { kind: 'connect' }>,
  deps: AttemptDeps,
  counted: () => void,
): Promise<{ key: string; conn: OutboundConnection } | { reply: string; statusCode: string }> {
  const key = `${nexthop.key}|${hostName}|${ip}|${port}|${policy.label}`;
  const pooled = deps.pool.take(key);
  if (pooled) return { key, conn: pooled };
  counted();
  const base = {
    host: hostName,
    address: ip,
    port,
    heloName: deps.heloName,
    implicitTls: nexthop.kind === 'host' && nexthop.implicitTls,
    auth: nexthop.kind === 'host' ? nexthop.auth : undefined,
    timeouts: deps.timeouts,
  };
  let r = await openConnection({ ...base, tls: policy.tls });
  if (!r.ok && r.tlsFailed && policy.tls.mode === 'opportunistic') {
    deps.log.info('TLS failed, trying again in plaintext', { host: hostName, address: ip, reason: r.reply });
    r = await openConnection({ ...base, tls: { mode: 'none', servername: hostName } });
  }
  if (!r.ok) {
    deps.log.info('connect failed', { host: hostName, address: ip, port, stage: r.stage, reason: r.reply });
    return { reply: `${hostName}[${ip}]:${port}: ${r.reply}`, statusCode: r.statusCode };
  }
  deps.log.debug('connected', { host: hostName, address: ip, port, tls: r.connection.tlsDescription ?? 'none', policy: policy.label });
  return { key, conn: r.connection };
}

/** Transactions on one connection until every recipient has a reply (452 4.5.3 ones again at once); the recipients left pending. */
async function sendAll(
  job: AttemptJob,
  pending: Pending[],
  conn: OutboundConnection,
  host: string,
  ip: string,
  finish: (address: string, outcome: AttemptOutcome['outcome'], reply: string, statusCode: string, host: string | null, ip: string | null, dsnPassed?: boolean) => void,
): Promise<Pending[]> {
  const deferred: Pending[] = [];
  let left = pending;
  for (let round = 0; left.length > 0; round++) {
    const result = await conn.send({ from: job.from, recipients: left.map((p) => p.recipient), envelope: job.envelope, message: job.message });
    const again: Pending[] = [];
    let accepted = 0;
    for (const r of result.recipients) {
      const p = left.find((x) => x.recipient.address === r.address)!;
      if (r.ok) {
        accepted++;
        finish(r.address, 'delivered', r.reply, r.statusCode, host, ip, result.dsnPassed && p.recipient.notify !== null);
      } else if (!r.temporary) finish(r.address, 'bounced', r.reply, r.statusCode, host, ip);
      else (r.statusCode === '4.5.3' ? again : deferred).push({ ...p, reply: r.reply, statusCode: r.statusCode, host, ip });
    }
    // No message went through: the session is reset before it carries another.
    if (accepted === 0 && conn.usable) await conn.reset();
    if (accepted === 0 || !conn.usable || round >= MAX_FOLLOW_UP_TRANSACTIONS) {
      deferred.push(...again);
      break;
    }
    left = again;
  }
  return deferred;
}
