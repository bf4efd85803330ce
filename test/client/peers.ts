// Dovecot (IMAP/POP3) and Postfix (submission, with Dovecot SASL) on loopback for the client
// tests, from the shared peer configs via test/peers/. A test file calls startDovecotPeer() or
// startPostfixPeer() in before() and skips with the reason printed when a peer is missing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startDovecot, type DovecotPeer } from '../peers/dovecot.js';
import { startPostfix, type PostfixPeer } from '../peers/postfix.js';
import type { TestCert } from '../peers/certs.js';

export const DOVECOT_USERS: Record<string, string> = {
  'alice@example.test': 'alice-pw',
  'bob@example.test': 'bob-pw',
};

export interface DovecotHandle {
  peer: DovecotPeer;
  /** Puts a message straight into a user's Maildir INBOX (new/), as a delivery agent would. */
  deliver(user: string, message: string | Buffer, folder?: string): void;
  /** The auth socket Postfix can use for SMTP AUTH. */
  authSocket: string;
}

export async function startDovecotPeer(leaf: TestCert, extra = '', users: Record<string, string> = DOVECOT_USERS): Promise<DovecotHandle | string> {
  const started = await startDovecot({
    cert: leaf,
    users,
    // SCRAM on top of the shared config's plain/login, so the client's choice is exercised;
    // an auth socket for Postfix; IMAP extensions the client uses when offered.
    extra: [
      'auth_mechanisms = plain login scram-sha-1 scram-sha-256',
      // Refusals answer at once (the default waits 2 s), to keep the test run short.
      'auth_failure_delay = 0',
      'service auth {',
      '  unix_listener auth-postfix {',
      '    mode = 0666',
      '  }',
      '}',
      extra,
    ].join('\n'),
  });
  if (!started.ok) return started.reason;
  const peer = started.peer;
  return {
    peer,
    authSocket: join(peer.dir, 'run', 'auth-postfix'),
    deliver(user, message, folder) {
      const base = join(peer.dir, 'mail', user, 'Maildir', ...(folder ? [`.${folder}`] : []));
      for (const sub of ['new', 'cur', 'tmp']) mkdirSync(join(base, sub), { recursive: true });
      const name = `${Date.now()}.${randomBytes(6).toString('hex')}.postern-test`;
      writeFileSync(join(base, 'new', name), message);
      spawnSync('chown', ['-R', '5000:5000', join(peer.dir, 'mail')]);
    },
  };
}

export async function startPostfixPeer(leaf: TestCert, dovecotAuthSocket?: string, extraMain = ''): Promise<PostfixPeer | string> {
  const started = await startPostfix({
    cert: leaf,
    extraMain: [
      ...(dovecotAuthSocket ? ['smtpd_sasl_auth_enable = yes', 'smtpd_sasl_type = dovecot', `smtpd_sasl_path = ${dovecotAuthSocket}`] : []),
      extraMain,
    ].join('\n'),
  });
  return started.ok ? started.peer : started.reason;
}
