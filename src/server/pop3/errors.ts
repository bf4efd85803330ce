// Typed errors POP3 handlers raise; the session maps them once to -ERR lines (DESIGN §1).
import { errLine, type Pop3ResponseCode } from '../../wire/pop3/command.js';
import { StoreError } from '../../store/types.js';

export class Pop3Error extends Error {
  constructor(message: string, readonly code?: Pop3ResponseCode, readonly countsAsBad = false) {
    super(message);
    this.name = 'Pop3Error';
  }
}

export class NoSuchMessage extends Pop3Error {
  constructor() {
    super('No such message.');
  }
}

export class MessageDeleted extends Pop3Error {
  constructor() {
    super('Message is deleted.');
  }
}

export function errorReply(err: unknown): string {
  if (err instanceof Pop3Error) return errLine(err.message, err.code);
  if (err instanceof StoreError && err.code === 'NOT_FOUND') {
    return errLine('The message was removed by another session.', 'SYS/TEMP');
  }
  return errLine('Internal error; try again later.', 'SYS/TEMP');
}
