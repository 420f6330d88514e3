/*
 * The filtered mode of bench/smtp-ingest: what "filters on" means there,
 * the message both modes send, and the checks that the filters really ran.
 *
 * Filters on (startFilterServices, petrelFilterConfig('on')):
 *   - a real BIND (test/support/bind.ts) on loopback serving source.test,
 *     the sender's domain: SPF "v=spf1 ip4:127.0.0.1 -all", the DKIM key
 *     bench._domainkey (RSA-2048, made here for the run) and DMARC
 *     p=reject; elsewhere.test (SPF -all) for the refusal probe; Petrel's
 *     [dns] resolvers point at it, so SPF, DKIM and DMARC are asked of it
 *     (through Petrel's DNS cache, as in production);
 *   - a real clamd (test/support/clamd.ts: Debian's clamav-daemon with a
 *     one-signature database, EICAR), [clamav] enabled at it;
 *   - sender-auth, the attachment policy and the built-in spam scorer at
 *     their defaults (all on);
 *   - [smtp] trusted_networks = [] (loopback would otherwise skip
 *     sender-auth and the per-client limits), greeting_delay = 0 and the
 *     client_*_rate limits 0, so the load generator is not slowed down.
 * Filters off: sender-auth, attachments and spam turned off, clamav off
 * (its default), so Petrel builds no filter pipeline at all; the same
 * [smtp] lines, so the modes differ by the filters only.
 * Filters noav: as on, with [clamav] off: every check but the virus scan,
 * which measures the pipeline without clamd's time directly.
 *
 * The message (writeBenchMessage): a plain-text mail from
 * sender@source.test, a body of ordinary sentences of the given size, and
 * a DKIM-Signature (rsa-sha256, relaxed/relaxed, by Petrel's own signer)
 * made for it. smtp-source sends it with -F, both modes, unchanged for
 * every message (-N still numbers the envelope recipients).
 *
 * Checks: checkStored reads the head of every stored message: with
 * filters on each must carry our Authentication-Results with spf=pass,
 * dkim=pass and dmarc=pass, X-Virus-Scanned: clamd, X-Virus-Status: Clean
 * and X-Spam-Status: No; with filters off none of our headers.
 * probeRefusals sends an EICAR attachment (must get 554) and a message
 * whose body was changed after signing, from a sender whose SPF fails
 * (must get 550: DMARC p=reject), so a clamd or a DKIM check that
 * silently passes everything would show (noav: the second only).
 *
 * filterTimings sums the `filtered verdict=... <filter>_ms=<ms>` lines the
 * MX logs at level info, one per message.
 *
 * Exports: startFilterServices, FilterServices, petrelFilterConfig,
 * benchMessage, writeBenchMessage, checkStored, probeRefusals, filterTimings,
 * FilterTimings, FilterMode, SENDER, SENDER_DOMAIN.
 * Security: benchmark only; BIND and clamd listen on 127.0.0.1; the key
 * is made for the run and dropped with it.
 */
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateDkimKey, dkimZoneLine } from '../../src/sender-auth/dkim-keys.js';
import { dkimSignatures } from '../../src/sender-auth/dkim-sign.js';
import { startBind, type BindServer } from '../../test/support/bind.js';
import { EICAR, startClamd, type ClamdServer } from '../../test/support/clamd.js';
import { run } from '../../test/support/tools.js';

/** off: no pipeline; noav: every check but ClamAV; on: every check. */
export type FilterMode = 'off' | 'noav' | 'on';

export const SENDER_DOMAIN = 'source.test';
export const SENDER = `sender@${SENDER_DOMAIN}`;
const SELECTOR = 'bench';
/** The zone of the refusal probe's envelope sender: SPF fails for everyone. */
const ELSEWHERE = 'elsewhere.test';

export interface FilterServices {
  bind: BindServer;
  clamd: ClamdServer;
  /** PKCS#8 PEM of the key bench._domainkey.source.test publishes. */
  privateKey: string;
  stop(): Promise<void>;
}

/** Makes the DKIM key and starts BIND (serving it) and clamd. */
export async function startFilterServices(): Promise<FilterServices> {
  const key = generateDkimKey('rsa-sha256', SELECTOR);
  const bind = await startBind({
    [SENDER_DOMAIN]: [
      `@ IN TXT "v=spf1 ip4:127.0.0.1 -all"`,
      `@ IN A 127.0.0.1`,
      `@ IN MX 10 ${SENDER_DOMAIN}.`,
      dkimZoneLine(SENDER_DOMAIN, key, 3600),
      `_dmarc IN TXT "v=DMARC1; p=reject"`,
    ].join('\n'),
    [ELSEWHERE]: `@ IN TXT "v=spf1 -all"`,
  });
  let clamd: ClamdServer;
  try {
    clamd = await startClamd({ samples: [{ name: 'Bench.EICAR', bytes: EICAR }], streamMaxLength: '25M' });
  } catch (err) {
    await bind.stop();
    throw err;
  }
  return {
    bind,
    clamd,
    privateKey: key.privateKey,
    async stop() {
      await clamd.stop();
      await bind.stop();
    },
  };
}

/** The [smtp] lines and the TOML sections for a mode (services needed for 'on'). */
export function petrelFilterConfig(mode: FilterMode, services: FilterServices | undefined): { smtp: string; dns?: string; extraToml: string } {
  const smtp = ['trusted_networks = []', 'greeting_delay = 0', 'client_connection_rate = 0', 'client_message_rate = 0', 'client_recipient_rate = 0'].join('\n');
  if (mode === 'off') {
    return { smtp, extraToml: '[sender_auth]\nenabled = false\n[attachments]\nenabled = false\n[spam]\nenabled = false\n[clamav]\nenabled = false\n' };
  }
  if (!services) throw new Error('filters on needs BIND and clamd');
  return {
    smtp,
    dns: `resolvers = ["${services.bind.address}"]\ntimeout = "2s"\ntries = 2`,
    extraToml: mode === 'on' ? `[clamav]\nenabled = true\naddress = "${services.clamd.address}"\n` : '[clamav]\nenabled = false\n',
  };
}

const SENTENCES = [
  'The quarterly figures are attached below for the review on Thursday afternoon.',
  'Please let me know whether the meeting room on the third floor is still free.',
  'We moved the delivery date by two weeks, as the supplier asked us to do.',
  'Thanks for the notes from yesterday; I have added my comments to the draft.',
  'The new schedule starts on Monday, and the old one stays valid until then.',
];

/** A plain-text message of about `size` body octets, CRLF line ends, unsigned. */
function plainMessage(size: number, date: Date): Buffer {
  const head = [
    `From: Bench Sender <${SENDER}>`,
    'To: <u@bench.test>',
    `Subject: Notes for the review (${size} octets)`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <smtp-ingest-${size}@${SENDER_DOMAIN}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
  ].join('\r\n');
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const line = SENTENCES[i % SENTENCES.length]!;
    lines.push(line);
    length += line.length + 2;
  }
  return Buffer.from(`${head}\r\n\r\n${lines.join('\r\n')}\r\n`, 'latin1');
}

/** The message file for smtp-source -F: LF line ends (it sends each line with CRLF and dot-stuffs). */
function writeForSmtpSource(file: string, message: Buffer): void {
  writeFileSync(file, message.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
}

/** The DKIM-signed benchmark message of `size` body octets (CRLF line ends), signed by bench._domainkey.source.test. */
export function benchMessage(size: number, privateKey: string): Buffer {
  const message = plainMessage(size, new Date());
  const signature = dkimSignatures(message, [{ domain: SENDER_DOMAIN, selector: SELECTOR, algorithm: 'rsa-sha256', privateKey }]);
  return Buffer.concat([Buffer.from(signature, 'latin1'), message]);
}

/** Writes the DKIM-signed benchmark message of `size` body octets into dir; returns its path. */
export function writeBenchMessage(dir: string, size: number, privateKey: string): string {
  const file = join(dir, `message-${size}.eml`);
  writeForSmtpSource(file, benchMessage(size, privateKey));
  return file;
}

/** The header block of a stored blob (its first 64 KiB at most), unfolded. */
function storedHead(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    return (end >= 0 ? text.slice(0, end) : text).replace(/\r\n[ \t]+/g, ' ');
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the head of every stored message and throws unless each shows the
 * filters of `mode` ran (on) or did not (off). Returns how many were read.
 */
export function checkStored(dataDir: string, mode: FilterMode, authservId: string): number {
  const db = new Database(join(dataDir, 'petrel.db'), { readonly: true, fileMustExist: true });
  let rows: { blob_hash: string; name: string }[];
  try {
    rows = db.prepare('SELECT m.blob_hash, b.name FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id').all() as typeof rows;
  } finally {
    db.close();
  }
  const ours = new RegExp(`^Authentication-Results: ${authservId.replace(/\./g, '\\.')};(.*)$`, 'im');
  for (const row of rows) {
    if (row.name !== 'INBOX') throw new Error(`a message was delivered to ${row.name}, not INBOX`);
    const head = storedHead(join(dataDir, 'blobs', row.blob_hash.slice(0, 2), row.blob_hash));
    const results = ours.exec(head)?.[1];
    if (mode !== 'off') {
      const virus = [/^X-Virus-Scanned: clamd$/m, /^X-Virus-Status: Clean$/m];
      const missing = [
        ...['spf=pass', 'dkim=pass', 'dmarc=pass'].filter((r) => !results || !new RegExp(`\\b${r}\\b`).test(results)),
        ...[...(mode === 'on' ? virus : []), /^X-Spam-Status: No,/m].filter((re) => !re.test(head)).map(String),
      ];
      if (missing.length > 0) throw new Error(`filters ${mode}, but a stored message lacks ${missing.join(', ')}:\n${head}`);
      if (mode === 'noav' && /^X-Virus-/m.test(head)) throw new Error(`filters noav, but a stored message was scanned:\n${head}`);
    } else if (results !== undefined || /^X-(Virus|Spam)-/m.test(head)) {
      throw new Error(`filters off, but a stored message carries filter headers:\n${head}`);
    }
  }
  return rows.length;
}

/**
 * Sends what the filters must refuse and throws unless they do: a message
 * with the EICAR test file attached (clamd: 554) and the signed message
 * with its body changed, from a sender whose SPF fails (DKIM fails, so
 * DMARC p=reject: 550). smtp-source stops at the refusal with its reply.
 */
export async function probeRefusals(port: number, dir: string, signedFile: string, mode: 'noav' | 'on'): Promise<void> {
  const date = new Date().toUTCString().replace('GMT', '+0000');
  const eicar = join(dir, 'probe-eicar.eml');
  writeFileSync(eicar, [
    `From: <${SENDER}>`, 'To: <u@bench.test>', 'Subject: probe', `Date: ${date}`, `Message-ID: <probe-eicar@${SENDER_DOMAIN}>`,
    'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
    '--b', 'Content-Type: text/plain', '', 'See the file.', '',
    '--b', 'Content-Type: application/octet-stream; name="probe.txt"', 'Content-Disposition: attachment; filename="probe.txt"', 'Content-Transfer-Encoding: base64', '',
    EICAR.toString('base64'), '--b--', '',
  ].join('\n'));
  const tampered = join(dir, 'probe-tampered.eml');
  writeFileSync(tampered, readFileSync(signedFile, 'latin1').replace(/Thursday/, 'Friday'), 'latin1');
  const probes: [string, string, RegExp][] = [
    ...(mode === 'on' ? [[eicar, SENDER, /\b554\b/] as [string, string, RegExp]] : []),
    [tampered, `bounce@${ELSEWHERE}`, /\b550\b/],
  ];
  for (const [file, from, expected] of probes) {
    const r = await run('smtp-source', ['-s', '1', '-m', '1', '-t', '1u@bench.test', '-f', from, '-M', SENDER_DOMAIN, '-F', file, `127.0.0.1:${port}`], { timeoutMs: 60_000 });
    const said = `${r.stdout}${r.stderr}`;
    if (r.code === 0 || !expected.test(said)) throw new Error(`probe ${file} should be refused with ${expected}, smtp-source said (${r.code}): ${said}`);
  }
}

export interface FilterTimings {
  /** `filtered` lines read (one per message that reached the end of DATA). */
  messages: number;
  verdicts: Record<string, number>;
  /** Filter name -> milliseconds summed over the messages. */
  totalMs: Record<string, number>;
}

/** Sums the `filtered` lines of a Petrel log (level info). */
export function filterTimings(log: string): FilterTimings {
  const out: FilterTimings = { messages: 0, verdicts: {}, totalMs: {} };
  for (const m of log.matchAll(/ filtered verdict=(\S+)([^\n]*)/g)) {
    out.messages++;
    out.verdicts[m[1]!] = (out.verdicts[m[1]!] ?? 0) + 1;
    for (const t of m[2]!.matchAll(/ ([a-z-]+)_ms=([\d.]+)/g)) out.totalMs[t[1]!] = (out.totalMs[t[1]!] ?? 0) + Number(t[2]);
  }
  return out;
}
