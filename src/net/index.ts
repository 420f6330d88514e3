export { normalizeIp, clientKey, isLoopback, inNetworks, isNetwork } from './ip.js';
export { ConnectionLimiter } from './connection-limiter.js';
export { parseListen, formatListen, bindServer, type ListenAddress } from './listen.js';
