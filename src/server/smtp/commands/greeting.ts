// Shared by EHLO, HELO and LHLO: the greeting reply (RFC 5321 §4.1.1.1, RFC 2033 §4.1).
import type { SmtpSession } from '../session.js';
import { ehloKeywords } from '../registry.js';

export function answerGreeting(s: SmtpSession, verb: 'EHLO' | 'HELO' | 'LHLO', domain: string): void {
  s.greet({ verb, domain });
  const first = `${s.ctx.hostname} Hello ${domain.slice(0, 100)} [${s.conn.remoteAddress}]`;
  // RFC 2034 §3: no enhanced status code on the EHLO/HELO/LHLO reply.
  if (verb === 'HELO') s.reply(250, null, first);
  else s.reply(250, null, [first, ...ehloKeywords(s)]);
}
