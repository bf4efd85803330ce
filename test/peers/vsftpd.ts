// vsftpd 3.0.3 from Debian as an FTPS peer: explicit (AUTH TLS) or implicit TLS, with or
// without require_ssl_reuse, optionally without EMS and capped at TLS 1.2 (the old-OpenSSL
// server of seed 000), optionally announcing a wrong PASV address. Runs as a foreground child
// on a free loopback port; logs in a local account it creates (PAM needs a real user).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, existsSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, isRoot, peerConfig, peerConfigPath, skipReason, stopChild, waitForPort, which } from './common.js';
import { scratchDir, writeCertFiles, type TestCert } from './certs.js';

export const FTP_USER = 'posternftp';
export const FTP_PASSWORD = 'postern-ftp-Pa55';

export interface VsftpdOptions {
  cert: TestCert;
  implicit?: boolean;
  requireReuse?: boolean;
  /** OPENSSL_CONF that removes Extended Master Secret and caps TLS at 1.2. */
  noEmsTls12?: boolean;
  /** pasv_address: what 227 replies announce (default 127.0.0.1). */
  pasvAddress?: string;
  /** force_local_logins_ssl (default true): refuse USER/PASS before AUTH TLS. */
  forceSslLogins?: boolean;
}

export interface VsftpdPeer {
  port: number;
  user: string;
  password: string;
  /** The user's home, the FTP root after login. */
  home: string;
  log(): string;
  stop(): Promise<void>;
}

export type Started<T> = { ok: true; peer: T } | { ok: false; reason: string };

/** Creates the FTP login account once (useradd + chpasswd), with a home holding one file. */
function ensureUser(): string {
  const home = '/tmp/postern-ftp-home';
  if (spawnSync('id', [FTP_USER]).status !== 0) {
    const r = spawnSync('useradd', ['-M', '-d', home, '-s', '/bin/bash', FTP_USER], { encoding: 'utf8' });
    if (r.status !== 0 && !/already exists/.test(r.stderr)) throw new Error(`useradd failed: ${r.stderr}`);
  }
  const p = spawnSync('chpasswd', [], { input: `${FTP_USER}:${FTP_PASSWORD}\n`, encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`chpasswd failed: ${p.stderr}`);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'hello.txt'), 'hello over FTPS\n');
  spawnSync('chown', ['-R', `${FTP_USER}:`, home]);
  chmodSync(home, 0o755);
  return home;
}

export async function startVsftpd(options: VsftpdOptions): Promise<Started<VsftpdPeer>> {
  const bin = which('vsftpd');
  if (!bin) return { ok: false, reason: skipReason('vsftpd', 'vsftpd is not installed', 'vsftpd') };
  if (!isRoot()) return { ok: false, reason: skipReason('vsftpd', 'vsftpd needs root here (PAM login of a local account)', 'vsftpd') };
  const home = ensureUser();
  mkdirSync('/var/run/vsftpd/empty', { recursive: true });
  const dir = scratchDir('vsftpd');
  const files = writeCertFiles(dir, options.cert);
  const [port, pasvBase] = await freePorts(2);
  const base = 40_000 + ((pasvBase! * 7) % 20_000);
  let conf = peerConfig(options.implicit ? 'vsftpd-implicit.conf' : 'vsftpd-explicit.conf').replaceAll('@DIR@', dir);
  const set = (key: string, value: string): void => {
    const re = new RegExp(`^${key}=.*$`, 'm');
    conf = re.test(conf) ? conf.replace(re, `${key}=${value}`) : `${conf.trimEnd()}\n${key}=${value}\n`;
  };
  set('listen_port', String(port));
  set('rsa_cert_file', files.cert);
  set('rsa_private_key_file', files.key);
  set('require_ssl_reuse', options.requireReuse === false ? 'NO' : 'YES');
  set('pasv_min_port', String(base));
  set('pasv_max_port', String(base + 50));
  set('pasv_address', options.pasvAddress ?? '127.0.0.1');
  set('force_local_logins_ssl', options.forceSslLogins === false ? 'NO' : 'YES');
  const confPath = join(dir, 'vsftpd.conf');
  writeFileSync(confPath, conf);
  const env = { ...process.env };
  if (options.noEmsTls12) env.OPENSSL_CONF = peerConfigPath('openssl-noems-tls12.cnf');
  const child: ChildProcess = spawn(bin, [confPath], { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
  try {
    await Promise.race([
      waitForPort(port, 10_000),
      new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`vsftpd exited with ${code}: ${stderr}`)))),
    ]);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  const logPath = join(dir, options.implicit ? 'vsftpd-implicit.log' : 'vsftpd-explicit.log');
  return {
    ok: true,
    peer: {
      port,
      user: FTP_USER,
      password: FTP_PASSWORD,
      home,
      log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
      stop: async () => {
        await stopChild(child);
        rmSync(dir, { recursive: true, force: true });
      },
    },
  };
}
