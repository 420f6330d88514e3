/*
 * `petrel config check [FILE]`: validates a configuration and names the key
 * and the reason of every problem.
 */
import { ConfigError, loadConfig } from '../config/load.js';
import type { CommandContext } from './context.js';

export async function configCheck(ctx: CommandContext): Promise<number> {
  const file = ctx.args[0] ?? (ctx.options.config as string | undefined);
  try {
    const loaded = loadConfig({ file });
    ctx.io.out(`${loaded.file ?? '(built-in defaults)'}: ok`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      ctx.io.err(err.describe());
      return 1;
    }
    throw err;
  }
}
