// Typed errors IMAP handlers raise; the session maps them once to a tagged NO or BAD with a
// response code (DESIGN §1 "errors are mapped once per protocol", RFC 5530 response codes).
import { StoreError } from '../../store/types.js';
import type { ResponseCode } from '../../wire/imap/response.js';

export class ImapError extends Error {
  constructor(
    readonly status: 'NO' | 'BAD',
    message: string,
    readonly code: ResponseCode | null = null,
    readonly codeArgs?: string,
  ) {
    super(message);
    this.name = 'ImapError';
  }
}

/** A syntax or state error: BAD, and it counts towards the bad-command limit. */
export class BadCommand extends ImapError {
  constructor(message: string, code: ResponseCode | null = null) {
    super('BAD', message, code);
  }
}

export class NoSuchMailbox extends ImapError {
  constructor(name: string, code: ResponseCode = 'NONEXISTENT') {
    super('NO', `Mailbox doesn't exist: ${name}`, code);
  }
}

export interface MappedError {
  status: 'NO' | 'BAD';
  code: ResponseCode | null;
  codeArgs?: string;
  text: string;
  /** An error nobody expected: logged as a server fault. */
  unexpected: boolean;
}

export function mapError(err: unknown): MappedError {
  if (err instanceof ImapError) {
    return { status: err.status, code: err.code, ...(err.codeArgs !== undefined ? { codeArgs: err.codeArgs } : {}), text: err.message, unexpected: false };
  }
  if (err instanceof StoreError) {
    switch (err.code) {
      case 'NOT_FOUND': return { status: 'NO', code: 'NONEXISTENT', text: err.message, unexpected: false };
      case 'ALREADY_EXISTS': return { status: 'NO', code: 'ALREADYEXISTS', text: err.message, unexpected: false };
      case 'OVER_QUOTA': return { status: 'NO', code: 'OVERQUOTA', text: err.message, unexpected: false };
      case 'CONFLICT': return { status: 'NO', code: 'INUSE', text: err.message, unexpected: false };
      case 'INVALID': return { status: 'NO', code: 'CANNOT', text: err.message, unexpected: false };
    }
  }
  return { status: 'NO', code: 'SERVERBUG', text: 'Internal error occurred; try again later.', unexpected: true };
}
