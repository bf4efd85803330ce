/** The SASL layer: mechanism state machines for servers and clients, no I/O. */
export * from './server.js';
export * from './client.js';
export { saslprep, preparePassword, type PrepResult } from './saslprep.js';
export { escapeSaslName, unescapeSaslName } from './scram-names.js';
export { ScramServerExchange, type ScramServerOptions } from './server-scram.js';
export { ScramClientExchange, MAX_CLIENT_ITERATIONS, type ScramClientOptions } from './client-scram.js';
export type { ScramHash } from './types.js';
