// The POP3 protocol as the composition root sees it.
import type { ProtocolHandler } from '../common/protocol-handler.js';
import { NO_LOG } from '../common/protocol-log.js';
import { Pop3Session } from './session.js';

export const pop3Handler: ProtocolHandler = {
  protocol: 'pop3',
  alpn: 'pop3',
  tooManyConnectionsLine: '-ERR [SYS/TEMP] Too many connections from your address.\r\n',
  async serve(conn, security, ctx) {
    const log = ctx.config().pop3.protocolLog ? ctx.protocolLogs.session('pop3', conn.id, conn.remoteAddress) : NO_LOG;
    log.event(`connect ${conn.remoteAddress}:${conn.remotePort} on ${conn.localPort}${conn.isTls ? ` ${conn.tlsInfo?.protocol}` : ''}`);
    await new Pop3Session(conn, ctx, security === 'tls' ? 'tls' : 'starttls', log).run();
    log.event('disconnect');
  },
};
