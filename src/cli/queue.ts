/*
 * `petrel queue list | show ID | delete ID | hold ID | release ID`: the
 * outbound queue, like mailq and postsuper -d/-h/-H (a held message's ID
 * ends in "!" in the list, as mailq marks it). (Delivery from the queue
 * arrives with outbound mail; it leaves held messages alone.)
 */
import { need, UsageError, type CommandContext } from './context.js';
import { table } from './table.js';

export async function queue(ctx: CommandContext): Promise<number> {
  const [action = 'list', ...rest] = ctx.args;
  return ctx.withStores(async ({ store }) => {
    switch (action) {
      case 'list': {
        const entries = await store.queue.list();
        const rows = entries.map((e) => [`${e.queueId}${e.held ? '!' : ''}`, String(e.size), new Date(e.createdAt).toISOString(), `<${e.sender}>`, e.recipients.map((r) => `${r.recipient} (${r.status})`).join(', ')]);
        for (const line of table(['QUEUE ID', 'SIZE', 'ARRIVED', 'SENDER', 'RECIPIENTS'], rows)) ctx.io.out(line);
        ctx.io.out(`-- ${entries.length} message${entries.length === 1 ? '' : 's'} in the queue`);
        return 0;
      }
      case 'show': {
        need(rest, 1, 'petrel queue show ID');
        const e = await store.queue.get(rest[0]!);
        if (!e) {
          ctx.io.err(`no queued message ${rest[0]}`);
          return 1;
        }
        ctx.io.out(JSON.stringify(e, null, 2));
        return 0;
      }
      case 'delete': {
        need(rest, 1, 'petrel queue delete ID');
        if (!(await store.queue.remove(rest[0]!))) {
          ctx.io.err(`no queued message ${rest[0]}`);
          return 1;
        }
        ctx.io.out(`deleted ${rest[0]}`);
        return 0;
      }
      case 'hold':
      case 'release': {
        need(rest, 1, `petrel queue ${action} ID`);
        if (!(await store.queue.setHeld(rest[0]!, action === 'hold'))) {
          ctx.io.err(`no queued message ${rest[0]}`);
          return 1;
        }
        ctx.io.out(`${action === 'hold' ? 'held' : 'released'} ${rest[0]}`);
        return 0;
      }
      default:
        throw new UsageError('usage: petrel queue list|show|delete|hold|release');
    }
  });
}
