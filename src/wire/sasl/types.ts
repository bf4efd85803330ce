/** Types shared by the server and the client side of the SASL layer. */

/**
 * Channel-binding data taken from the TLS connection (RFC 5929, RFC 9266). The protocol layer
 * reads it from the socket (e.g. `socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding',
 * Buffer.alloc(0))` for tls-exporter) and hands it in; this layer never touches sockets.
 */
export interface ChannelBinding {
  type: 'tls-exporter' | 'tls-server-end-point';
  data: Buffer;
}

/** Hash functions SCRAM is defined for here (RFC 5802 SHA-1, RFC 7677 SHA-256, SHA-512 draft). */
export type ScramHash = 'sha1' | 'sha256' | 'sha512';
