// Protocol logs (Exchange's ProtocolLogEnabled): one JSON line per command or reply, per
// protocol, in <data>/logs/<protocol>-protocol.log. Credentials never appear: callers pass
// lines through their protocol's redactor first.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';

export interface SessionLog {
  client(line: string): void;
  server(line: string): void;
  event(text: string): void;
}

export const NO_LOG: SessionLog = { client() {}, server() {}, event() {} };

export class ProtocolLogs {
  private readonly loggers = new Map<string, pino.Logger>();

  constructor(private readonly dataDir: string) {}

  session(protocol: string, sessionId: string, remote: string): SessionLog {
    const log = this.logger(protocol);
    return {
      client: (line) => log.info({ s: sessionId, remote, dir: 'C' }, truncate(line)),
      server: (line) => log.info({ s: sessionId, remote, dir: 'S' }, truncate(line)),
      event: (text) => log.info({ s: sessionId, remote, dir: '*' }, text),
    };
  }

  async close(): Promise<void> {
    for (const l of this.loggers.values()) l.flush();
    this.loggers.clear();
  }

  private logger(protocol: string): pino.Logger {
    let l = this.loggers.get(protocol);
    if (!l) {
      const dir = join(this.dataDir, 'logs');
      mkdirSync(dir, { recursive: true });
      l = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: join(dir, `${protocol}-protocol.log`), sync: false, mkdir: true }));
      this.loggers.set(protocol, l);
    }
    return l;
  }
}

function truncate(line: string): string {
  const clean = line.replace(/\r?\n$/, '');
  return clean.length > 500 ? clean.slice(0, 500) + `… (${clean.length} chars)` : clean;
}
