// The protocols this build serves. Adding one is a line here.
import type { ProtocolHandler } from './common/protocol-handler.js';
import { imapHandler } from './imap/handler.js';
import { pop3Handler } from './pop3/handler.js';
import { lmtpHandler, smtpHandler, submissionHandler } from './smtp/handler.js';

export function protocolHandlers(): Map<string, ProtocolHandler> {
  const all: ProtocolHandler[] = [imapHandler, pop3Handler, submissionHandler, smtpHandler, lmtpHandler];
  return new Map(all.map((h) => [h.protocol, h]));
}
