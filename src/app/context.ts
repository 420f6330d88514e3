/*
 * Opens the stores and services the server and the CLI share: the metadata
 * store, the blob store and the directory, on one data directory. The
 * concrete backends are chosen here and nowhere else.
 *
 * Security: creates the data directory with mode 0700.
 */
import { mkdirSync } from 'node:fs';
import type { LoadedConfig } from '../config/load.js';
import { Directory } from '../directory/directory.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { MetadataStore } from '../store/types.js';
import { dataPaths, type DataPaths } from './paths.js';

export interface StoreContext {
  paths: DataPaths;
  store: MetadataStore;
  directory: Directory;
  close(): Promise<void>;
}

export async function openStores(loaded: LoadedConfig): Promise<StoreContext> {
  const { config } = loaded;
  const paths = dataPaths(loaded.dataDir, config);
  mkdirSync(paths.root, { recursive: true, mode: 0o700 });
  const store = await openSqliteStore({ path: paths.database, fsync: config.storage.fsync });
  const directory = new Directory(store.directory, {
    subaddressSeparator: config.directory.subaddress_separator,
    postmaster: config.directory.postmaster,
  });
  return { paths, store, directory, close: () => store.close() };
}
