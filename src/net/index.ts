export { normalizeIp, clientKey, isLoopback, inNetworks, isNetwork } from './ip.js';
export { ConnectionLimiter } from './connection-limiter.js';
export { parseListen, formatListen, type ListenAddress } from './listen.js';
