/*
 * `petrel queue`: the outbound queue, as mailq, postqueue and postsuper
 * show and change it.
 *
 *   list               every message: ID ("!" when held, as mailq marks
 *                      it), size, arrival, sender, recipients with state
 *   show ID [--json]   one message: envelope, each recipient's state,
 *                      last reply and next attempt, the attempts history
 *   stats [--json]     counts by state, the oldest message, the busiest
 *                      destinations (queue metrics)
 *   flush              every pending recipient due now (postqueue -f)
 *   retry ID           one message's pending recipients due now (postqueue -i)
 *   hold ID            delivery leaves it alone (postsuper -h)
 *   release ID         back into delivery, its failure count cleared (postsuper -H)
 *   delete ID          removed without a DSN (postsuper -d)
 *
 * flush, retry and release wake the running server (SIGUSR2 to the pid in
 * its pid file); without one, the change waits for the next start.
 *
 * Security: operator command; reads and writes the metadata store.
 */
import { readPidFile } from '../app/recovery.js';
import type { QueueEntry } from '../store/types.js';
import { need, UsageError, type CommandContext } from './context.js';
import { table } from './table.js';

const USAGE = 'usage: petrel queue list | show ID | stats | flush | retry ID | hold ID | release ID | delete ID';

const iso = (t: number | null) => (t === null ? '-' : new Date(t).toISOString());

function describeEntry(e: QueueEntry, out: (line: string) => void): void {
  out(`queue id:   ${e.queueId}${e.held ? `  (held${e.holdReason ? `: ${e.holdReason}` : ''})` : ''}`);
  out(`sender:     <${e.sender}>`);
  out(`arrived:    ${iso(e.createdAt)}   size ${e.size}   from ${e.source}${e.messageId ? `   ${e.messageId}` : ''}`);
  const params = [e.envelope.ret && `RET=${e.envelope.ret}`, e.envelope.envid && `ENVID=${e.envelope.envid}`, e.envelope.smtpUtf8 && 'SMTPUTF8', e.envelope.requireTls && 'REQUIRETLS', e.envelope.body && `BODY=${e.envelope.body.toUpperCase()}`].filter(Boolean);
  if (params.length > 0) out(`parameters: ${params.join(' ')}`);
  if (e.failures > 0) out(`failures:   ${e.failures} in a row inside Petrel`);
  for (const r of e.recipients) {
    const when = r.status === 'queued' || r.status === 'deferred' ? `next attempt ${iso(r.nextAttempt)}` : `at ${iso(r.doneAt)}`;
    out(`  <${r.recipient}>  ${r.status}  attempts ${r.attempts}  ${when}${r.dsnPending ? `  (DSN owed: ${r.dsnPending})` : ''}`);
    if (r.lastReply) out(`      ${r.remoteHost ? `${r.remoteHost} said: ` : ''}${r.lastReply}`);
  }
}

/** Tells a running server to look at the queue and the quarantine now; false when none runs. */
export function wakeServer(pidFile: string): boolean {
  const running = readPidFile(pidFile);
  if (!running) return false;
  try {
    process.kill(running.pid, 'SIGUSR2');
    return true;
  } catch {
    return false;
  }
}

export async function queue(ctx: CommandContext): Promise<number> {
  const [action = 'list', ...rest] = ctx.args;
  return ctx.withStores(async ({ store, paths }) => {
    const notFound = () => {
      ctx.io.err(`no queued message ${rest[0]}`);
      return 1;
    };
    const woken = () => (wakeServer(paths.pidFile) ? 'the server was told' : 'no server is running: it happens at the next start');
    switch (action) {
      case 'list': {
        const entries = await store.queue.list();
        const rows = entries.map((e) => [`${e.queueId}${e.held ? '!' : ''}`, String(e.size), new Date(e.createdAt).toISOString(), `<${e.sender}>`, e.recipients.map((r) => `${r.recipient} (${r.status})`).join(', ')]);
        for (const line of table(['QUEUE ID', 'SIZE', 'ARRIVED', 'SENDER', 'RECIPIENTS'], rows)) ctx.io.out(line);
        ctx.io.out(`-- ${entries.length} message${entries.length === 1 ? '' : 's'} in the queue`);
        return 0;
      }
      case 'show': {
        need(rest, 1, 'petrel queue show ID [--json]');
        const e = await store.queue.get(rest[0]!);
        if (!e) return notFound();
        const attempts = await store.queue.attempts(e.queueId);
        if (ctx.options.json) {
          ctx.io.out(JSON.stringify({ ...e, attempts }, null, 2));
          return 0;
        }
        describeEntry(e, (l) => ctx.io.out(l));
        if (attempts.length > 0) {
          ctx.io.out('attempts:');
          for (const a of attempts) ctx.io.out(`  ${iso(a.attemptedAt)}  <${a.recipient}>  ${a.outcome}${a.host ? `  ${a.host}[${a.address ?? ''}]` : ''}  ${a.reply ?? ''}`);
        }
        return 0;
      }
      case 'stats': {
        const s = await store.queue.stats();
        if (ctx.options.json) {
          ctx.io.out(JSON.stringify(s, null, 2));
          return 0;
        }
        ctx.io.out(`messages:   ${s.messages} (${s.held} held)`);
        ctx.io.out(`recipients: ${Object.entries(s.recipients).map(([k, v]) => `${v} ${k}`).join(', ')}`);
        ctx.io.out(`oldest:     ${s.oldest === null ? '-' : `${iso(s.oldest)} (${Math.round((Date.now() - s.oldest) / 60_000)} minutes ago)`}`);
        if (s.domains.length > 0) {
          ctx.io.out('pending by destination:');
          for (const line of table(['DOMAIN', 'RECIPIENTS'], s.domains.map((d) => [d.domain, String(d.recipients)]))) ctx.io.out(`  ${line}`);
        }
        return 0;
      }
      case 'flush': {
        const n = await store.queue.retryNow(null, Date.now());
        ctx.io.out(`${n} recipient${n === 1 ? '' : 's'} due now; ${woken()}`);
        return 0;
      }
      case 'retry': {
        need(rest, 1, 'petrel queue retry ID');
        if (!(await store.queue.get(rest[0]!))) return notFound();
        const n = await store.queue.retryNow(rest[0]!, Date.now());
        ctx.io.out(`${rest[0]}: ${n} recipient${n === 1 ? '' : 's'} due now; ${woken()}`);
        return 0;
      }
      case 'delete': {
        need(rest, 1, 'petrel queue delete ID');
        if (!(await store.queue.remove(rest[0]!))) return notFound();
        ctx.io.out(`deleted ${rest[0]}`);
        return 0;
      }
      case 'hold':
      case 'release': {
        need(rest, 1, `petrel queue ${action} ID`);
        if (!(await store.queue.setHeld(rest[0]!, action === 'hold', action === 'hold' ? 'by the operator' : undefined))) return notFound();
        ctx.io.out(action === 'hold' ? `held ${rest[0]}` : `released ${rest[0]}; ${woken()}`);
        return 0;
      }
      default:
        throw new UsageError(USAGE);
    }
  });
}
