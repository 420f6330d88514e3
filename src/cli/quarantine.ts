/*
 * `petrel quarantine`: the messages the filters held (spam or a DMARC
 * policy set to quarantine, a refusal for some recipients only), as
 * amavisd-release and mailcow's quarantine page offer them.
 *
 *   list [--json]            newest first: id, when, size, sender,
 *                            recipients, reason, subject
 *   show ID [--json]         one entry and the message's header
 *                            (--full: the whole message)
 *   release ID...            delivered as if accepted now, by the running
 *                            server (woken with SIGUSR2; without one, at
 *                            its next start)
 *   delete ID...             removed; nothing is sent to anyone
 *
 * Exports: quarantine.
 * Security: operator command; reads the metadata store and the message
 * files. A held message is never bounced, so releasing or deleting one
 * tells no sender anything.
 */
import { readFile } from 'node:fs/promises';
import { headerLength } from '../pipeline/cleanup.js';
import { blobPath } from '../store/blob/files.js';
import type { QuarantinedMessage } from '../store/types.js';
import { need, UsageError, type CommandContext } from './context.js';
import { wakeServer } from './queue.js';
import { table } from './table.js';

const USAGE = 'usage: petrel quarantine list [--json] | show ID [--json] [--full] | release ID... | delete ID...';

const iso = (t: number) => new Date(t).toISOString();

function ids(args: string[], usage: string): number[] {
  need(args, 1, usage);
  return args.map((a) => {
    if (!/^\d+$/.test(a)) throw new UsageError(`not a quarantine id: ${a} (petrel quarantine list shows them)`);
    return Number(a);
  });
}

function describe(e: QuarantinedMessage, out: (line: string) => void): void {
  out(`id:         ${e.id}${e.releaseRequestedAt !== null ? `  (release asked ${iso(e.releaseRequestedAt)})` : ''}`);
  out(`held:       ${iso(e.createdAt)}  queue id ${e.queueId}  ${e.size} bytes  via ${e.source}${e.clientIp ? ` from [${e.clientIp}]` : ''}`);
  out(`reason:     ${e.reason}`);
  out(`sender:     <${e.sender}>`);
  out(`recipients: ${e.recipients.map((r) => `<${r}>`).join(', ')}`);
  if (e.messageId) out(`message-id: ${e.messageId}`);
  if (e.subject !== null) out(`subject:    ${e.subject}`);
}

export async function quarantine(ctx: CommandContext): Promise<number> {
  const [action = 'list', ...rest] = ctx.args;
  return ctx.withStores(async ({ store, paths }) => {
    const missing = (id: number) => ctx.io.err(`no quarantined message ${id}`);
    switch (action) {
      case 'list': {
        const entries = await store.quarantine.list(1000);
        const total = await store.quarantine.count();
        if (ctx.options.json) {
          ctx.io.out(JSON.stringify(entries, null, 2));
          return 0;
        }
        const rows = entries.map((e) => [`${e.id}${e.releaseRequestedAt !== null ? '*' : ''}`, iso(e.createdAt), String(e.size), `<${e.sender}>`, e.recipients.join(', '), e.reason, e.subject ?? '']);
        for (const line of table(['ID', 'HELD', 'SIZE', 'SENDER', 'RECIPIENTS', 'REASON', 'SUBJECT'], rows)) ctx.io.out(line);
        ctx.io.out(`-- ${total} message${total === 1 ? '' : 's'} held${total > entries.length ? ` (the newest ${entries.length} shown)` : ''}`);
        return 0;
      }
      case 'show': {
        const [id] = ids(rest.slice(0, 1), 'petrel quarantine show ID [--json] [--full]');
        const e = await store.quarantine.get(id!);
        if (!e) {
          missing(id!);
          return 1;
        }
        const bytes = await readFile(blobPath(paths.blobs, e.blobHash));
        if (ctx.options.json) {
          ctx.io.out(JSON.stringify({ ...e, header: bytes.subarray(0, headerLength(bytes)).toString('utf8') }, null, 2));
          return 0;
        }
        describe(e, (l) => ctx.io.out(l));
        ctx.io.out('');
        ctx.io.out((ctx.options.full ? bytes : bytes.subarray(0, headerLength(bytes))).toString('utf8').replace(/\r\n$/, '').replace(/\r\n/g, '\n'));
        return 0;
      }
      case 'release':
      case 'delete': {
        let failed = 0;
        for (const id of ids(rest, `petrel quarantine ${action} ID...`)) {
          const done = action === 'release' ? await store.quarantine.requestRelease(id, Date.now()) : await store.quarantine.delete(id);
          if (!done) {
            missing(id);
            failed++;
          } else ctx.io.out(`${action === 'release' ? 'released' : 'deleted'} ${id}`);
        }
        if (action === 'release' && failed < rest.length) ctx.io.out(wakeServer(paths.pidFile) ? 'the server delivers them now' : 'no server is running: they are delivered at its next start');
        return failed > 0 ? 1 : 0;
      }
      default:
        throw new UsageError(USAGE);
    }
  });
}
