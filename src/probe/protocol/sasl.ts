// The SASL exchange loop shared by SMTP AUTH (RFC 4954), IMAP AUTHENTICATE (RFC 9051 §6.2.2)
// and POP3 AUTH (RFC 5034): the protocols differ only in how a challenge, a response and the
// final answer are framed, which each driver supplies as a SaslIo.
import { createClientExchange, pickMechanism } from '../../wire/sasl/client.js';
import type { LoginOptions } from './types.js';

export type SaslServerStep =
  | { kind: 'challenge'; data: Buffer }
  | { kind: 'done'; ok: boolean; reply: string; data?: Buffer };

export interface SaslIo {
  /** Sends the command; `initial` is the base64 initial response, "=" for an empty one, or
   * null when none is sent (RFC 4954 §4, RFC 4959 §3, RFC 5034 §4). */
  start(initial: string | null): void;
  /** A base64 response line (or "*" to cancel). */
  send(line: string): void;
  next(): Promise<SaslServerStep>;
}

export interface SaslChoice {
  mechanism: string;
  run(io: SaslIo, initialResponseAllowed: boolean): Promise<{ ok: boolean; reply: string }>;
}

/** The best mechanism we can use among `offered` (channel-bound SCRAM, SCRAM, then PLAIN and
 * LOGIN only on an encrypted connection or with explicit consent). Null when none fits. */
export function chooseSasl(offered: string[], user: string, password: string, options: LoginOptions): SaslChoice | null {
  const mechanism = pickMechanism(offered, {
    hasChannelBinding: options.channelBinding !== undefined,
    allowCleartext: options.encrypted || options.allowCleartext,
  });
  if (!mechanism) return null;
  const exchange = createClientExchange(mechanism, {
    username: user,
    password,
    ...(options.channelBinding && { channelBinding: options.channelBinding }),
  });
  if (!exchange) return null;
  return {
    mechanism,
    async run(io, initialResponseAllowed) {
      let initial: string | null = null;
      if (initialResponseAllowed) {
        const ir = exchange.initialResponse();
        if (ir !== null) initial = ir.length === 0 ? '=' : ir.toString('base64');
      }
      io.start(initial);
      for (let round = 0; round < 10; round++) {
        const step = await io.next();
        if (step.kind === 'done') {
          if (!step.ok) return { ok: false, reply: step.reply };
          const fin = exchange.finish(step.data);
          if (fin.type === 'error') return { ok: false, reply: `${step.reply} — but ${fin.message}` };
          return { ok: true, reply: step.reply };
        }
        const next = exchange.step(step.data);
        if (next.type === 'respond') io.send(next.data.toString('base64'));
        else if (next.type === 'done') io.send('');
        else io.send('*'); // cancel (RFC 4954 §4); the server answers with a failure
      }
      return { ok: false, reply: 'the SASL exchange did not end after 10 rounds' };
    },
  };
}
