/*
 * `petrel alias add FROM TO... | list [DOMAIN] | remove FROM`; FROM may be
 * `@domain` for the domain's catch-all.
 */
import { domainToDisplay } from '../core/address.js';
import { need, UsageError, type CommandContext } from './context.js';
import { table } from './table.js';

export async function alias(ctx: CommandContext): Promise<number> {
  const [action, ...rest] = ctx.args;
  return ctx.withStores(async ({ directory }) => {
    switch (action) {
      case 'add': {
        need(rest, 2, 'petrel alias add FROM TO...');
        const [from, ...targets] = rest as [string, ...string[]];
        const a = await directory.addAlias(from, targets);
        ctx.io.out(`${from} -> ${a.targets.join(', ')}`);
        return 0;
      }
      case 'list': {
        const rows = (await directory.listAliases(rest[0])).map((a) => [`${a.local}@${domainToDisplay(a.domain)}`, a.targets.join(', ')]);
        for (const line of table(['ALIAS', 'TARGETS'], rows)) ctx.io.out(line);
        return 0;
      }
      case 'remove':
        need(rest, 1, 'petrel alias remove FROM');
        await directory.removeAlias(rest[0]!);
        ctx.io.out(`removed alias ${rest[0]}`);
        return 0;
      default:
        throw new UsageError('usage: petrel alias add|list|remove');
    }
  });
}
