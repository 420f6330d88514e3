/*
 * The checks of incoming mail, staged (types.ts), run by the pipeline
 * (pipeline.ts) after sanitizing (sanitize.ts). One folder per check.
 *
 * Exports: the contract, FilterPipeline, MessageRun, sanitizeHeader.
 */
export * from './types.js';
export { FilterPipeline, MessageRun, strongest, type BodyOutcome, type PipelineOptions } from './pipeline.js';
export { authservIdOf, sanitizeHeader, OWN_FIELD_PREFIXES } from './sanitize.js';
