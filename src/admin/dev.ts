// `postern serve --dev`: a data folder in ./.postern-dev, high ports on loopback, and a demo
// account with a welcome message, printed with client commands that work as pasted.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { MailStore } from '../store/types.js';
import type { BoundListener } from '../net/listeners.js';
import { addUser, requireAccount, setUser, type PasswordPolicy } from './accounts.js';
import { deliverLocal } from '../server/delivery/local.js';

export const DEV_DATA_DIR = '.postern-dev';
export const DEMO_ADDRESS = 'demo@example.test';

export const DEV_CONFIG_YAML = `# Development server (postern serve --dev): loopback only, high ports.
hostname: localhost
imap:
  unencryptedOrTLSBindings: ["127.0.0.1:1143"]
  sslBindings: ["127.0.0.1:1993"]
pop3:
  unencryptedOrTLSBindings: ["127.0.0.1:1110"]
  sslBindings: ["127.0.0.1:1995"]
submission:
  unencryptedOrTLSBindings: ["127.0.0.1:1587"]
  sslBindings: ["127.0.0.1:1465"]
lmtp:
  bindings: ["127.0.0.1:1024"]
`;

/** Makes ./.postern-dev/postern.yaml on first use; returns the data directory. */
export function prepareDevDataDir(cwd: string): string {
  const dir = resolve(cwd, DEV_DATA_DIR);
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'postern.yaml');
  if (!existsSync(config)) writeFileSync(config, DEV_CONFIG_YAML);
  return dir;
}

/** The demo account, its password kept in the dev folder so restarts print the same one. */
export async function ensureDemoAccount(store: MailStore, dataDir: string, policy: PasswordPolicy): Promise<string> {
  const pwFile = join(dataDir, 'demo-password');
  let password = existsSync(pwFile) ? readFileSync(pwFile, 'utf8').trim() : '';
  if (!password) {
    password = randomBytes(9).toString('base64url');
    writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  }
  const existing = await store.findAccountByAddress(DEMO_ADDRESS);
  if (!existing) {
    await addUser(store, { address: DEMO_ADDRESS, password }, policy);
  } else {
    await setUser(store, DEMO_ADDRESS, { password }, policy);
  }
  const account = await requireAccount(store, DEMO_ADDRESS);
  const inbox = await store.getMailbox(account.id, 'INBOX');
  if (!inbox || inbox.messageCount === 0) {
    const welcome = [
      'From: postern <postmaster@example.test>',
      `To: ${DEMO_ADDRESS}`,
      'Subject: Welcome to postern',
      `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
      `Message-ID: <welcome.${Date.now()}@example.test>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'This message was delivered by `postern serve --dev` so there is something to read.',
      '',
    ].join('\r\n');
    await deliverLocal(store, DEMO_ADDRESS, Buffer.from(welcome));
  }
  return password;
}

export function devBanner(listeners: BoundListener[], password: string): string {
  const port = (protocol: string, security: string) => listeners.find((l) => l.protocol === protocol && l.security === security)?.port;
  const lines = ['', 'postern development server', `  demo account: ${DEMO_ADDRESS}`, `  password:     ${password}`, ''];
  const pop = port('pop3', 'starttls'), pops = port('pop3', 'tls');
  if (pop) {
    lines.push('POP3 with STARTTLS (type USER, PASS, STAT, RETR 1, QUIT):',
      `  openssl s_client -quiet -starttls pop3 -connect 127.0.0.1:${pop}`,
      `  curl -k --ssl-reqd pop3://127.0.0.1:${pop}/ -u '${DEMO_ADDRESS}:${password}'`, '');
  }
  if (pops) {
    lines.push('POP3 over implicit TLS (retrieve message 1):',
      `  curl -k pop3s://127.0.0.1:${pops}/1 -u '${DEMO_ADDRESS}:${password}'`,
      `  openssl s_client -quiet -connect 127.0.0.1:${pops}`, '');
  }
  const imap = port('imap', 'starttls'), imaps = port('imap', 'tls');
  if (imap) lines.push('IMAP with STARTTLS:', `  curl -k --ssl-reqd 'imap://127.0.0.1:${imap}/INBOX;UID=1' -u '${DEMO_ADDRESS}:${password}'`, '');
  if (imaps) lines.push('IMAP over implicit TLS:', `  curl -k 'imaps://127.0.0.1:${imaps}/INBOX;UID=1' -u '${DEMO_ADDRESS}:${password}'`, '');
  const subs = port('submission', 'tls');
  if (subs) lines.push('Submission over implicit TLS:', `  curl -k smtps://127.0.0.1:${subs} -u '${DEMO_ADDRESS}:${password}' --mail-from ${DEMO_ADDRESS} --mail-rcpt ${DEMO_ADDRESS} -T message.eml`, '');
  lines.push('The certificate is self-signed (hence -k); stop the server with Ctrl-C.', '');
  return lines.join('\n');
}
