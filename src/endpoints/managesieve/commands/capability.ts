/*
 * CAPABILITY: the capability listing for the session's state, then OK.
 *
 * Exports: capability.
 * Security: none beyond capabilities.ts (no SASL before TLS).
 * Standards: RFC 5804 section 2.4.
 */
import type { Handler } from '../context.js';

export const capability: Handler<'CAPABILITY'> = (s) => s.sendCapabilities();
