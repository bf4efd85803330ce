// The three promises every client keeps, checked for IMAP, POP3 and SMTP against scripted
// servers: a server that omits STARTTLS fails 'starttls' (and 'auto') with nothing sent; a
// server that pipelines a fake answer before the TLS handshake cannot inject it; a server that
// offers only PLAIN over plaintext gets no password unless the caller allows it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapClient } from '../../src/client/imap.js';
import { Pop3Client } from '../../src/client/pop3.js';
import { SmtpClient } from '../../src/client/smtp.js';
import { MailClientError } from '../../src/client/errors.js';
import type { ClientOptions } from '../../src/client/options.js';
import { makeGoodCerts, type TestCert } from '../peers/certs.js';
import { serveLines, startFakeServer, type FakeServer, type FakeSession } from './fake-server.js';

let ca: TestCert;
let leaf: TestCert;
const fakes: FakeServer[] = [];

before(async () => {
  ({ ca, leaf } = await makeGoodCerts());
});
after(async () => {
  for (const f of fakes) await f.close();
});

interface Script {
  /** Capabilities before TLS (without STARTTLS unless starttls is set) and after. */
  starttls: boolean;
  inject?: string;
  /** Mechanisms offered in plaintext. */
  plainMechs?: string[];
}

interface Protocol {
  name: 'IMAP' | 'POP3' | 'SMTP';
  serve: (s: FakeSession, script: Script) => Promise<void>;
  connect: (options: ClientOptions) => Promise<{ login(u: string, p: string): Promise<void>; close(): void; capabilitiesText(): string; discardedBeforeTls: number }>;
  /** Client lines that carry credentials. */
  credentialLine: RegExp;
  /** The capability request the client must repeat after TLS. */
  capabilityRequest: RegExp;
  /** What the injected bytes would have advertised. */
  injected: string;
  injectedMarker: string;
}

const AFTER_TLS_MECHS = ['SCRAM-SHA-256', 'PLAIN'];

const protocols: Protocol[] = [
  {
    name: 'IMAP',
    credentialLine: /^\S+ (LOGIN|AUTHENTICATE)\b|^[A-Za-z0-9+/=]{8,}$/,
    capabilityRequest: /^\S+ CAPABILITY$/,
    injected: '* CAPABILITY IMAP4rev1 AUTH=PLAIN INJECTED\r\nA9 OK injected\r\n',
    injectedMarker: 'INJECTED',
    serve: async (s, sc) => {
      const caps = (): string => {
        if (s.encrypted) return `IMAP4rev1 ${AFTER_TLS_MECHS.map((m) => `AUTH=${m}`).join(' ')}`;
        return `IMAP4rev1${sc.starttls ? ' STARTTLS' : ''} ${(sc.plainMechs ?? []).map((m) => `AUTH=${m}`).join(' ')}`.trim();
      };
      s.write(`* OK [CAPABILITY ${caps()}] fake IMAP ready\r\n`);
      await serveLines(s, async (line) => {
        const [tag, cmd = ''] = line.split(' ');
        switch (cmd.toUpperCase()) {
          case 'CAPABILITY':
            return `* CAPABILITY ${caps()}\r\n${tag} OK done\r\n`;
          case 'STARTTLS':
            s.write(`${tag} OK Begin TLS\r\n${sc.inject ?? ''}`);
            await s.startTls();
            return '';
          case 'AUTHENTICATE':
            return `${tag} OK [CAPABILITY IMAP4rev1] logged in\r\n`;
          case 'LOGIN':
            return `${tag} OK [CAPABILITY IMAP4rev1] logged in\r\n`;
          case 'LOGOUT':
            return `* BYE bye\r\n${tag} OK\r\n`;
          default:
            return `${tag} BAD what\r\n`;
        }
      });
    },
    connect: async (o) => {
      const c = await ImapClient.connect(o);
      return { login: (u, p) => c.login(u, p), close: () => c.close(), capabilitiesText: () => [...c.capabilities].join(' '), discardedBeforeTls: c.discardedBeforeTls };
    },
  },
  {
    name: 'POP3',
    credentialLine: /^(USER|PASS|AUTH)\b|^[A-Za-z0-9+/=]{8,}$/,
    capabilityRequest: /^CAPA$/,
    injected: '+OK\r\nSASL PLAIN\r\nINJECTED\r\n.\r\n',
    injectedMarker: 'INJECTED',
    serve: async (s, sc) => {
      s.write('+OK fake POP3 ready\r\n');
      await serveLines(s, async (line) => {
        const cmd = line.split(' ')[0]!.toUpperCase();
        switch (cmd) {
          case 'CAPA': {
            const lines = s.encrypted ? ['USER', `SASL ${AFTER_TLS_MECHS.join(' ')}`] : [...(sc.starttls ? ['STLS'] : []), ...(sc.plainMechs?.length ? ['USER', `SASL ${sc.plainMechs.join(' ')}`] : [])];
            return `+OK\r\n${lines.map((l) => `${l}\r\n`).join('')}.\r\n`;
          }
          case 'STLS':
            s.write(`+OK Begin TLS\r\n${sc.inject ?? ''}`);
            await s.startTls();
            return '';
          case 'AUTH':
          case 'USER':
          case 'PASS':
            return '+OK\r\n';
          case 'QUIT':
            return '+OK bye\r\n';
          default:
            return '-ERR what\r\n';
        }
      });
    },
    connect: async (o) => {
      const c = await Pop3Client.connect(o);
      return { login: (u, p) => c.login(u, p), close: () => c.close(), capabilitiesText: () => [...c.capabilities.keys(), ...[...c.capabilities.values()].flat()].join(' '), discardedBeforeTls: c.discardedBeforeTls };
    },
  },
  {
    name: 'SMTP',
    credentialLine: /^AUTH\b|^[A-Za-z0-9+/=]{8,}$/,
    capabilityRequest: /^EHLO /,
    injected: '250-fake\r\n250 AUTH PLAIN INJECTED\r\n',
    injectedMarker: 'INJECTED',
    serve: async (s, sc) => {
      s.write('220 fake ESMTP\r\n');
      await serveLines(s, async (line) => {
        const cmd = line.split(' ')[0]!.toUpperCase();
        switch (cmd) {
          case 'EHLO': {
            const kws = s.encrypted ? [`AUTH ${AFTER_TLS_MECHS.join(' ')}`] : [...(sc.starttls ? ['STARTTLS'] : []), ...(sc.plainMechs?.length ? [`AUTH ${sc.plainMechs.join(' ')}`] : [])];
            return ['fake', ...kws].map((k, i, all) => `250${i === all.length - 1 ? ' ' : '-'}${k}\r\n`).join('');
          }
          case 'STARTTLS':
            s.write(`220 go ahead\r\n${sc.inject ?? ''}`);
            await s.startTls();
            return '';
          case 'AUTH':
            return '235 ok\r\n';
          case 'QUIT':
            return '221 bye\r\n';
          default:
            return '502 what\r\n';
        }
      });
    },
    connect: async (o) => {
      const c = await SmtpClient.connect(o);
      return { login: (u, p) => c.login(u, p), close: () => c.close(), capabilitiesText: () => [...c.capabilities.keys(), ...[...c.capabilities.values()].flat()].join(' '), discardedBeforeTls: c.discardedBeforeTls };
    },
  },
];

function isCode(code: string, re?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof MailClientError, `expected MailClientError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (re) assert.match(err.message, re);
    return true;
  };
}

async function fake(p: Protocol, script: Script): Promise<FakeServer> {
  const f = await startFakeServer({ cert: leaf }, (s) => p.serve(s, script));
  fakes.push(f);
  return f;
}

for (const p of protocols) {
  describe(`${p.name} client security`, () => {
    test(`a server that omits STARTTLS makes 'starttls' and 'auto' fail before any credentials are sent`, async () => {
      const f = await fake(p, { starttls: false, plainMechs: ['PLAIN'] });
      for (const security of ['starttls', 'auto'] as const) {
        await assert.rejects(p.connect({ host: '127.0.0.1', port: f.port, security, tls: { ca: ca.cert } }), isCode('starttls-not-offered', /no silent downgrade/));
      }
      await new Promise((r) => setTimeout(r, 50));
      for (const s of f.sessions) assert.ok(!s.lines.some((l) => p.credentialLine.test(l)), s.lines.join(' | '));
    });

    test('a reply pipelined before the TLS handshake is discarded, not read as the server speaking over TLS', async () => {
      const f = await fake(p, { starttls: true, inject: p.injected });
      const c = await p.connect({ host: '127.0.0.1', port: f.port, security: 'starttls', tls: { ca: ca.cert } });
      assert.equal(c.discardedBeforeTls, p.injected.length);
      assert.ok(!c.capabilitiesText().includes(p.injectedMarker), c.capabilitiesText());
      assert.match(c.capabilitiesText(), /SCRAM-SHA-256/);
      const session = f.sessions[0]!;
      assert.equal(session.lines.filter((l) => p.capabilityRequest.test(l)).length, p.name === 'IMAP' ? 1 : 2, `asked for capabilities again after TLS: ${session.lines.join(' | ')}`);
      c.close();
    });

    test('a server offering only PLAIN over plaintext gets no password unless allowCleartextPassword is set', async () => {
      const f = await fake(p, { starttls: false, plainMechs: ['PLAIN', 'LOGIN'] });
      const c = await p.connect({ host: '127.0.0.1', port: f.port, security: 'none' });
      await assert.rejects(c.login('alice', 'secret-password'), isCode('cleartext-refused', /would send the secret in clear/));
      c.close();
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(!f.sessions[0]!.lines.some((l) => p.credentialLine.test(l)), f.sessions[0]!.lines.join(' | '));
      const allowed = await p.connect({ host: '127.0.0.1', port: f.port, security: 'none', allowCleartextPassword: true });
      await allowed.login('alice', 'secret-password');
      allowed.close();
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(f.sessions[1]!.lines.some((l) => p.credentialLine.test(l)), 'with consent the credentials were sent');
    });
  });
}

describe('certificate names', () => {
  test('tls.servername checks another name than the host; a name the certificate lacks is refused in words', async () => {
    const f = await startFakeServer({ cert: leaf, tls: true }, async (s) => {
      s.write('+OK ready\r\n');
      await serveLines(s, (l) => (l === 'CAPA' ? '+OK\r\nUSER\r\n.\r\n' : l === 'QUIT' ? '+OK\r\n' : '-ERR\r\n'));
    });
    fakes.push(f);
    const ok = await Pop3Client.connect({ host: '127.0.0.1', port: f.port, security: 'tls', tls: { ca: ca.cert, servername: 'mail.example.test' } });
    assert.equal(ok.tls?.servername, 'mail.example.test');
    await ok.quit();
    await assert.rejects(
      Pop3Client.connect({ host: '127.0.0.1', port: f.port, security: 'tls', tls: { ca: ca.cert, servername: 'imap.other.example' } }),
      isCode('certificate-untrusted', /not trusted: it names another host; connect with the name the certificate carries, or set tls.servername \(we checked for "imap.other.example"\)/),
    );
  });
});
