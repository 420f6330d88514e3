/*
 * `petrel domain add NAME [--alias-of DOMAIN] | list | remove NAME`
 *
 * `add` makes the domain's DKIM keys ([dkim]: RSA-2048, and Ed25519 when
 * asked) in the same transaction, and prints everything the domain must
 * publish in DNS (`petrel dns plan`), its DKIM records among them.
 */
import { domainToDisplay } from '../core/address.js';
import { defaultSelector, generateDkimKey } from '../sender-auth/dkim-keys.js';
import type { DkimKeyInput } from '../store/types.js';
import { planZoneText } from '../dns/plan.js';
import { domainPlan } from './dns.js';
import { need, UsageError, type CommandContext } from './context.js';
import { table } from './table.js';

export async function domain(ctx: CommandContext): Promise<number> {
  const [action, ...rest] = ctx.args;
  return ctx.withStores(async (stores, { config }) => {
    const { directory } = stores;
    switch (action) {
      case 'add': {
        need(rest, 1, 'petrel domain add NAME [--alias-of DOMAIN]');
        const aliasOf = ctx.options['alias-of'] as string | undefined;
        const selector = config.dkim.selector || defaultSelector();
        const dkimKeys = (): DkimKeyInput[] => [generateDkimKey('rsa-sha256', selector), ...(config.dkim.ed25519 ? [generateDkimKey('ed25519-sha256', selector)] : [])];
        const d = await directory.addDomain(rest[0]!, aliasOf ? { aliasOf, dkimKeys } : { dkimKeys });
        ctx.io.out(`added domain ${d.name}${d.ascii !== d.name ? ` (${d.ascii})` : ''}${d.aliasOf ? `, an alias of ${domainToDisplay(d.aliasOf)}` : ''}`);
        ctx.io.out(`publish in DNS (petrel dns plan ${d.name} prints this again; --json for tools):`);
        for (const line of planZoneText(await domainPlan(stores, config, d.ascii)).trimEnd().split('\n')) ctx.io.out(line ? `  ${line}` : '');
        if (!d.aliasOf) ctx.io.out(`next: petrel user add someone@${d.name}`);
        ctx.io.out('a running server picks the domain up at once; its certificate at the next `petrel cert reload`');
        return 0;
      }
      case 'list': {
        const rows = (await directory.listDomains()).map((d) => [d.name, d.ascii === d.name ? '' : d.ascii, d.aliasOf ? `alias of ${domainToDisplay(d.aliasOf)}` : '']);
        for (const line of table(['DOMAIN', 'A-LABEL', 'KIND'], rows)) ctx.io.out(line);
        return 0;
      }
      case 'remove':
        need(rest, 1, 'petrel domain remove NAME');
        await directory.removeDomain(rest[0]!);
        ctx.io.out(`removed domain ${rest[0]} with its users, aliases and mailboxes`);
        return 0;
      default:
        throw new UsageError('usage: petrel domain add|list|remove');
    }
  });
}
