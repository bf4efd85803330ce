// `openssl s_server` as a bare TLS peer (no mail protocol behind it): with or without Extended
// Master Secret (OPENSSL_CONF=openssl-noems.cnf; OpenSSL 3 has no -no_ems flag), with legacy
// versions allowed, with any certificate. It serves one connection at a time, so tests give it
// a protocol whose greeting never comes and keep their timeouts short.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { freePorts, peerConfigPath, skipReason, stopChild, waitForPort, which } from './common.js';
import { scratchDir, writeCertFiles, type TestCert } from './certs.js';
import type { Started } from './vsftpd.js';

export interface SServerOptions {
  cert: TestCert;
  /** Extra s_server arguments, e.g. ['-tls1_2'] or ['-cipher', 'DEFAULT:@SECLEVEL=0']. */
  args?: string[];
  noEms?: boolean;
}

export interface SServerPeer {
  port: number;
  stop(): Promise<void>;
}

export async function startSServer(options: SServerOptions): Promise<Started<SServerPeer>> {
  const bin = which('openssl');
  if (!bin) return { ok: false, reason: skipReason('openssl s_server', 'openssl is not installed', 'openssl') };
  const dir = scratchDir('sserver');
  const files = writeCertFiles(dir, options.cert);
  const [port] = (await freePorts(1)) as [number];
  const env = { ...process.env };
  if (options.noEms) env.OPENSSL_CONF = peerConfigPath('openssl-noems.cnf');
  const child: ChildProcess = spawn(bin, ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', files.cert, '-key', files.key, '-quiet', ...(options.args ?? [])], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
  try {
    await Promise.race([
      waitForPort(port, 10_000),
      new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`openssl s_server exited with ${code}: ${stderr}`)))),
    ]);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  const stop = async (): Promise<void> => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  return { ok: true, peer: { port, stop } };
}
