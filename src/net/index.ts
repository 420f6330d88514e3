export { normalizeIp, clientKey, isLoopback, inNetworks, isNetwork } from './ip.js';
export { ConnectionLimiter, UserClientLimiter } from './connection-limiter.js';
export { AuthFailures, DEFAULT_AUTH_FAILURE_POLICY, type AuthFailurePolicy, type AuthExempt, type BanListener } from './auth-failures.js';
export { parseListen, formatListen, bindServer, type ListenAddress } from './listen.js';
