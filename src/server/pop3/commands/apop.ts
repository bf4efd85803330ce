// RFC 1939 §7 APOP needs the cleartext password on the server (MD5 of timestamp+secret); postern
// stores only salted hashes, so APOP is refused and not advertised (no timestamp in the banner).
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'APOP',
  phases: ['authorization'],
  async handle(s) {
    s.err('APOP is not supported; use AUTH or USER/PASS over TLS.', 'AUTH');
  },
});
