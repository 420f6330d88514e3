/*
 * Helpers for the outbound delivery tests: submit a message as a user with
 * swaks (587 with STARTTLS and AUTH), learn its queue id from the reply,
 * wait for the delivery log lines of that queue id, and read a user's
 * INBOX over IMAPS with imapflow (where DSNs land).
 *
 * Exports: submit, submitWithNodemailer, waitForStatus, inboxSources,
 * startSender, dkimZoneLines, useResolver, verifyDkim, SENDER, SENDER_PASSWORD,
 * Submitted.
 * Security: test only; loopback.
 */
import { ImapFlow } from 'imapflow';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { WireDnsClient } from '../../src/dns/wire-client.js';
import { PetrelProcess, type PetrelOptions } from './petrel.js';
import { swaks } from './tools.js';

export interface Submitted {
  queueId: string;
  transcript: string;
}

/** Submits over 587; rejects when the server did not accept the message. */
export async function submit(p: PetrelProcess, options: { user: string; password: string; from?: string; to: string[]; data?: string; extra?: string[] }): Promise<Submitted> {
  const from = options.from ?? options.user;
  const data = options.data ?? `From: ${from}\r\nTo: ${options.to.join(', ')}\r\nSubject: outbound test\r\nMessage-ID: <${Date.now()}.${Math.random().toString(36).slice(2)}@test>\r\n\r\nHello from the outbound test.\r\n`;
  const r = await swaks([
    '--server', `127.0.0.1:${p.ports.submission}`, '-tls', '--auth', 'PLAIN', '--auth-user', options.user, '--auth-password', options.password,
    '--from', from, '--to', options.to.join(','), '--data', data, ...(options.extra ?? []),
  ]);
  const m = /<~ +250 2\.0\.0 Ok: queued as (\S+)/.exec(r.stdout);
  if (!m) throw new Error(`not accepted:\n${r.stdout}\n${r.stderr}`);
  return { queueId: m[1]!, transcript: r.stdout };
}

/** Waits for the outbound log line of this recipient with this status (sent, deferred, bounced). */
export function waitForStatus(p: PetrelProcess, queueId: string, to: string, status: 'sent' | 'deferred' | 'bounced', timeoutMs = 20_000): Promise<void> {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return p.waitForLog(new RegExp(`outbound ${status} queue=${escape(queueId)} to=<${escape(to)}>`), timeoutMs);
}

/** The raw messages in a user's INBOX, oldest first. */
export async function inboxSources(p: PetrelProcess, user: string, password: string): Promise<string[]> {
  const client = new ImapFlow({ host: '127.0.0.1', port: p.ports.imaps, secure: true, tls: { rejectUnauthorized: false }, auth: { user, pass: password }, logger: false });
  await client.connect();
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      const out: string[] = [];
      for await (const m of client.fetch('1:*', { source: true })) out.push(m.source!.toString());
      return out;
    } finally {
      lock.release();
    }
  } catch (err) {
    if (/Invalid messageset|no messages/i.test(String(err))) return [];
    throw err;
  } finally {
    await client.logout().catch(() => {});
  }
}

/**
 * Submits over 587 with nodemailer's SMTP client (STARTTLS, AUTH PLAIN),
 * for MAIL parameters swaks does not send (REQUIRETLS); resolves with the
 * queue id from the final reply.
 */
export async function submitWithNodemailer(
  p: PetrelProcess,
  options: { user: string; password: string; to: string[]; data: string; requireTls?: boolean; dsn?: { ret?: 'FULL' | 'HDRS'; envid?: string; notify?: string[]; orcpt?: string } },
): Promise<string> {
  const { default: SMTPConnection } = await import('nodemailer/lib/smtp-connection');
  const c = new SMTPConnection({ host: '127.0.0.1', port: p.ports.submission, requireTLS: true, tls: { rejectUnauthorized: false }, logger: false });
  await new Promise<void>((resolve, reject) => {
    c.once('error', reject);
    c.connect(() => resolve());
  });
  await new Promise<void>((resolve, reject) => c.login({ user: options.user, pass: options.password }, (err) => (err ? reject(err) : resolve())));
  const info = await new Promise<{ response: string }>((resolve, reject) =>
    c.send({ from: options.user, to: options.to, requireTLSExtensionEnabled: options.requireTls === true, dsn: options.dsn }, options.data, (err, i) => (err ? reject(err) : resolve(i!))),
  );
  c.quit();
  const m = /queued as (\S+)/.exec(info.response);
  if (!m) throw new Error(`no queue id in ${info.response}`);
  return m[1]!;
}

/** The sending user every outbound test submits as. */
export const SENDER = 'alice@example.com';
export const SENDER_PASSWORD = 'alice-pw';

/**
 * A Petrel that delivers its outbound queue, with example.com and its
 * user alice@example.com: created, set up before the first start with
 * beforeStart (a DNS zone that needs the DKIM key, say), then started.
 */
export async function startSender(options: PetrelOptions & { beforeStart?: (p: PetrelProcess) => Promise<void> }): Promise<PetrelProcess> {
  const { beforeStart, ...create } = options;
  const p = await PetrelProcess.create(create);
  await p.addDomain('example.com');
  await p.addUser(SENDER, SENDER_PASSWORD);
  await beforeStart?.(p);
  await p.start();
  return p;
}

/** The zone lines publishing example.com's DKIM keys, for a test BIND (one TXT record of several strings each). */
export async function dkimZoneLines(p: PetrelProcess): Promise<string> {
  const keys = JSON.parse((await p.cli(['dkim', 'show', 'example.com', '--json'])).stdout) as { name: string; strings: string[] }[];
  return keys.map((k) => `${k.name}. IN TXT ( ${k.strings.map((s) => `"${s}"`).join(' ')} )`).join('\n');
}

/** Points a created (not yet started) Petrel's [dns] at a resolver known only after creation. */
export function useResolver(p: PetrelProcess, address: string): void {
  const text = readFileSync(p.configFile, 'utf8').replace(/\[dns\]\n(?:[^[\n][^\n]*\n)*/, `[dns]\nresolvers = ["${address}"]\ntimeout = "1s"\ntries = 1\n`);
  writeFileSync(p.configFile, text);
}

/** mailauth's DKIM verdicts on a message as it arrived, its keys looked up at the DNS server at address (a test BIND). */
export async function verifyDkim(message: string, address: string): Promise<{ selector: string; status: { result: string } }[]> {
  return (await dkimVerify(Buffer.from(message, 'latin1'), { resolver: txtResolver(address) })).results as { selector: string; status: { result: string } }[];
}

/** mailauth's resolver for key records (TXT only), asking the DNS server at address (a test BIND). */
export function txtResolver(address: string): (name: string, type: string) => Promise<string[][]> {
  const dns = new WireDnsClient({ servers: [address], timeoutMs: 1000, tries: 1 });
  return async (name, type) => {
    const a = await dns.txt(name);
    if (!a.ok) throw Object.assign(new Error(a.detail), { code: a.kind === 'nxdomain' ? 'ENOTFOUND' : 'ENODATA' });
    return type === 'TXT' ? a.records.map((r) => [r]) : [];
  };
}
