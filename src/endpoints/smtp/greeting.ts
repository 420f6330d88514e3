/*
 * smtp-server waits a fixed 100 ms before every banner to catch early
 * talkers, on every listener and for every client, with no option to
 * change it. That caps one client at ten connections a second and makes
 * the pause the same for a botnet and for the Postfix on loopback in front
 * of our LMTP. This wraps SMTPConnection#init once, at start-up, to start
 * the session at once; the pause is then ours: [smtp] greeting_delay on the
 * MX for clients outside trusted_networks (endpoint.ts, onConnect), during
 * which smtp-server still drops a client that talks first.
 *
 * Security: early-talker detection (postscreen's pregreet test) stays, with
 * an operator-chosen pause instead of a fixed one.
 * Standards: RFC 5321 section 4.3.1 (the client waits for the greeting).
 */
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

let installed = false;

interface ConnectionLike {
  _server: { options: { maxClients?: number }; connections: Set<unknown> };
  name: string;
  _setListeners(callback: () => void): void;
  connectionReady(): void;
  send(code: number, data: string, context?: unknown): void;
}

export function installImmediateGreeting(): void {
  if (installed) return;
  installed = true;
  const proto = SMTPConnection.prototype as unknown as { init(this: ConnectionLike): void };
  proto.init = function init(this: ConnectionLike) {
    this._setListeners(() => {
      const { maxClients } = this._server.options;
      if (maxClients && this._server.connections.size > maxClients) {
        this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
        return;
      }
      this.connectionReady();
    });
  };
}
