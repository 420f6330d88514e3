export { FileBlobStore, sha256, type BlobStore } from './files.js';
