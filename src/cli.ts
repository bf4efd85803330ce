// `postern <command>` (DESIGN §2). Errors go to stderr as one sentence saying what to do, with
// a non-zero exit; admin commands work on the data directory whether or not a server runs.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import pino from 'pino';
import { ConfigError, loadConfig, type ConfigLocation, type LoadedConfig } from './config/load.js';
import { openStore } from './store/index.js';
import type { MailStore } from './store/types.js';
import { startServer, certificateSource, passwordHashPolicy } from './main.js';
import { ensureSelfSignedCertificate } from './net/certificate.js';
import { AdminError, addUser, describeAccount, grantFullAccess, removeUser, revokeFullAccess, setUser, type PasswordPolicy, type UserChanges } from './admin/accounts.js';
import { camelKey, formatList, isProtocolName, protocolSettingsView, setProtocolSettings } from './admin/settings.js';
import { parseBool, readAll, readPasswordFromStdin } from './admin/io.js';
import { devBanner, ensureDemoAccount, prepareDevDataDir } from './admin/dev.js';
import { deliverLocal, DeliveryError } from './server/delivery/local.js';
import { ListenError } from './net/listeners.js';
import { ProbeUsageError } from './probe/cli.js';

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  cwd: string;
}

class UsageError extends Error {}

function location(opts: { config?: string; data?: string }, io: Io): ConfigLocation {
  return { ...(opts.config ? { config: opts.config } : {}), ...(opts.data ? { data: opts.data } : {}), cwd: io.cwd };
}

function policyOf(loaded: LoadedConfig): PasswordPolicy {
  return { hash: passwordHashPolicy(loaded.config), scramIterations: loaded.config.auth.scramIterations };
}

async function withStore<T>(loaded: LoadedConfig, fn: (store: MailStore) => Promise<T>): Promise<T> {
  mkdirSync(loaded.dataDir, { recursive: true });
  const store = await openStore(loaded.config.store, loaded.dataDir);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const INIT_YAML = (hostname: string) => `# postern configuration (see DESIGN.md §2). Defaults are Exchange's: standard ports,
# LoginType SecureLogin, 1 minute pre-auth and 30 minutes authenticated timeouts.
hostname: ${hostname}
store: { kind: sqlite }
tls: { minVersion: TLSv1.2 }      # add cert: and key: (PEM files) to replace the self-signed certificate
pop3:
  loginType: SecureLogin           # PlainTextLogin | PlainTextAuthentication | SecureLogin
imap:
  loginType: SecureLogin
submission:
  loginType: SecureLogin
`;

function buildProgram(io: Io, exit: { code: number }): Command {
  const program = new Command('postern')
    .description('Secure mail access: IMAP, POP3 and SMTP server, client library and TLS probe')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showSuggestionAfterError();
  const common = (c: Command) => c.option('--config <file>', 'postern.yaml to use').option('--data <dir>', 'data directory (reads DIR/postern.yaml when present)');

  common(program.command('serve').description('run the server').option('--dev', 'development server: ./.postern-dev, high ports, demo account'))
    .action(async (opts: { config?: string; data?: string; dev?: boolean }) => {
      const loc = opts.dev && !opts.config && !opts.data ? { data: prepareDevDataDir(io.cwd), cwd: io.cwd } : location(opts, io);
      const loaded = loadConfig(loc);
      mkdirSync(loaded.dataDir, { recursive: true });
      const logger = pino({ base: null, level: opts.dev ? 'warn' : 'info' });
      const server = await startServer(loaded, { logger });
      if (opts.dev) {
        const password = await ensureDemoAccount(server.store, loaded.dataDir, policyOf(loaded));
        io.stdout.write(devBanner(server.listeners, password));
      }
      await new Promise<void>((resolveStop) => {
        const stop = () => { void server.stop().then(resolveStop); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  common(program.command('init').description('make a data directory: postern.yaml, store and self-signed certificate').option('--hostname <name>', 'the server\'s host name'))
    .action(async (opts: { config?: string; data?: string; hostname?: string }) => {
      const dataDir = resolve(io.cwd, opts.data ?? 'data');
      const configPath = opts.config ? resolve(io.cwd, opts.config) : join(dataDir, 'postern.yaml');
      if (existsSync(configPath)) throw new AdminError(`${configPath} exists already: edit it, or init another --data directory.`);
      mkdirSync(dataDir, { recursive: true });
      const hostname = opts.hostname ?? 'localhost';
      writeFileSync(configPath, INIT_YAML(hostname) + (opts.config ? `data: ${dataDir}\n` : ''));
      const loaded = loadConfig({ config: configPath, cwd: io.cwd });
      await withStore(loaded, async () => {});
      const cert = await certificateSource(loaded);
      if (cert.selfSigned) await ensureSelfSignedCertificate(loaded.dataDir, loaded.hostname);
      io.stdout.write(`Initialised ${loaded.dataDir} (config ${configPath}).\nAdd a user: postern user add you@example.test --password-stdin --data ${loaded.dataDir}\n`);
    });

  const user = program.command('user').description('manage accounts');
  common(user.command('add <address>').description('add an account')
    .option('--password-stdin', 'read the password from standard input (one line)')
    .option('--upn <upn>').option('--domain <name>').option('--sam <name>').option('--alias <alias>')
    .option('--admin', 'an administrator (barred from POP3/IMAP unless allowed)')
    .option('--shared', 'a shared mailbox: holds mail, never logs in'))
    .action(async (address: string, opts: Record<string, string | boolean | undefined>) => {
      const loaded = loadConfig(location(opts as { config?: string; data?: string }, io));
      const password = opts.passwordStdin ? await readPasswordFromStdin(io.stdin) : undefined;
      const account = await withStore(loaded, (store) => addUser(store, {
        address,
        ...(password !== undefined ? { password } : {}),
        ...(typeof opts.upn === 'string' ? { upn: opts.upn } : {}),
        ...(typeof opts.domain === 'string' ? { domain: opts.domain } : {}),
        ...(typeof opts.sam === 'string' ? { sam: opts.sam } : {}),
        ...(typeof opts.alias === 'string' ? { alias: opts.alias } : {}),
        admin: opts.admin === true,
        shared: opts.shared === true,
      }, policyOf(loaded)));
      io.stdout.write(`Added ${account.address} (login as ${account.domain}\\${account.sam} or ${account.upn}).\n`);
    });

  common(user.command('set <address>').description('change an account')
    .option('--imap-enabled <bool>').option('--pop-enabled <bool>').option('--smtp-enabled <bool>')
    .option('--disabled <bool>').option('--admin <bool>')
    .option('--password-stdin', 'read a new password from standard input (one line)'))
    .action(async (address: string, opts: Record<string, string | boolean | undefined>) => {
      const loaded = loadConfig(location(opts as { config?: string; data?: string }, io));
      const changes: UserChanges = {};
      const flags: Array<[keyof UserChanges, string, string]> = [
        ['imapEnabled', 'imapEnabled', '--imap-enabled'], ['popEnabled', 'popEnabled', '--pop-enabled'],
        ['smtpEnabled', 'smtpEnabled', '--smtp-enabled'], ['disabled', 'disabled', '--disabled'], ['admin', 'admin', '--admin'],
      ];
      for (const [key, opt, name] of flags) {
        if (typeof opts[opt] === 'string') (changes as Record<string, unknown>)[key] = parseBool(opts[opt] as string, name);
      }
      if (opts.passwordStdin) changes.password = await readPasswordFromStdin(io.stdin);
      const account = await withStore(loaded, (store) => setUser(store, address, changes, policyOf(loaded)));
      io.stdout.write(`Updated ${account.address}.\n`);
    });

  common(user.command('list').description('list accounts').option('--json', 'JSON output'))
    .action(async (opts: { config?: string; data?: string; json?: boolean }) => {
      const loaded = loadConfig(location(opts, io));
      const rows = await withStore(loaded, async (store) => {
        const accounts = await store.listAccounts();
        return Promise.all(accounts.map(async (a) => {
          const grants = await store.listGrantsTo(a.id);
          const targets = await Promise.all(grants.map((g) => store.getAccount(g.accountId)));
          return describeAccount(a, targets.filter((t) => t !== null).map((t) => t!.address));
        }));
      });
      if (opts.json) {
        io.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      if (rows.length === 0) { io.stdout.write('No accounts. Add one with: postern user add ADDRESS --password-stdin\n'); return; }
      for (const r of rows) {
        const tags = [r.shared && 'shared', r.admin && 'admin', r.disabled && 'disabled',
          !r.popEnabled && 'pop off', !r.imapEnabled && 'imap off', !r.smtpEnabled && 'smtp off'].filter(Boolean).join(', ');
        io.stdout.write(`${r.address}  ${r.domain}\\${r.sam}  alias=${r.alias}  upn=${r.upn}${tags ? `  [${tags}]` : ''}\n`);
      }
    });

  common(user.command('remove <address>').description('remove an account and its mail'))
    .action(async (address: string, opts: { config?: string; data?: string }) => {
      const loaded = loadConfig(location(opts, io));
      await withStore(loaded, (store) => removeUser(store, address));
      io.stdout.write(`Removed ${address}.\n`);
    });

  const permission = program.command('permission').description('delegation (FullAccess)');
  common(permission.command('add <mailbox>').description('give a user FullAccess on a mailbox')
    .requiredOption('--user <address>', 'who gets access').option('--access <right>', 'full', 'full'))
    .action(async (mailbox: string, opts: { config?: string; data?: string; user: string; access: string }) => {
      if (opts.access.toLowerCase() !== 'full') throw new UsageError(`--access takes "full" (FullAccess), not "${opts.access}".`);
      const loaded = loadConfig(location(opts, io));
      await withStore(loaded, (store) => grantFullAccess(store, mailbox, opts.user));
      io.stdout.write(`${opts.user} has FullAccess on ${mailbox}.\n`);
    });
  common(permission.command('remove <mailbox>').description('take FullAccess away').requiredOption('--user <address>'))
    .action(async (mailbox: string, opts: { config?: string; data?: string; user: string }) => {
      const loaded = loadConfig(location(opts, io));
      await withStore(loaded, (store) => revokeFullAccess(store, mailbox, opts.user));
      io.stdout.write(`${opts.user} no longer has access to ${mailbox}.\n`);
    });

  // ---- postern queue (issue #4): the outgoing-mail queue ------------------------------------
  const queueCmd = program.command('queue').description('the outgoing-mail queue (relay through the smarthost)');
  const withQueue = async <T>(opts: { config?: string; data?: string }, fn: (q: import('./store/queue-types.js').QueueStore) => Promise<T>): Promise<T> => {
    const loaded = loadConfig(location(opts, io));
    mkdirSync(loaded.dataDir, { recursive: true });
    const { openQueueStore } = await import('./server/delivery/outbound.js');
    const q = await openQueueStore(loaded.config.store, loaded.dataDir);
    try { return await fn(q); } finally { await q.close(); }
  };
  common(queueCmd.command('list').description('messages waiting to be relayed').option('--json', 'JSON output'))
    .action(async (opts: { config?: string; data?: string; json?: boolean }) => {
      const { formatQueue, queueView } = await import('./admin/queue.js');
      const entries = await withQueue(opts, (q) => q.list());
      io.stdout.write(opts.json ? JSON.stringify(entries.map(queueView), null, 2) + '\n' : formatQueue(entries));
    });
  common(queueCmd.command('flush [id]').description('retry now: every message, or the one named'))
    .action(async (id: string | undefined, opts: { config?: string; data?: string }) => {
      const { flushQueue } = await import('./admin/queue.js');
      const n = await withQueue(opts, (q) => flushQueue(q, id));
      io.stdout.write(`${n} message${n === 1 ? '' : 's'} due now; a running server retries within a second.\n`);
    });
  common(queueCmd.command('remove [ids...]').description('delete messages from the queue without bouncing them').option('--all', 'every message'))
    .action(async (ids: string[], opts: { config?: string; data?: string; all?: boolean }) => {
      const { removeFromQueue } = await import('./admin/queue.js');
      const removed = await withQueue(opts, (q) => removeFromQueue(q, opts.all ? 'all' : ids));
      io.stdout.write(removed.length ? `Removed ${removed.join(', ')}.\n` : 'The queue was already empty.\n');
    });

  const settings = program.command('settings').description('protocol settings, Exchange-shaped');
  common(settings.command('get <protocol>').description('show a protocol\'s settings (Get-PopSettings shape)').option('--json', 'JSON output'))
    .action(async (protocol: string, opts: { config?: string; data?: string; json?: boolean }) => {
      if (!isProtocolName(protocol)) throw new UsageError(`Unknown protocol "${protocol}": use imap, pop3, submission, smtp or lmtp.`);
      const loaded = loadConfig(location(opts, io));
      const cert = await certificateSource(loaded).then((c) => (existsSync(c.certPath) ? readFileSync(c.certPath, 'utf8') : null)).catch(() => null);
      const view = protocolSettingsView(loaded, protocol, cert);
      io.stdout.write(opts.json ? JSON.stringify(view, null, 2) + '\n' : formatList(view));
    });
  common(settings.command('set <protocol>').description('change settings: every key as --kebab-case-key VALUE (e.g. --login-type SecureLogin)')
    .allowUnknownOption(true).allowExcessArguments(true).helpOption('-h, --help'))
    .action(async (protocol: string, _opts: unknown, cmd: Command) => {
      if (!isProtocolName(protocol)) throw new UsageError(`Unknown protocol "${protocol}": use imap, pop3, submission, smtp or lmtp.`);
      const raw = cmd.parent!.args.slice(cmd.parent!.args.indexOf(protocol) + 1);
      const loc: { config?: string; data?: string } = {};
      const changes: Record<string, string> = {};
      for (let i = 0; i < raw.length; i++) {
        const arg = raw[i]!;
        const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
        if (!m) throw new UsageError(`Unexpected "${arg}": write settings as --kebab-case-key VALUE.`);
        const value = m[2] ?? raw[++i];
        if (value === undefined) throw new UsageError(`--${m[1]} needs a value.`);
        if (m[1] === 'config' || m[1] === 'data') loc[m[1]] = value;
        else changes[camelKey(m[1]!)] = value;
      }
      const loaded = loadConfig(location(loc, io));
      const path = setProtocolSettings(loaded, protocol, changes);
      io.stdout.write(`Saved ${path}; new connections use the new settings.\n`);
    });

  common(program.command('deliver <address>').description('deliver a message from standard input').option('--mailbox <name>', 'folder', 'INBOX'))
    .action(async (address: string, opts: { config?: string; data?: string; mailbox: string }) => {
      const loaded = loadConfig(location(opts, io));
      const raw = await readAll(io.stdin, loaded.config.limits.maxMessageSize + 1);
      if (raw.length === 0) throw new UsageError('Standard input is empty: pipe a message in, e.g. postern deliver you@example.test < message.eml');
      const { result, account } = await withStore(loaded, (store) => deliverLocal(store, address, raw, { mailbox: opts.mailbox, maxMessageSize: loaded.config.limits.maxMessageSize }));
      io.stdout.write(`Delivered to ${account.address} ${opts.mailbox} (UID ${result.uid}).\n`);
    });

  program.command('probe <host>').description('check a mail server\'s ports, TLS and logins, and explain what clients must change')
    .option('--port <n>', 'one port only').option('--protocol <p>', 'smtp | imap | pop3 | ftp').option('--mode <m>', 'plain | tls | starttls')
    .option('--json', 'JSON output').option('--user <u>').option('--password-stdin', 'read the password from standard input')
    .option('--ca <file>', 'trust these CA certificates').option('--timeout <s>', 'seconds per step')
    .option('--servername <name>', 'check certificates against this name instead of HOST')
    .option('--source <address>', 'connect from this local address (e.g. 127.0.0.2 to see what a remote client sees)')
    .option('--allow-cleartext-login', 'let the login test send a password without TLS')
    .action(async (host: string, opts: Record<string, string | boolean | undefined>) => {
      const probe = await import('./probe/cli.js');
      const password = opts.passwordStdin ? await readPasswordFromStdin(io.stdin) : undefined;
      const num = (v: unknown, name: string) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} takes a positive number, not "${String(v)}".`);
        return n;
      };
      const port = num(opts.port, '--port');
      const timeout = num(opts.timeout, '--timeout');
      exit.code = await probe.runProbeCommand(host, {
        ...(port !== undefined ? { port } : {}),
        ...(typeof opts.protocol === 'string' ? { protocol: opts.protocol as 'smtp' } : {}),
        ...(typeof opts.mode === 'string' ? { mode: opts.mode as 'plain' } : {}),
        ...(opts.json ? { json: true } : {}),
        ...(typeof opts.user === 'string' ? { user: opts.user } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(typeof opts.ca === 'string' ? { ca: opts.ca } : {}),
        ...(timeout !== undefined ? { timeout } : {}),
        ...(typeof opts.servername === 'string' ? { servername: opts.servername } : {}),
        ...(typeof opts.source === 'string' ? { source: opts.source } : {}),
        ...(opts.allowCleartextLogin ? { allowCleartextLogin: true } : {}),
      }, io.stdout);
    });
  return program;
}

export async function main(argv: string[], io: Partial<Io> = {}): Promise<number> {
  const full: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, cwd: process.cwd(), ...io };
  const exit = { code: 0 };
  const program = buildProgram(full, exit);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    const known = err instanceof ConfigError || err instanceof AdminError || err instanceof UsageError || err instanceof DeliveryError || err instanceof ListenError || err instanceof ProbeUsageError;
    const message = known ? (err as Error).message : `Unexpected error: ${(err as Error).message}. Re-run with the same arguments; if it persists, report it with this message.`;
    full.stderr.write(`postern: ${message}\n`);
    return 1;
  }
}
