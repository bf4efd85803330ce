// Postfix 3.7 from Debian as an SMTP peer: one STARTTLS listener (submission-like), one implicit
// TLS listener (smtpd_tls_wrappermode=yes, like 465) and one plaintext listener without TLS
// (smtpd_tls_security_level=none). Built from test/peers/configs/postfix-*.cf in a scratch
// folder and run with `postfix start-fg` in its own process group.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, isRoot, peerConfig, skipReason, stopChild, waitForPort, which } from './common.js';
import { scratchDir, writeCertFiles, type TestCert } from './certs.js';
import type { Started } from './vsftpd.js';

export interface PostfixOptions {
  cert: TestCert;
  /** Extra main.cf lines. */
  extraMain?: string;
}

export interface PostfixPeer {
  /** STARTTLS offered (smtpd_tls_security_level = may). */
  starttls: number;
  /** Implicit TLS (wrapper mode). */
  implicit: number;
  /** No TLS at all. */
  plain: number;
  dir: string;
  stop(): Promise<void>;
}

export async function startPostfix(options: PostfixOptions): Promise<Started<PostfixPeer>> {
  const bin = which('postfix');
  if (!bin) return { ok: false, reason: skipReason('Postfix', 'postfix is not installed', 'postfix') };
  if (!isRoot()) return { ok: false, reason: skipReason('Postfix', 'postfix start needs root', 'postfix') };
  const dir = scratchDir('postfix');
  chmodSync(dir, 0o755); // postfix daemons run as the postfix user and must reach data/
  for (const sub of ['etc', 'spool', 'data', 'logs']) mkdirSync(join(dir, sub), { recursive: true });
  spawnSync('chown', ['postfix', join(dir, 'data')]);
  const files = writeCertFiles(dir, options.cert);
  const [starttls, implicit, plain] = (await freePorts(3)) as [number, number, number];
  const main = peerConfig('postfix-main.cf').replaceAll('@DIR@', dir) +
    `\nsmtpd_tls_cert_file = ${files.cert}\nsmtpd_tls_key_file = ${files.key}\nsmtpd_tls_security_level = may\n` +
    (options.extraMain ? `${options.extraMain}\n` : '');
  const master = peerConfig('postfix-master.cf').replace('127.0.0.1:11587', `127.0.0.1:${starttls}`) +
    `127.0.0.1:${implicit} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes\n` +
    `127.0.0.1:${plain} inet n - n - - smtpd -o smtpd_tls_security_level=none\n`;
  writeFileSync(join(dir, 'etc', 'main.cf'), main);
  writeFileSync(join(dir, 'etc', 'master.cf'), master);
  const etc = join(dir, 'etc');
  const child: ChildProcess = spawn(bin, ['-c', etc, 'start-fg'], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
  const stop = async (): Promise<void> => {
    spawnSync(bin, ['-c', etc, 'stop'], { stdio: 'ignore' });
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      Promise.all([starttls, implicit, plain].map((p) => waitForPort(p, 15_000))),
      new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`postfix exited with ${code}: ${stderr}`)))),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { ok: true, peer: { starttls, implicit, plain, dir, stop } };
}
