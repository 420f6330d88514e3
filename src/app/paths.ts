/*
 * Where things live under the data directory. The CLI and the server use
 * the same function, so they always agree.
 */
import { isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';

export interface DataPaths {
  root: string;
  database: string;
  blobs: string;
  certs: string;
  selfSigned: string;
  pidFile: string;
}

export function dataPaths(dataDir: string, config: Config): DataPaths {
  const root = resolve(dataDir);
  const certs = config.tls.certs_dir ? (isAbsolute(config.tls.certs_dir) ? config.tls.certs_dir : resolve(config.tls.certs_dir)) : join(root, 'certs');
  return {
    root,
    database: join(root, 'petrel.db'),
    blobs: join(root, 'blobs'),
    certs,
    selfSigned: join(root, 'self-signed'),
    pidFile: join(root, 'petrel.pid'),
  };
}
