// Dovecot 2.3 from Debian, configured by the bench on loopback free ports from the shared peer
// config (../shared/peers/dovecot.conf) in its fast login mode, with the bench's own users,
// password hashes and maildirs. Runs in the foreground (-F) pinned to the server core.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, hasTaskset, waitForPort } from './system.js';

export interface DovecotBench {
  pop3: number;
  pop3s: number;
  imap: number;
  imaps: number;
  pid: number;
  stop(): Promise<void>;
}

export function dovecotAvailable(): string | null {
  if (spawnSync('dovecot', ['--version']).status !== 0) return 'dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d)';
  if (process.getuid?.() !== 0) return 'the Dovecot peer config needs root (mail is owned by uid 5000)';
  return null;
}

export function sharedPeersDir(projectRoot: string): string {
  return resolve(projectRoot, '..', 'shared', 'peers');
}

export async function startDovecot(options: {
  dir: string;
  peersDir: string;
  cert: { certPath: string; keyPath: string };
  /** "user:{SCHEME}hash" lines. */
  passwd: string[];
  /** Lines appended to the config. */
  extra?: string[];
  core?: number;
}): Promise<DovecotBench> {
  const { dir } = options;
  for (const sub of ['run', 'logs', 'mail']) mkdirSync(join(dir, sub), { recursive: true });
  copyFileSync(options.cert.certPath, join(dir, 'cert.pem'));
  copyFileSync(options.cert.keyPath, join(dir, 'key.pem'));
  writeFileSync(join(dir, 'passwd'), options.passwd.join('\n') + '\n', { mode: 0o644 });
  copyFileSync(join(options.peersDir, 'dovecot-login-mode-performance.conf'), join(dir, 'login-mode.conf'));
  const [imap, imaps, pop3, pop3s] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const conf = readFileSync(join(options.peersDir, 'dovecot.conf'), 'utf8')
    .replaceAll('@DIR@', dir)
    .replace('port = 11143', `port = ${imap}`)
    .replace('port = 11993', `port = ${imaps}`)
    .replace('port = 11110', `port = ${pop3}`)
    .replace('port = 11995', `port = ${pop3s}`)
    .replace('instance_name = perfdovecot', `instance_name = postern-bench-${pop3}`)
    .replace('auth_mechanisms = plain login', 'auth_mechanisms = plain login\nauth_verbose = no');
  writeFileSync(join(dir, 'dovecot.conf'), conf + '\n' + (options.extra ?? []).join('\n') + '\n');
  spawnSync('chown', ['-R', '5000:5000', join(dir, 'mail')]);
  const args = ['-F', '-c', join(dir, 'dovecot.conf')];
  const child: ChildProcess = hasTaskset() && options.core !== undefined
    ? spawn('taskset', ['-c', String(options.core), 'dovecot', ...args], { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
    : spawn('dovecot', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  try {
    await waitForPort(pop3s);
    await waitForPort(imaps);
  } catch (e) {
    child.kill('SIGKILL');
    const log = existsSync(join(dir, 'logs', 'dovecot.log')) ? readFileSync(join(dir, 'logs', 'dovecot.log'), 'utf8').slice(-800) : '';
    throw new Error(`Dovecot did not start: ${(e as Error).message}\n${err}\n${log}`);
  }
  return {
    pop3, pop3s, imap, imaps, pid: child.pid!,
    async stop() {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { child.kill('SIGTERM'); }
      await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    },
  };
}

/** A maildir message file for `user` under <dir>/mail/<user>/Maildir/new. */
export function writeMaildirMessage(dir: string, user: string, name: string, raw: Buffer): void {
  const newDir = join(dir, 'mail', user, 'Maildir', 'new');
  mkdirSync(newDir, { recursive: true });
  for (const sub of ['cur', 'tmp']) mkdirSync(join(dir, 'mail', user, 'Maildir', sub), { recursive: true });
  writeFileSync(join(newDir, `${name},S=${raw.length}`), raw);
}
