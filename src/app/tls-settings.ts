/*
 * The certificate registry's settings from the configuration and the data
 * paths, so the server, `petrel cert`, `petrel dns plan` and the doctor
 * read the same certificate sources.
 *
 * Exports: tlsSettingsFor.
 * Security: configuration only.
 * Standards: none.
 */
import type { Config } from '../config/schema.js';
import type { TlsSettings } from '../tls/index.js';
import type { DataPaths } from './paths.js';

export function tlsSettingsFor(config: Config, paths: DataPaths): TlsSettings {
  return {
    certsDir: paths.certs,
    certificates: config.tls.certificate,
    defaultName: config.tls.default_name || undefined,
    selfSignedDir: paths.selfSigned,
    hostname: config.hostname,
  };
}
