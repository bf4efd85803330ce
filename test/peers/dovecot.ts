// Dovecot 2.3 from Debian as an IMAP/POP3 peer, from test/peers/configs/dovecot.conf with fresh
// ports, certificate, users and scratch folder. Runs in the foreground (-F) in its own process
// group, so stopping it stops only what we started.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, isRoot, peerConfig, peerConfigPath, skipReason, stopChild, waitForPort, which } from './common.js';
import { scratchDir, writeCertFiles, type TestCert } from './certs.js';
import type { Started } from './vsftpd.js';

export interface DovecotOptions {
  cert: TestCert;
  /** Refuse cleartext logins before TLS (disable_plaintext_auth = yes). Default false, as the
   * shared benchmark config has it. */
  secureLoginOnly?: boolean;
  /** Long-lived login processes (service_count = 0) instead of one process per connection. */
  performanceMode?: boolean;
  users?: Record<string, string>;
  /** Extra lines appended to the config (e.g. "ssl_min_protocol = TLSv1"). */
  extra?: string;
}

export interface DovecotPeer {
  imap: number;
  imaps: number;
  pop3: number;
  pop3s: number;
  dir: string;
  stop(): Promise<void>;
}

export async function startDovecot(options: DovecotOptions): Promise<Started<DovecotPeer>> {
  const bin = which('dovecot');
  if (!bin) return { ok: false, reason: skipReason('Dovecot', 'dovecot is not installed', 'dovecot-imapd dovecot-pop3d') };
  if (!isRoot()) return { ok: false, reason: skipReason('Dovecot', 'this Dovecot config needs root (it switches to uid 5000 for mail)', 'dovecot-imapd dovecot-pop3d') };
  const dir = scratchDir('dovecot');
  chmodSync(dir, 0o755);
  for (const sub of ['run', 'logs', 'mail']) mkdirSync(join(dir, sub), { recursive: true });
  spawnSync('chown', ['-R', '5000:5000', join(dir, 'mail')]);
  writeCertFiles(dir, options.cert);
  const users = options.users ?? { alice: 'alice-password' };
  writeFileSync(join(dir, 'passwd'), Object.entries(users).map(([u, p]) => `${u}:{PLAIN}${p}\n`).join(''), { mode: 0o644 });
  const [imap, imaps, pop3, pop3s] = (await freePorts(4)) as [number, number, number, number];
  let conf = peerConfig('dovecot.conf')
    .replaceAll('@DIR@', dir)
    .replace('port = 11143', `port = ${imap}`)
    .replace('port = 11993', `port = ${imaps}`)
    .replace('port = 11110', `port = ${pop3}`)
    .replace('port = 11995', `port = ${pop3s}`)
    .replace('instance_name = perfdovecot', `instance_name = postern-${imap}`);
  if (options.secureLoginOnly) conf = conf.replace('disable_plaintext_auth = no', 'disable_plaintext_auth = yes');
  if (options.extra) conf += `\n${options.extra}\n`;
  if (options.performanceMode) copyFileSync(peerConfigPath('dovecot-login-mode-performance.conf'), join(dir, 'login-mode.conf'));
  const confPath = join(dir, 'dovecot.conf');
  writeFileSync(confPath, conf);
  const child: ChildProcess = spawn(bin, ['-F', '-c', confPath], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
  try {
    await Promise.race([
      Promise.all([imap, imaps, pop3, pop3s].map((p) => waitForPort(p, 15_000))),
      new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`dovecot exited with ${code}: ${stderr}`)))),
    ]);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  const stop = async (): Promise<void> => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  return { ok: true, peer: { imap, imaps, pop3, pop3s, dir, stop } };
}
