// Typed errors SMTP/LMTP handlers raise, and the one table that turns any error into a reply
// code with its RFC 3463 enhanced status code (DESIGN §1: errors are mapped once per protocol).
import { StoreError } from '../../store/types.js';
import { QueueError } from '../../store/queue-types.js';
import { DeliveryError } from '../delivery/local.js';
import type { ReplySpec } from '../../wire/smtp/command.js';

export class SmtpError extends Error {
  constructor(readonly code: number, readonly enhanced: string, message: string, readonly countsAsBad = false) {
    super(message);
    this.name = 'SmtpError';
  }

  get reply(): ReplySpec {
    return { code: this.code, enhanced: this.enhanced, text: this.message };
  }
}

/** 503 5.5.1: a command out of order (RFC 5321 §4.3.2). */
export class BadSequence extends SmtpError {
  constructor(message: string) {
    super(503, '5.5.1', message, true);
  }
}

/** 530 5.7.0: AUTH first (RFC 4954 §6). */
export class AuthenticationRequired extends SmtpError {
  constructor(message = 'Authentication required.') {
    super(530, '5.7.0', message);
  }
}

/** 530 5.7.0 with the STARTTLS hint (RFC 3207 §4). */
export class TlsRequired extends SmtpError {
  constructor(message = 'Must issue a STARTTLS command first.') {
    super(530, '5.7.0', message);
  }
}

/** 550 5.1.1: no such mailbox here (RFC 3463 §3.2). */
export class UnknownRecipient extends SmtpError {
  constructor(address: string) {
    super(550, '5.1.1', `<${address}>: Recipient address rejected: no such mailbox here.`);
  }
}

/** 554 5.7.1: we are not an open relay (RFC 5321 §3.6.2, §7.1). */
export class RelayDenied extends SmtpError {
  constructor(address: string, why: string) {
    super(554, '5.7.1', `<${address}>: Relay access denied: ${why}`);
  }
}

/** 553 5.7.1: the user may not send as that address (RFC 6409 §6.1, Exchange's Send As). */
export class SenderNotAllowed extends SmtpError {
  constructor(address: string, where: 'envelope' | 'header') {
    super(where === 'envelope' ? 553 : 550, '5.7.1',
      where === 'envelope'
        ? `<${address}>: Sender address rejected: not owned by the authenticated user.`
        : `From: ${address} is not an address you may send as; use your own address or one you hold FullAccess on.`);
  }
}

/** 552 5.3.4: larger than SIZE allows (RFC 1870 §6). */
export class MessageTooLarge extends SmtpError {
  constructor(limit: number) {
    super(552, '5.3.4', `Message size exceeds the fixed limit of ${limit} octets.`);
  }
}

/** 452 4.5.3: too many recipients (RFC 5321 §4.5.3.1.10; the client sends the rest later). */
export class TooManyRecipients extends SmtpError {
  constructor(max: number) {
    super(452, '4.5.3', `Too many recipients: at most ${max} per message.`);
  }
}

/** The reply for any error, never a stack trace: unknown errors become 451 4.3.0. */
export function errorReply(err: unknown): ReplySpec {
  if (err instanceof SmtpError) return err.reply;
  if (err instanceof DeliveryError) {
    switch (err.code) {
      case 'unknown-recipient': return { code: 550, enhanced: '5.1.1', text: err.message };
      case 'no-such-mailbox': return { code: 550, enhanced: '5.2.0', text: err.message };
      case 'too-large': return { code: 552, enhanced: '5.3.4', text: err.message };
      case 'temporary': return { code: 451, enhanced: '4.3.0', text: err.message };
    }
  }
  if (err instanceof StoreError && err.code === 'OVER_QUOTA') return { code: 552, enhanced: '5.2.2', text: 'Mailbox full: over quota.' };
  if (err instanceof QueueError && err.code === 'INVALID') return { code: 554, enhanced: '5.6.0', text: err.message };
  return { code: 451, enhanced: '4.3.0', text: 'Local error in processing; try again later.' };
}
