/*
 * Filling mailboxes for the IMAP benchmarks through Petrel's LMTP listener,
 * the path an MTA such as Postfix delivers by: several connections at once,
 * each sending one message per transaction (MAIL, RCPT, DATA) to one
 * recipient, so every message is parsed, MIME-indexed and committed as
 * real mail is. Also the /proc figures the benchmarks print.
 *
 * Exports: deliverLmtp, LmtpJob, cpuMs, peakRssMb, median, percentile.
 * Security: benchmark only; 127.0.0.1.
 * Standards: RFC 2033 (LMTP).
 */
import { readFileSync } from 'node:fs';
import { RawSmtp } from '../../test/support/smtp-client.js';

export interface LmtpJob {
  to: string;
  message: Buffer;
}

/**
 * Delivers the jobs over `connections` LMTP connections; `next(i)` builds
 * job i on demand so 100,000 messages never sit in memory at once. Throws
 * at the first refusal. `progress` is called every 1,000 messages.
 */
export async function deliverLmtp(port: number, count: number, next: (i: number) => LmtpJob, connections: number, progress?: (done: number) => void): Promise<void> {
  let issued = 0;
  let done = 0;
  const lane = async (): Promise<void> => {
    const smtp = await RawSmtp.open(port);
    // RawSmtp writes the message and the final dot separately: without this, Nagle holds the dot for the server's delayed ACK (40 ms a message).
    smtp.socket.setNoDelay(true);
    try {
      let first = true;
      while (issued < count) {
        const job = next(issued++);
        const replies = await smtp.send({ from: 'sender@source.example', to: [job.to], message: job.message, lmtp: true, greet: first });
        first = false;
        if (replies.length !== 1 || replies[0]!.code !== 250) throw new Error(`LMTP delivery to ${job.to} refused: ${replies.map((r) => r.text).join(' / ') || 'no recipient accepted'}`);
        if (++done % 1000 === 0) progress?.(done);
      }
      await smtp.command('QUIT');
    } finally {
      smtp.close();
    }
  };
  await Promise.all(Array.from({ length: connections }, lane));
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime + stime of a process in milliseconds. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** VmHWM of a process in MB. */
export function peakRssMb(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The p-th percentile (0..100) of ascending-sorted values, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}
