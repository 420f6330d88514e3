export { normalizeIp, clientKey, isLoopback } from './ip.js';
export { ConnectionLimiter } from './connection-limiter.js';
export { parseListen, formatListen, type ListenAddress } from './listen.js';
