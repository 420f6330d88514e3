/*
 * The clamav filter's settings, with their defaults, and the mapping of
 * the [clamav] configuration section onto them (the filter never reads
 * configuration itself).
 *
 * Exports: ClamavSettings, DEFAULT_CLAMAV_SETTINGS, clamavSettingsFrom.
 * Security: operator input only.
 */
import type { Config } from '../../config/schema.js';
import type { ClientInfo } from '../types.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MAX_SIZE, DEFAULT_TIMEOUT_MS, STREAM_IDLE_MS } from './limits.js';

export interface ClamavSettings {
  /** "127.0.0.1:3310", "[::1]:3310" or an absolute path to clamd's LocalSocket. */
  address: string;
  /** One message's whole exchange, the scan included. */
  timeoutMs: number;
  connectTimeoutMs: number;
  /** While the message is sent, how long clamd may read nothing (capped by timeoutMs). */
  idleTimeoutMs: number;
  /** Accept and tag (X-Virus-Status: Unscanned) what could not be scanned, instead of 451 4.7.1. */
  failOpen: boolean;
  /** Larger messages are not sent: they go unscanned as "limits exceeded". At most clamd's StreamMaxLength. */
  maxSize: number;
  /**
   * Sessions whose mail is scanned. Default the MX and submission (implicit TLS too): mail from the world and
   * from our own users (a compromised account or machine sending malware). Not LMTP: the MTA in front hands
   * over mail it has already checked.
   */
  roles: ClientInfo['role'][];
}

export const DEFAULT_CLAMAV_SETTINGS: Readonly<ClamavSettings> = Object.freeze({
  address: '127.0.0.1:3310',
  timeoutMs: DEFAULT_TIMEOUT_MS,
  connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
  idleTimeoutMs: STREAM_IDLE_MS,
  failOpen: false,
  maxSize: DEFAULT_MAX_SIZE,
  roles: ['mx', 'submission', 'submissions'],
} satisfies ClamavSettings);

/** [clamav] as the filter reads it (enabled is the caller's to check). */
export function clamavSettingsFrom(section: Config['clamav']): ClamavSettings {
  return {
    ...DEFAULT_CLAMAV_SETTINGS,
    address: section.address,
    timeoutMs: section.timeout,
    connectTimeoutMs: section.connect_timeout,
    idleTimeoutMs: Math.min(STREAM_IDLE_MS, section.timeout),
    failOpen: section.fail_open,
    maxSize: section.max_size,
    roles: [...DEFAULT_CLAMAV_SETTINGS.roles],
  };
}
