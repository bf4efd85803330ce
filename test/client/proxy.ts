// A TCP relay on 127.0.0.1 port 0 in front of a real server, so a test can cut every open
// connection (a dropped NAT mapping, a restarted load balancer) while the server stays up.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Relay {
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Resets every open connection. */
  cut(): void;
  close(): Promise<void>;
}

export async function startRelay(targetPort: number): Promise<Relay> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const relay: Relay = {
    port: 0,
    accepted: 0,
    cut: () => {
      for (const [a, b] of pairs) {
        a.resetAndDestroy();
        b.destroy();
      }
      pairs.clear();
    },
    close: () => new Promise((r) => {
      // A plain close, not a reset: a reset that catches a TLS shutdown half-way keeps Node's
      // exit-time handle cleanup spinning (the in-process server's socket), so tests would hang.
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
      server.close(() => r());
    }),
  };
  const server = net.createServer((client) => {
    relay.accepted++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  relay.port = (server.address() as AddressInfo).port;
  return relay;
}
