/*
 * `petrel user add ADDRESS [--password-stdin] [--quota SIZE] | passwd
 * ADDRESS [--password-stdin] | list [DOMAIN] | remove ADDRESS`
 */
import { accountAddress } from '../directory/directory.js';
import { formatSize, parseSize } from '../config/units.js';
import { need, UsageError, type CommandContext } from './context.js';
import { table } from './table.js';

function quotaOption(ctx: CommandContext): number | undefined {
  const text = ctx.options.quota as string | undefined;
  if (text === undefined) return undefined;
  const bytes = parseSize(text);
  if (bytes === undefined) throw new UsageError(`--quota ${text}: not a size (use 500M, 2G, or 0 for none)`);
  return bytes;
}

export async function user(ctx: CommandContext): Promise<number> {
  const [action, ...rest] = ctx.args;
  const fromStdin = ctx.options['password-stdin'] === true;
  switch (action) {
    case 'add': {
      need(rest, 1, 'petrel user add ADDRESS [--password-stdin] [--quota SIZE]');
      const quota = quotaOption(ctx) ?? 0;
      const password = await ctx.io.readPassword(fromStdin);
      return ctx.withStores(async ({ directory }) => {
        const account = await directory.addUser(rest[0]!, password, quota);
        ctx.io.out(`added user ${accountAddress(account)}${quota ? ` with a quota of ${formatSize(quota)}` : ''}`);
        return 0;
      });
    }
    case 'passwd': {
      need(rest, 1, 'petrel user passwd ADDRESS [--password-stdin]');
      const password = await ctx.io.readPassword(fromStdin);
      return ctx.withStores(async ({ directory }) => {
        await directory.setPassword(rest[0]!, password);
        ctx.io.out(`password changed for ${rest[0]}`);
        return 0;
      });
    }
    case 'quota': {
      need(rest, 1, 'petrel user quota ADDRESS --quota SIZE');
      const quota = quotaOption(ctx);
      if (quota === undefined) throw new UsageError('usage: petrel user quota ADDRESS --quota SIZE');
      return ctx.withStores(async ({ directory }) => {
        await directory.setQuota(rest[0]!, quota);
        ctx.io.out(`quota for ${rest[0]} is now ${quota ? formatSize(quota) : 'unlimited'}`);
        return 0;
      });
    }
    case 'enable':
    case 'disable':
      need(rest, 1, `petrel user ${action} ADDRESS`);
      return ctx.withStores(async ({ directory }) => {
        await directory.setEnabled(rest[0]!, action === 'enable');
        ctx.io.out(`${rest[0]} ${action}d`);
        return 0;
      });
    case 'list':
      return ctx.withStores(async ({ directory }) => {
        const rows = (await directory.listUsers(rest[0])).map((a) => [
          accountAddress(a),
          a.quotaBytes ? formatSize(a.quotaBytes) : '-',
          String(a.usedBytes),
          a.enabled ? 'yes' : 'no',
        ]);
        for (const line of table(['USER', 'QUOTA', 'USED', 'ENABLED'], rows)) ctx.io.out(line);
        return 0;
      });
    case 'remove':
      need(rest, 1, 'petrel user remove ADDRESS');
      return ctx.withStores(async ({ directory }) => {
        await directory.removeUser(rest[0]!);
        ctx.io.out(`removed user ${rest[0]} and their mailboxes`);
        return 0;
      });
    default:
      throw new UsageError('usage: petrel user add|passwd|quota|enable|disable|list|remove');
  }
}
