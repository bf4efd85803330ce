// The protocol log: one entry per line sent or received, plus events (TLS up, bytes discarded).
// Credentials never reach it: every place that sends a password, a token or a SASL response
// hands the logger a redacted form ("LOGIN alice ***", "AUTH PLAIN ***"); message bodies and
// literals appear as their size only.
import type { ProtocolName } from './errors.js';

export interface ProtocolLogEntry {
  time: Date;
  protocol: ProtocolName;
  /** Numbers the connections of this process, to tell interleaved sessions apart. */
  connection: number;
  host: string;
  port: number;
  /** 'client' = sent by us, 'server' = received, 'event' = something we noticed. */
  direction: 'client' | 'server' | 'event';
  text: string;
}

export type ProtocolLogger = (entry: ProtocolLogEntry) => void;

/** "C: …" / "S: …" / "*  …" lines on stderr, like Mail.dll's and curl's protocol traces. */
export function consoleProtocolLogger(stream: { write(s: string): unknown } = process.stderr): ProtocolLogger {
  return (e) => {
    const mark = e.direction === 'client' ? 'C:' : e.direction === 'server' ? 'S:' : '**';
    stream.write(`[${e.protocol}#${e.connection}] ${mark} ${e.text}\n`);
  };
}

let nextConnection = 1;
export function nextConnectionId(): number {
  return nextConnection++;
}

/** Line text for the log: control characters shown as escapes, long lines cut. */
export function printable(text: string, max = 2000): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > max ? `${clean.slice(0, max)}… (${clean.length} chars)` : clean;
}
