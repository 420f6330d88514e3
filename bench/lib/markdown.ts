/*
 * A Markdown table from rows of cells, as the benchmarks print them for
 * docs/BENCHMARKS.md (the second row is the caller's `---` separators).
 *
 * Exports: markdown.
 * Security: benchmark output only.
 */
export const markdown = (rows: string[][]): string => rows.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
