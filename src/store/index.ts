export type * from './types.js';
export { openSqliteStore } from './sqlite/index.js';
export { FileBlobStore, sha256, type BlobStore } from './blob/index.js';
export { LATEST_VERSION } from './sql/migrations.js';
