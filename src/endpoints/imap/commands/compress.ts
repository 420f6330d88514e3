/*
 * COMPRESS DEFLATE: the tagged OK is the last uncompressed byte; from then
 * on the session's I/O goes through compression.ts. A second COMPRESS
 * answers NO [COMPRESSIONACTIVE].
 *
 * Exports: compress.
 * Security: allowed only after login (the codec's state table), so the
 * inflater never runs for an unauthenticated peer; over TLS the
 * compressed stream runs inside it.
 * Standards: RFC 4978 sections 3 and 4.
 */
import type { Handler } from '../context.js';

export const compress: Handler<'COMPRESS'> = (s, cmd) => {
  if (cmd.args.mechanism !== 'DEFLATE') return s.tagged(cmd.tag, 'BAD', 'Unknown compression mechanism');
  if (s.compressed) return s.tagged(cmd.tag, 'NO', 'Compression already active', { code: 'COMPRESSIONACTIVE' });
  s.startCompression(cmd.tag);
};
