// The IMAP protocol as the composition root sees it.
import type { ProtocolHandler } from '../common/protocol-handler.js';
import { NO_LOG } from '../common/protocol-log.js';
import { ImapSession } from './session.js';

export const imapHandler: ProtocolHandler = {
  protocol: 'imap',
  alpn: 'imap',
  tooManyConnectionsLine: '* BYE [UNAVAILABLE] Too many connections from your address.\r\n',
  async serve(conn, security, ctx) {
    const log = ctx.config().imap.protocolLog ? ctx.protocolLogs.session('imap', conn.id, conn.remoteAddress) : NO_LOG;
    log.event(`connect ${conn.remoteAddress}:${conn.remotePort} on ${conn.localPort}${conn.isTls ? ` ${conn.tlsInfo?.protocol}` : ''}`);
    await new ImapSession(conn, ctx, security === 'tls' ? 'tls' : 'starttls', log).run();
    log.event('disconnect');
  },
};
