// What every protocol session is given by the composition root (src/main.ts). Settings are
// read through getters so `postern settings set` applies to the next connection.
import type { Logger } from 'pino';
import type { Authenticator } from '../../auth/authenticator.js';
import type { MailStore } from '../../store/types.js';
import type { TlsPolicy } from '../../net/tls-policy.js';
import type { Limits, UserIpTracker } from '../../net/limits.js';
import type { NetworkList } from '../../net/networks.js';
import type { PosternConfig } from '../../config/schema.js';
import type { ProtocolLogs } from './protocol-log.js';
import type { Outbound } from '../delivery/outbound.js';

export interface ServerContext {
  readonly store: MailStore;
  readonly auth: Authenticator;
  readonly tls: TlsPolicy;
  readonly logger: Logger;
  readonly protocolLogs: ProtocolLogs;
  readonly userIp: UserIpTracker;
  readonly hostname: string;
  readonly dataDir: string;
  /** The config as it is now (reloaded when postern.yaml changes). */
  config(): PosternConfig;
  limits(): Limits;
  trustedNetworks(): NetworkList;
  /** The outgoing-mail queue (SMTP submission queues non-local recipients here). */
  readonly outbound?: Outbound;
}
