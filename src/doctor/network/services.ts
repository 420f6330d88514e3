/*
 * The listeners answer and behave (doctor.md groups A, B and J): each
 * enabled listener accepts a connection, and when one does not, which
 * process holds its port (A01); the MX greets and says EHLO with the host
 * name (B04), is not an open relay (B05) and discloses nothing to VRFY
 * and EXPN (B07); submission offers STARTTLS and no AUTH before it, AUTH
 * after (J01); 465 is implicit TLS with AUTH (J02); a test account logs in
 * on every client port (J03); IMAP 143 says LOGINDISABLED and POP3 110
 * offers no USER or SASL before TLS (J04).
 *
 * Exports: listenerChecks, serviceChecks.
 * Security: connects to the server's own listeners; the relay probe uses
 * the reserved example.org and example.net (RFC 2606) and ends with QUIT
 * before any DATA, so nothing is ever sent.
 * Standards: RFC 5321, RFC 6409, RFC 8314, RFC 3207, RFC 9051, RFC 2595.
 */
import { finding, type DomainFacts, type Finding, type HostFacts } from '../types.js';
import type { NetworkCheck, NetworkDeps, NetworkFacts, ServiceEndpoint } from './types.js';

const subject = (e: ServiceEndpoint) => `port ${e.port} (${e.role})`;
const lastLine = (reply: string) => reply.split('\r\n').pop() ?? '';

async function listenerAnswers(e: ServiceEndpoint, serverName: string, deps: NetworkDeps): Promise<Finding | undefined> {
  try {
    if (e.security === 'implicit') (await deps.openTls(e, { servername: serverName })).client.close();
    else if (e.protocol === 'http') (await deps.openPlain({ ...e, protocol: 'http' })).client.close();
    else (await deps.openPlain(e)).client.close();
    return undefined;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const holder = await deps.portHolder(e.port);
    const held = holder && !/petrel|main\.ts|node/.test(holder) ? ` Port ${e.port} is held by ${holder}.` : '';
    return finding('A01', 'error', `${e.host}:${e.port} (${e.role})`, `the ${e.role} listener does not answer`, why + (held ? ` (${held.trim()})` : ''), `Petrel's ${e.role} listener`, held ? `Stop that process or move [${e.role}] listen to another port, then restart petrel serve.${held}` : `Start petrel serve, or check [${e.role}] listen and the firewall between this host and ${e.host}.`);
  }
}

async function mxBehaviour(e: ServiceEndpoint, hostname: string, deps: NetworkDeps): Promise<Finding[]> {
  const out: Finding[] = [];
  const { client, greeting } = await deps.openPlain(e);
  try {
    const [banner = '', ...ehlo] = greeting.split('\r\n');
    const bannerName = /^220[ -](\S+)/.exec(banner)?.[1] ?? '';
    const ehloName = /^250[ -](\S+)/.exec(ehlo[0] ?? '')?.[1] ?? '';
    if (bannerName.toLowerCase() !== hostname || ehloName.toLowerCase() !== hostname) {
      out.push(finding('B04', 'warning', subject(e), 'the banner or EHLO name is not the host name', `220 ${bannerName}, 250 ${ehloName}`, hostname, `Set hostname = "${hostname}" in the configuration: receivers compare it with the PTR record.`));
    }
    client.send('MAIL FROM:<doctor@example.org>');
    const mail = await client.read('smtp');
    client.send('RCPT TO:<doctor@example.net>');
    const rcpt = await client.read('smtp');
    if (/^2/.test(mail) && /^2/.test(rcpt)) out.push(finding('B05', 'error', subject(e), 'the MX relays mail for anyone', `RCPT TO:<doctor@example.net> answered "${lastLine(rcpt)}"`, 'a 5xx refusal for a domain that is not hosted here', 'This must never happen with Petrel alone: check what else answers on port 25.'));
    client.send('RSET');
    await client.read('smtp');
    for (const verb of ['VRFY postmaster', 'EXPN postmaster']) {
      client.send(verb);
      const r = await client.read('smtp');
      if (/^25[01]/.test(r)) out.push(finding('B07', 'warning', subject(e), `${verb.split(' ')[0]} discloses addresses`, lastLine(r), '252 or 502: nothing disclosed', `Turn ${verb.split(' ')[0]} off in whatever answers on port 25.`));
    }
    client.send('QUIT');
  } finally {
    client.close();
  }
  return out;
}

async function submissionBehaviour(e: ServiceEndpoint, name: string, deps: NetworkDeps): Promise<Finding[]> {
  const out: Finding[] = [];
  if (e.security === 'starttls') {
    const { client, greeting } = await deps.openPlain(e);
    client.close();
    if (!/[ -]STARTTLS\b/.test(greeting)) out.push(finding('J01', 'error', subject(e), 'STARTTLS is not offered', lastLine(greeting), 'STARTTLS in the EHLO answer', 'Check [submission]: Petrel always offers STARTTLS on 587 when a certificate is loaded.'));
    if (/[ -]AUTH\b/.test(greeting)) out.push(finding('J01', 'error', subject(e), 'AUTH is offered before TLS', 'AUTH in the EHLO answer before STARTTLS', 'AUTH only after STARTTLS', 'Passwords would cross the network in clear: nothing but Petrel should answer here.'));
  }
  try {
    const s = await deps.openTls(e, { servername: name });
    s.client.send(`EHLO doctor.petrel.invalid`);
    const ehlo = await s.client.read('smtp');
    s.client.close();
    if (!/[ -]AUTH\b/.test(ehlo)) out.push(finding(e.security === 'implicit' ? 'J02' : 'J01', 'error', subject(e), 'AUTH is not offered over TLS', lastLine(ehlo), 'AUTH PLAIN LOGIN after TLS', 'Users cannot log in to send: check that this is Petrel\'s submission listener.'));
  } catch (err) {
    out.push(finding(e.security === 'implicit' ? 'J02' : 'J01', 'error', subject(e), 'TLS cannot be set up for submission', err instanceof Error ? err.message : String(err), 'TLS, then AUTH', 'Check the certificate for the client name (see the I findings).'));
  }
  return out;
}

async function plaintextLoginsRefused(e: ServiceEndpoint, deps: NetworkDeps): Promise<Finding[]> {
  const { client, greeting } = await deps.openPlain(e);
  client.close();
  if (e.protocol === 'imap' && (!/LOGINDISABLED/.test(greeting) || !/STARTTLS/.test(greeting))) {
    return [finding('J04', 'error', subject(e), 'IMAP allows logins before TLS', lastLine(greeting), 'CAPABILITY with STARTTLS and LOGINDISABLED', 'Passwords could cross in clear: nothing but Petrel should answer on this port.')];
  }
  if (e.protocol === 'pop3' && (!/\bSTLS\b/.test(greeting) || /\r\n(USER|SASL)\b/.test(greeting))) {
    return [finding('J04', 'error', subject(e), 'POP3 allows logins before TLS', greeting.replace(/\r\n/g, ' | '), 'CAPA with STLS and neither USER nor SASL', 'Passwords could cross in clear: nothing but Petrel should answer on this port.')];
  }
  return [];
}

/** Logs in with the test account: AUTH PLAIN on SMTP, LOGIN on IMAP, USER/PASS on POP3. */
async function login(e: ServiceEndpoint, name: string, user: string, pass: string, deps: NetworkDeps): Promise<string | undefined> {
  const s = await deps.openTls(e, { servername: name });
  const c = s.client;
  try {
    if (e.protocol === 'smtp') {
      c.send(`EHLO doctor.petrel.invalid`);
      await c.read('smtp');
      c.send(`AUTH PLAIN ${Buffer.from(`\0${user}\0${pass}`).toString('base64')}`);
      const r = await c.read('smtp');
      return /^235/.test(r) ? undefined : lastLine(r);
    }
    if (e.protocol === 'imap') {
      const quoted = (v: string) => `"${v.replace(/["\\]/g, (ch) => `\\${ch}`)}"`;
      c.send(`l1 LOGIN ${quoted(user)} ${quoted(pass)}`);
      const r = await c.read({ imapTag: 'l1' });
      return /^l1 OK/m.test(lastLine(r)) ? undefined : lastLine(r);
    }
    c.send(`USER ${user}`);
    await c.read('pop3');
    c.send(`PASS ${pass}`);
    const r = await c.read('pop3');
    return r.startsWith('+OK') ? undefined : r;
  } finally {
    c.close();
  }
}

/**
 * A01: which listeners answer. When none does, one finding says the server is not running; the other network checks
 * are then given only the endpoints that answered (a port that is down is reported once, here).
 */
export async function listenerChecks(host: HostFacts, domains: readonly DomainFacts[], net: NetworkFacts, deps: NetworkDeps): Promise<{ findings: Finding[]; up: ServiceEndpoint[] }> {
  const clientName = domains[0]?.clientHost ?? host.hostname;
  const findings: Finding[] = [];
  const up: ServiceEndpoint[] = [];
  for (const e of net.endpoints) {
    const f = await listenerAnswers(e, e.role === 'mx' ? host.hostname : clientName, deps);
    if (f) findings.push(f);
    else up.push(e);
  }
  if (up.length === 0 && findings.length > 1) {
    return {
      up,
      findings: [finding('A01', 'error', host.hostname, 'no listener answers: the server is not running', net.endpoints.map((e) => `${e.host}:${e.port} (${e.role})`).join(', '), 'Petrel answering on its listeners',
        'Start it (petrel serve, or systemctl start petrel) and run petrel doctor again; petrel doctor --dns-only checks the DNS alone.')],
    };
  }
  return { findings, up };
}

/** B04, B05, B07 and J01 to J04 on the listeners that answer (net.endpoints: see listenerChecks). */
export const serviceChecks: NetworkCheck = async (host, domains, net: NetworkFacts, deps) => {
  const out: Finding[] = [];
  const clientName = domains[0]?.clientHost ?? host.hostname;
  const up = net.endpoints;
  const guard = async (e: ServiceEndpoint, check: () => Promise<Finding[]>) => {
    try {
      out.push(...(await check()));
    } catch (err) {
      out.push(finding('A01', 'warning', subject(e), 'the listener did not answer as expected', err instanceof Error ? err.message : String(err), 'a complete session', 'Look at the server log around this time.'));
    }
  };
  for (const e of up) {
    if (e.role === 'mx') await guard(e, () => mxBehaviour(e, host.hostname, deps));
    if (e.role === 'submission' || e.role === 'submissions') await guard(e, () => submissionBehaviour(e, clientName, deps));
    if ((e.role === 'imap' || e.role === 'pop3') && e.security === 'starttls') await guard(e, () => plaintextLoginsRefused(e, deps));
  }
  const credentials = net.credentials;
  if (!credentials) {
    out.push(finding('J03', 'info', 'logins', 'logins were not tested', 'no test account given', 'a test account', 'Run petrel doctor --user ADDRESS --password-stdin to test a login on every client port.'));
    return out;
  }
  for (const e of up.filter((x) => ['submission', 'submissions', 'imap', 'imaps', 'pop3', 'pop3s'].includes(x.role))) {
    await guard(e, async () => {
      const refused = await login(e, clientName, credentials.user, credentials.pass, deps);
      return refused === undefined ? [] : [finding('J03', 'error', subject(e), `the test account cannot log in on ${e.role}`, refused, 'a successful login', 'Check the password (petrel user passwd), that the account is enabled, and the TLS findings for this port.')];
    });
  }
  return out;
};
