/*
 * Users' Sieve scripts with the [managesieve] limits, as the running
 * server (ManageSieve) and `petrel sieve` both open them. The server keeps
 * the settings object and updates it in place on SIGHUP, so new limits
 * apply to the next command of every session.
 *
 * Exports: sieveScriptsFor, sieveScriptSettings, SIEVE_RELOADABLE_KEYS.
 * Security: none beyond the service's (sieve-scripts/service.ts).
 */
import type { Config } from '../config/schema.js';
import { SieveScripts, type SieveScriptSettings } from '../sieve-scripts/index.js';
import type { SieveScriptStore } from '../store/types.js';

/** The [managesieve] keys a reload applies to the running server; the others (enabled, listen) need a restart. */
export const SIEVE_RELOADABLE_KEYS = ['max_script_size', 'max_scripts', 'max_storage'] as const;

export function sieveScriptSettings(config: Config): SieveScriptSettings {
  const c = config.managesieve;
  return { maxScriptSize: c.max_script_size, maxScripts: c.max_scripts, maxStorageBytes: c.max_storage };
}

/** The service over the store; give the same settings object to update it in place later. */
export function sieveScriptsFor(config: Config, store: SieveScriptStore, settings: SieveScriptSettings = sieveScriptSettings(config)): SieveScripts {
  return new SieveScripts(store, settings);
}
