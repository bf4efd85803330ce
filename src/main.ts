// The one composition root (DESIGN §1): config → store → directory → TLS → listeners.
// Nothing else reads configuration or the environment on its own.
import { watchFile, unwatchFile } from 'node:fs';
import type { Socket } from 'node:net';
import pino, { type Logger } from 'pino';
import { loadConfig, resolveConfigPath, type LoadedConfig } from './config/load.js';
import type { PosternConfig, ProtocolName } from './config/schema.js';
import { openStore } from './store/index.js';
import type { MailStore } from './store/types.js';
import { Authenticator, type AuthenticatorOptions } from './auth/authenticator.js';
import type { PasswordHashPolicy } from './auth/passwords.js';
import { ensureSelfSignedCertificate, readCertificatePair, watchCertificate, type CertificateSource } from './net/certificate.js';
import { TlsPolicy } from './net/tls-policy.js';
import { Connection, normalizeAddress } from './net/connection.js';
import { ConnectionTracker, UserIpTracker, limitsFromConfig } from './net/limits.js';
import { NetworkList } from './net/networks.js';
import { closeListeners, openListeners, removeListenersJson, writeListenersJson, type BoundListener, type ListenerSpec } from './net/listeners.js';
import { ProtocolLogs } from './server/common/protocol-log.js';
import type { ServerContext } from './server/common/context.js';
import type { ProtocolHandler } from './server/common/protocol-handler.js';
import { protocolHandlers } from './server/handlers.js';
import { openOutbound, type Outbound } from './server/delivery/outbound.js';
import { startQueueRunner } from './server/delivery/queue-runner.js';

export interface RunningServer {
  listeners: BoundListener[];
  store: MailStore;
  context: ServerContext;
  stop(): Promise<void>;
}

export function authenticatorOptions(config: PosternConfig): AuthenticatorOptions {
  const a = config.auth;
  return {
    ...(a.defaultDomain ? { defaultDomain: a.defaultDomain } : {}),
    failureDelayMs: a.failureDelay,
    lockout: { threshold: a.lockout.threshold, windowMs: a.lockout.window, durationMs: a.lockout.duration },
    allowAdminMailAccess: a.allowAdminMailAccess,
    credentialCacheTtlMs: a.credentialCacheTtl,
    passwordHash: passwordHashPolicy(config),
  };
}

export function passwordHashPolicy(config: PosternConfig): PasswordHashPolicy {
  const a = config.auth;
  return a.passwordScheme === 'scrypt' ? { scheme: 'scrypt', scrypt: a.scrypt } : { scheme: 'argon2id', argon2: a.argon2 };
}

export async function certificateSource(loaded: LoadedConfig): Promise<CertificateSource> {
  const { cert, key } = loaded.config.tls;
  if (cert && key) return { certPath: resolveConfigPath(loaded, cert), keyPath: resolveConfigPath(loaded, key), selfSigned: false };
  return ensureSelfSignedCertificate(loaded.dataDir, loaded.hostname);
}

// TLS tickets are sealed with a key kept in the store, so a ticket from one node resumes on the
// others and across restarts. Whichever node first finds it older than this replaces it; the
// others pick the new one up within TICKET_KEY_POLL_MS (a ticket sealed in between costs one
// full handshake, nothing more).
const TICKET_KEY_MAX_AGE_MS = 12 * 3600_000;
const TICKET_KEY_POLL_MS = 60_000;

function followTicketKey(store: MailStore, tls: TlsPolicy, logger: Logger): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    store.ticketKey(TICKET_KEY_MAX_AGE_MS)
      .then((key) => {
        if (key.equals(tls.ticketKeys)) return;
        tls.setTicketKeys(key);
        logger.info('TLS ticket key rotated');
      })
      .catch((err: Error) => logger.warn({ err: err.message }, 'could not read the TLS ticket key; keeping the current one'))
      .finally(() => { busy = false; });
  }, TICKET_KEY_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** The listeners the config asks for, for the protocols this build serves. */
export function listenerSpecs(config: PosternConfig, handlers: Map<string, ProtocolHandler>): ListenerSpec[] {
  const specs: ListenerSpec[] = [];
  for (const protocol of ['imap', 'pop3', 'submission'] as const) {
    const section = config[protocol];
    if (!section.enabled || !handlers.has(protocol)) continue;
    for (const binding of section.unencryptedOrTLSBindings) specs.push({ protocol, security: 'starttls', binding });
    for (const binding of section.sslBindings) specs.push({ protocol, security: 'tls', binding });
  }
  const extra = config as PosternConfig & { smtp?: { enabled?: boolean; bindings?: string[] } };
  if (extra.smtp?.enabled !== false && extra.smtp?.bindings && handlers.has('smtp')) {
    for (const binding of extra.smtp.bindings) specs.push({ protocol: 'smtp', security: 'starttls', binding });
  }
  if (config.lmtp.enabled && handlers.has('lmtp')) {
    for (const binding of config.lmtp.bindings) specs.push({ protocol: 'lmtp', security: 'plain', binding });
  }
  return specs;
}

export async function startServer(loaded: LoadedConfig, options: { logger?: Logger } = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ base: null });
  let current = loaded;
  removeListenersJson(loaded.dataDir);
  const store = await openStore(loaded.config.store, loaded.dataDir);
  const cleanups: Array<() => void> = [];
  let outbound: Outbound | null = null;
  try {
    outbound = await openOutbound(loaded.config.store, loaded.dataDir);
    const certSource = await certificateSource(loaded);
    const tls = new TlsPolicy(readCertificatePair(certSource), {
      minVersion: loaded.config.tls.minVersion,
      maxVersion: loaded.config.tls.maxVersion,
      ...(loaded.config.tls.ciphers ? { ciphers: loaded.config.tls.ciphers } : {}),
      ticketKeys: await store.ticketKey(TICKET_KEY_MAX_AGE_MS),
    });
    cleanups.push(followTicketKey(store, tls, logger));
    cleanups.push(watchCertificate(certSource, () => {
      try {
        tls.reload(readCertificatePair(certSource));
        logger.info({ cert: certSource.certPath }, 'certificate reloaded');
      } catch (err) {
        logger.error({ err }, 'certificate reload failed; still serving the previous one');
      }
    }));
    const auth = new Authenticator(store, authenticatorOptions(loaded.config));
    let trusted = new NetworkList(loaded.config.trustedNetworks);
    const context: ServerContext = {
      store,
      auth,
      tls,
      logger,
      protocolLogs: new ProtocolLogs(loaded.dataDir),
      userIp: new UserIpTracker(),
      hostname: loaded.hostname,
      dataDir: loaded.dataDir,
      config: () => current.config,
      limits: () => limitsFromConfig(current.config),
      trustedNetworks: () => trusted,
      outbound,
    };

    // `postern settings set` edits postern.yaml; new connections see the change.
    if (loaded.configPath) {
      const path = loaded.configPath;
      const onChange = () => {
        try {
          const next = loadConfig({ config: path });
          current = { ...next, dataDir: loaded.dataDir };
          trusted = new NetworkList(next.config.trustedNetworks);
          auth.updateOptions(authenticatorOptions(next.config));
          logger.info({ config: path }, 'configuration reloaded');
        } catch (err) {
          logger.error({ err: (err as Error).message }, 'configuration change refused; keeping the previous settings');
        }
      };
      watchFile(path, { interval: 500 }, onChange);
      cleanups.push(() => unwatchFile(path, onChange));
    }

    const handlers = protocolHandlers();
    const tracker = new ConnectionTracker(() => current.config.limits.maxConnectionsPerIp);
    const open = new Set<Connection>();
    const onSocket = (socket: Socket, listener: BoundListener) => {
      const handler = handlers.get(listener.protocol);
      if (!handler) { socket.destroy(); return; }
      const ip = normalizeAddress(socket.remoteAddress ?? '');
      socket.on('error', () => {});
      if (!tracker.tryAcquire(ip)) {
        if (listener.security === 'tls') socket.destroy();
        else socket.end(handler.tooManyConnectionsLine);
        return;
      }
      const conn = new Connection(socket, current.config.limits.maxPreAuthLineLength);
      open.add(conn);
      conn.onClose(() => { tracker.release(ip); open.delete(conn); });
      void (async () => {
        if (listener.security === 'tls') await conn.startTls(tls, handler.alpn, context.limits().tlsHandshakeTimeoutMs);
        await handler.serve(conn, listener.security, context);
      })().catch((err) => {
        logger.debug({ err: (err as Error).message, protocol: listener.protocol }, 'session ended with an error');
        conn.destroy();
      });
    };
    const listeners = await openListeners(listenerSpecs(loaded.config, handlers), onSocket);
    writeListenersJson(loaded.dataDir, listeners);
    logger.info({ listeners: listeners.map((l) => `${l.protocol}/${l.security} ${l.address}:${l.port}`) }, 'postern is listening');
    const stopQueueRunner = startQueueRunner(context, loaded.baseDir);

    let stopped = false;
    return {
      listeners,
      store,
      context,
      async stop() {
        if (stopped) return;
        stopped = true;
        for (const c of cleanups) c();
        await stopQueueRunner();
        // Stop accepting, then drop open sessions: server.close() waits for every connection.
        const closing = closeListeners(listeners);
        for (const conn of open) conn.destroy();
        await closing;
        removeListenersJson(loaded.dataDir);
        await context.protocolLogs.close();
        await outbound!.queue.close();
        await store.close();
      },
    };
  } catch (err) {
    for (const c of cleanups) c();
    await outbound?.queue.close();
    await store.close();
    throw err;
  }
}

export type { ProtocolName };
