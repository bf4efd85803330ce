/**
 * Plays the protocol layer between one of our client exchanges and one of our server exchanges,
 * the way IMAP/POP3/SMTP drive them, and records what went over the wire.
 */
import type { SaslClientExchange } from '../../../src/wire/sasl/client.js';
import type { SaslFailureReason, SaslServerExchange, ScramCredentials } from '../../../src/wire/sasl/server.js';

export interface RunOptions {
  /** Send the client's initial response with the command (SASL-IR) instead of waiting for "+". */
  initialResponse?: boolean;
  /** How SCRAM's server-final-message travels: as success data, or as a last challenge (IMAP4rev1, SMTP). */
  successData?: 'with-success' | 'as-challenge';
  /** The directory: SCRAM credentials by (prepared) user name; missing = unknown user. */
  scramUsers?: Record<string, ScramCredentials>;
  /** The directory for PLAIN/LOGIN. */
  passwords?: Record<string, string>;
}

export type Outcome =
  | { result: 'success'; authcid: string; authzid: string; transcript: string[] }
  | { result: 'server-failure'; reason: SaslFailureReason; message: string; transcript: string[] }
  | { result: 'client-error'; message: string; transcript: string[] };

const show = (b: Buffer) => b.toString('latin1');

export function run(client: SaslClientExchange, server: SaslServerExchange, options: RunOptions = {}): Outcome {
  const transcript: string[] = [];
  let ir: Buffer | null = null;
  if (options.initialResponse ?? true) {
    ir = client.initialResponse();
  }
  transcript.push(`C: AUTH ${client.mechanism}${ir === null ? '' : ` ${show(ir)}`}`);
  let step = server.step(ir);
  for (let guard = 0; guard < 20; guard++) {
    switch (step.type) {
      case 'challenge': {
        transcript.push(`S: ${show(step.data)}`);
        const answer = client.step(step.data);
        if (answer.type === 'error') return { result: 'client-error', message: answer.message, transcript };
        if (answer.type !== 'respond') throw new Error('client ended the exchange on a challenge');
        transcript.push(`C: ${show(answer.data)}`);
        step = server.step(answer.data);
        break;
      }
      case 'need-scram-credentials':
        step = server.provideScramCredentials(options.scramUsers?.[step.authcid] ?? null);
        break;
      case 'check-password': {
        const ok = options.passwords?.[step.authcid] === step.password;
        if (!ok) {
          transcript.push('S: failure');
          return { result: 'server-failure', reason: 'bad-proof', message: 'authentication failed', transcript };
        }
        step = { type: 'success', authcid: step.authcid, authzid: step.authzid };
        break;
      }
      case 'success': {
        let done;
        if (step.additionalData && options.successData === 'as-challenge') {
          transcript.push(`S: ${show(step.additionalData)}`);
          const answer = client.step(step.additionalData);
          if (answer.type === 'error') return { result: 'client-error', message: answer.message, transcript };
          if (answer.type !== 'respond' || answer.data.length !== 0) throw new Error('client must answer the server-final challenge with an empty response');
          transcript.push('C: (empty)');
          done = client.finish();
        } else {
          transcript.push(`S: success${step.additionalData ? ` ${show(step.additionalData)}` : ''}`);
          done = client.finish(step.additionalData);
        }
        if (done.type === 'error') return { result: 'client-error', message: done.message, transcript };
        return { result: 'success', authcid: step.authcid, authzid: step.authzid, transcript };
      }
      case 'failure':
        transcript.push(`S: failure ${step.message}`);
        return { result: 'server-failure', reason: step.reason, message: step.message, transcript };
    }
  }
  throw new Error('exchange did not end');
}
