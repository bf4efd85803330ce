// RFC 2971 ID: the client says who it is (logged), the server answers with its name.
import { defineCommand } from '../spec.js';
import { nstring, string, toBytes } from '../../../wire/imap/response.js';

export default defineCommand({
  name: 'ID',
  states: ['not-authenticated', 'authenticated', 'selected'],
  capabilities: () => ['ID'],
  async handle(s, cmd, tag) {
    if (cmd.params) {
      const text = cmd.params.map(([k, v]) => `${k}=${v ?? 'NIL'}`).join(' ').slice(0, 300);
      s.log.event(`client id: ${text}`);
    }
    const fields: Array<[string, string]> = [['name', 'postern'], ['vendor', 'postern'], ['support-url', 'https://example.invalid/postern']];
    const parts = fields.map(([k, v]) => toBytes([...string(k, false), ' ', ...nstring(v, false)]).toString());
    s.push(`* ID (${parts.join(' ')})\r\n`);
    s.ok(tag, 'ID completed.');
  },
});
