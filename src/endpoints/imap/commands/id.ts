/*
 * ID: the server's name; the client's fields are logged (escaped by the logger).
 *
 * Exports: id.
 * Security: allowed before login (RFC 2971); the server answers with its
 * name only, no version, so scanners learn little.
 * Standards: RFC 2971.
 */
import { encodeId } from '../../../proto/imap/index.js';
import type { Handler } from '../context.js';

export const id: Handler<'ID'> = (s, cmd) => {
  const params = cmd.args.params;
  if (params) {
    const name = params.find(([k]) => k === 'name')?.[1];
    const version = params.find(([k]) => k === 'version')?.[1];
    s.log.info('client-id', { name: name?.slice(0, 64), version: version?.slice(0, 64) });
  }
  s.send(encodeId([['name', 'Petrel']]));
  s.tagged(cmd.tag, 'OK', 'ID completed');
};
