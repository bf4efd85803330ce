// The SMTP services as the composition root sees them: submission (587/465), inbound MX (25)
// and LMTP (local MTAs). One session class; the mode decides which commands exist and which
// recipients are accepted.
import type { ProtocolHandler } from '../common/protocol-handler.js';
import { NO_LOG } from '../common/protocol-log.js';
import { serviceSettings, SmtpSession, type SmtpMode } from './session.js';

function smtpService(mode: SmtpMode): ProtocolHandler {
  return {
    protocol: mode,
    alpn: 'smtp',
    tooManyConnectionsLine: '421 4.7.0 Too many connections from your address; try again later.\r\n',
    async serve(conn, security, ctx) {
      const log = serviceSettings(ctx, mode).protocolLog ? ctx.protocolLogs.session(mode, conn.id, conn.remoteAddress) : NO_LOG;
      log.event(`connect ${conn.remoteAddress}:${conn.remotePort} on ${conn.localPort}${conn.isTls ? ` ${conn.tlsInfo?.protocol}` : ''}`);
      await new SmtpSession(conn, ctx, mode, security, log).run();
      log.event('disconnect');
    },
  };
}

export const submissionHandler = smtpService('submission');
export const smtpHandler = smtpService('smtp');
export const lmtpHandler = smtpService('lmtp');
