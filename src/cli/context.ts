/*
 * What every CLI command receives: parsed options, the I/O, and a way to
 * open the data directory the server uses (same --config and --data).
 */
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { openStores, type StoreContext } from '../app/context.js';
import type { Io } from './io.js';

export interface CommandContext {
  args: string[];
  options: Record<string, string | boolean | undefined>;
  io: Io;
  loadConfig(): LoadedConfig;
  /** Opens the stores, runs fn, closes them. */
  withStores<T>(fn: (stores: StoreContext, loaded: LoadedConfig) => Promise<T>): Promise<T>;
}

export function commandContext(args: string[], options: CommandContext['options'], io: Io): CommandContext {
  const load = () => loadConfig({ file: options.config as string | undefined, dataDir: options.data as string | undefined });
  return {
    args,
    options,
    io,
    loadConfig: load,
    async withStores(fn) {
      const loaded = load();
      const stores = await openStores(loaded);
      try {
        return await fn(stores, loaded);
      } finally {
        await stores.close();
      }
    },
  };
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function need(args: string[], count: number, usage: string): void {
  if (args.length < count) throw new UsageError(`usage: ${usage}`);
}
