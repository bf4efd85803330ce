// Listeners from Exchange-style bindings ("[::]:993", "0.0.0.0:993", "127.0.0.1:0"), and
// <data>/listeners.json — the contract scripts and tests read bound ports from (DESIGN §2).
import net from 'node:net';
import { renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** A binding could not be bound; the message says why and what to do. */
export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

export type ListenerSecurity = 'starttls' | 'tls' | 'plain';

export interface ListenerSpec {
  protocol: string;
  security: ListenerSecurity;
  binding: string;
}

export interface BoundListener {
  protocol: string;
  security: ListenerSecurity;
  address: string;
  port: number;
  server: net.Server;
}

export function parseBinding(binding: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(binding);
  if (!m) throw new Error(`bad binding "${binding}": write ADDRESS:PORT`);
  return { host: (m[1] ?? m[2])!, port: Number(m[3]) };
}

/** Binds every spec; on any failure closes those already bound and rejects naming the binding. */
export async function openListeners(
  specs: ListenerSpec[],
  onSocket: (socket: net.Socket, listener: BoundListener) => void,
): Promise<BoundListener[]> {
  const bound: BoundListener[] = [];
  try {
    for (const spec of specs) bound.push(await listenOne(spec, onSocket));
  } catch (err) {
    await closeListeners(bound);
    throw err;
  }
  return bound;
}

function listenOne(spec: ListenerSpec, onSocket: (socket: net.Socket, l: BoundListener) => void): Promise<BoundListener> {
  const { host, port } = parseBinding(spec.binding);
  // allowHalfOpen: a client that sends QUIT and shuts down its side still gets the reply.
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });
  const listener: BoundListener = { protocol: spec.protocol, security: spec.security, address: host, port, server };
  server.on('connection', (socket) => onSocket(socket, listener));
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'EADDRINUSE' ? 'another program listens there: stop it or choose another port'
        : err.code === 'EACCES' ? 'ports below 1024 need root or CAP_NET_BIND_SERVICE: run as root or choose a port ≥ 1024'
        : err.code === 'EADDRNOTAVAIL' ? 'this machine has no such address' : err.message;
      reject(new ListenError(`cannot listen for ${spec.protocol} on ${spec.binding}: ${hint}`));
    });
    // "[::]" binds IPv6 only, so the "0.0.0.0" binding Exchange lists beside it does not collide.
    server.listen({ host, port, ipv6Only: host.includes(':') }, () => {
      const addr = server.address() as net.AddressInfo;
      listener.address = addr.address;
      listener.port = addr.port;
      server.removeAllListeners('error');
      server.on('error', () => {});
      resolve(listener);
    });
  });
}

export async function closeListeners(listeners: BoundListener[]): Promise<void> {
  await Promise.all(listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve()))));
}

export function listenersJsonPath(dataDir: string): string {
  return join(dataDir, 'listeners.json');
}

/** Removed at start so a reader never mistakes the previous run's ports for this one's. */
export function removeListenersJson(dataDir: string): void {
  rmSync(listenersJsonPath(dataDir), { force: true });
}

export function writeListenersJson(dataDir: string, listeners: BoundListener[]): void {
  mkdirSync(dataDir, { recursive: true });
  const body = listeners.map((l) => ({ protocol: l.protocol, security: l.security, address: l.address, port: l.port }));
  const path = listenersJsonPath(dataDir);
  writeFileSync(path + '.tmp', JSON.stringify(body, null, 2) + '\n');
  renameSync(path + '.tmp', path);
}
