// `postern probe HOST …`: the CLI owner parses argv (and reads the password from stdin for
// --password-stdin) and calls runProbeCommand; this module turns the options into a scan and
// writes the table or the JSON report.
import { readFile } from 'node:fs/promises';
import { formatReport } from './format.js';
import { scanHost, type ScanOptions } from './scanner.js';

export interface ProbeCliOptions {
  port?: number;
  protocol?: 'smtp' | 'imap' | 'pop3' | 'ftp';
  mode?: 'plain' | 'tls' | 'starttls';
  json?: boolean;
  user?: string;
  password?: string;
  /** Path of a PEM file with the CA certificate(s) to trust instead of the system store. */
  ca?: string;
  /** Per-step timeout in seconds (default 5). */
  timeout?: number;
  // Optional extensions the CLI may expose as flags:
  /** --allow-cleartext-login: send credentials even on an unencrypted connection. */
  allowCleartextLogin?: boolean;
  /** --servername NAME: check certificates against this name instead of HOST. */
  servername?: string;
  /** --source ADDRESS: source address for the probe's connections. */
  source?: string;
}

/** Raised for options the scan cannot start with; the message is one sentence for stderr. */
export class ProbeUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeUsageError';
  }
}

/** Runs the probe and writes its report to `out`. Returns the exit code: 0 clean, 1 warnings,
 * 2 failures. Throws ProbeUsageError for unusable options. */
export async function runProbeCommand(host: string, options: ProbeCliOptions, out: NodeJS.WritableStream): Promise<number> {
  if (!host) throw new ProbeUsageError('Name the host to probe, e.g. `postern probe mail.example.com`.');
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)) {
    throw new ProbeUsageError(`--port must be a number from 1 to 65535, not ${options.port}.`);
  }
  if (options.timeout !== undefined && !(options.timeout > 0)) {
    throw new ProbeUsageError(`--timeout must be a positive number of seconds, not ${options.timeout}.`);
  }
  if ((options.user === undefined) !== (options.password === undefined)) {
    throw new ProbeUsageError('Give both --user and --password-stdin to test a login, or neither.');
  }
  let ca: string | undefined;
  if (options.ca) {
    try {
      ca = await readFile(options.ca, 'utf8');
    } catch (err) {
      throw new ProbeUsageError(`Cannot read the CA file ${options.ca} (${(err as NodeJS.ErrnoException).code ?? 'error'}); pass a readable PEM file to --ca.`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new ProbeUsageError(`${options.ca} holds no PEM certificate; --ca needs one.`);
  }
  const scan: ScanOptions = {
    timeoutMs: Math.round((options.timeout ?? 5) * 1000),
    ...(options.port !== undefined && { ports: [options.port] }),
    ...(options.protocol && { protocol: options.protocol }),
    ...(options.mode && { mode: options.mode }),
    ...(ca !== undefined && { ca }),
    ...(options.user !== undefined && { user: options.user }),
    ...(options.password !== undefined && { password: options.password }),
    ...(options.allowCleartextLogin && { allowCleartextLogin: true }),
    ...(options.servername && { servername: options.servername }),
    ...(options.source && { localAddress: options.source }),
  };
  const report = await scanHost(host, scan);
  if (options.json) out.write(JSON.stringify(report, null, 2) + '\n');
  else out.write(formatReport(report, { colour: (out as NodeJS.WriteStream).isTTY === true && !process.env.NO_COLOR }));
  return report.exitCode;
}
