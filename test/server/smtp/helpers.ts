// Shared set-up for SMTP session tests: a server with a few accounts, and reading what was
// delivered straight from the store.
import type { TestServer } from '../../helpers/server.js';

/** The raw messages in an account's INBOX, oldest first. */
export async function inbox(server: TestServer, address: string): Promise<Buffer[]> {
  const account = await server.store.findAccountByAddress(address);
  if (!account) throw new Error(`no account ${address}`);
  const box = await server.store.getMailbox(account.id, 'INBOX');
  if (!box) return [];
  const msgs = await server.store.listMessages(box.id);
  return Promise.all(msgs.map((m) => server.store.readBlob(m.blobId)));
}

/** Waits until `check` passes (polling), for effects that happen after a reply. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const ALICE = 'alice@example.test';
export const BOB = 'bob@example.test';
export const PW = 'pw-alice';
