/*
 * Users' Sieve scripts with the [managesieve] limits, as the running
 * server (ManageSieve) and `petrel sieve` both open them.
 *
 * Exports: sieveScriptsFor.
 * Security: none beyond the service's (sieve-scripts/service.ts).
 */
import type { Config } from '../config/schema.js';
import { SieveScripts } from '../sieve-scripts/index.js';
import type { SieveScriptStore } from '../store/types.js';

export function sieveScriptsFor(config: Config, store: SieveScriptStore): SieveScripts {
  const c = config.managesieve;
  return new SieveScripts(store, { maxScriptSize: c.max_script_size, maxScripts: c.max_scripts, maxStorageBytes: c.max_storage });
}
