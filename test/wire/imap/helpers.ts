// Drives the IMAP command codec the way a session does, for tests: bytes in (any split),
// literals accepted (or refused), parsed commands out.
import { ImapCommandDecoder, type DecodeStep, type RawCommand } from '../../../src/wire/imap/command-decoder.js';
import { parseCommand, type ParseResult } from '../../../src/wire/imap/command-parser.js';

export type Event =
  | { kind: 'command'; raw: RawCommand; parsed: ParseResult }
  | { kind: 'literal'; size: number; sync: boolean; binary: boolean; accepted: boolean }
  | { kind: 'error'; tag: string | null; reason: string; fatal: boolean };

export interface DriveOptions {
  /** Decide on each literal announcement; default: accept. */
  accept?: (size: number, sync: boolean, name: string) => boolean;
  maxLineLength?: number;
  maxCommandText?: number;
}

export function drain(decoder: ImapCommandDecoder, events: Event[], options: DriveOptions): void {
  for (;;) {
    const step: DecodeStep = decoder.next();
    if (step.kind === 'need-more') return;
    if (step.kind === 'command') events.push({ kind: 'command', raw: step.command, parsed: parseCommand(step.command) });
    else if (step.kind === 'literal') {
      const accepted = options.accept ? options.accept(step.size, step.sync, step.name) : true;
      events.push({ kind: 'literal', size: step.size, sync: step.sync, binary: step.binary, accepted });
      if (accepted) decoder.acceptLiteral();
      else decoder.rejectLiteral();
    } else events.push({ kind: 'error', tag: step.tag, reason: step.reason, fatal: step.fatal ?? false });
  }
}

/** Feeds `input` in the given pieces and returns what came out. */
export function decodePieces(pieces: Buffer[], options: DriveOptions = {}): Event[] {
  const decoder = new ImapCommandDecoder({ maxLineLength: options.maxLineLength ?? 65536, maxCommandText: options.maxCommandText ?? 1 << 20 });
  const events: Event[] = [];
  for (const p of pieces) {
    decoder.push(p);
    drain(decoder, events, options);
  }
  return events;
}

/** A comparable summary of events (Buffers as strings). */
export function summary(events: Event[]): unknown[] {
  return events.map((e) => {
    if (e.kind !== 'command') return e;
    return { kind: 'command', tag: e.raw.tag, name: e.raw.name, parsed: JSON.parse(JSON.stringify(e.parsed, (_k, v) => {
      if (v && typeof v === 'object' && v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data).toString('latin1');
      return v;
    })) };
  });
}

/**
 * Decodes `input` whole, then split at every byte boundary, then one byte at a time, and
 * checks every split gives the same events. Returns the events.
 */
export function decodeEverySplit(input: string | Buffer, options: DriveOptions = {}, assertEqual?: (a: unknown, b: unknown, msg: string) => void): Event[] {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const whole = decodePieces([bytes], options);
  const expected = summary(whole);
  const check = assertEqual ?? (() => {});
  for (let i = 1; i < bytes.length; i++) {
    check(summary(decodePieces([bytes.subarray(0, i), bytes.subarray(i)], options)), expected, `split at byte ${i}`);
  }
  const single: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) single.push(bytes.subarray(i, i + 1));
  check(summary(decodePieces(single, options)), expected, 'one byte at a time');
  return whole;
}
