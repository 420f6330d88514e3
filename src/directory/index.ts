export { Directory, DirectoryError, accountAddress } from './directory.js';
export { RecipientResolver, MAX_ALIAS_DEPTH, MAX_ALIAS_TARGETS, type Resolution, type Target, type ResolveOptions } from './resolve.js';
