export * from './errors.js';
export * from './address.js';
export * from './ids.js';
export * from './clock.js';
export * from './mailbox-names.js';
