/*
 * Placeholder until the compiler lands: keeps the public contract compiling.
 */
import type { CompileOptions, CompileResult } from './index.js';

export function compile(source: string, _options: CompileOptions): CompileResult {
  void source;
  return { ok: false, error: { line: 1, column: 1, message: 'the Sieve compiler is not available yet' } };
}
