// A TLS client that keeps its session: connect once, keep what the server handed out (a TLS 1.3
// ticket arrives after the handshake, so wait for the greeting), offer it on the next connect.
import tls from 'node:tls';

export interface ResumeResult { reused: boolean; session: Buffer | undefined; greeting: string }

export function connectWithSession(port: number, session?: Buffer, maxVersion: tls.SecureVersion = 'TLSv1.3'): Promise<ResumeResult> {
  return new Promise((resolve, reject) => {
    let latest: Buffer | undefined;
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, maxVersion, ...(session ? { session } : {}) });
    s.on('session', (sess: Buffer) => { latest = sess; });
    s.once('error', reject);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n')) return;
      // The ticket is processed with the data that carried it: one turn later it has arrived.
      setImmediate(() => {
        const reused = s.isSessionReused();
        s.destroy();
        resolve({ reused, session: latest, greeting: buf.split('\r\n')[0]! });
      });
    });
  });
}
