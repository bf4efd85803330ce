// How the composition root hands an accepted connection to a protocol.
import type { Connection } from '../../net/connection.js';
import type { AlpnId } from '../../net/tls-policy.js';
import type { ListenerSecurity } from '../../net/listeners.js';
import type { ServerContext } from './context.js';

export interface ProtocolHandler {
  /** The config section / listeners.json name. */
  protocol: 'imap' | 'pop3' | 'submission' | 'smtp' | 'lmtp';
  alpn: AlpnId;
  /** Written (before closing) to a plaintext client refused for too many connections from its address. */
  tooManyConnectionsLine: string;
  /** Runs one session to its end. */
  serve(conn: Connection, security: ListenerSecurity, ctx: ServerContext): Promise<void>;
}
