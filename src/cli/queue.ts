/*
 * `petrel queue list | show ID | delete ID`: the outbound queue, like mailq
 * and postsuper -d. (Delivery from the queue arrives with outbound mail.)
 */
import { need, UsageError, type CommandContext } from './context.js';
import { table } from './table.js';

export async function queue(ctx: CommandContext): Promise<number> {
  const [action = 'list', ...rest] = ctx.args;
  return ctx.withStores(async ({ store }) => {
    switch (action) {
      case 'list': {
        const entries = await store.queue.list();
        const rows = entries.map((e) => [e.queueId, String(e.size), new Date(e.createdAt).toISOString(), `<${e.sender}>`, e.recipients.map((r) => `${r.recipient} (${r.status})`).join(', ')]);
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
      default:
        throw new UsageError('usage: petrel queue list|show|delete');
    }
  });
}
