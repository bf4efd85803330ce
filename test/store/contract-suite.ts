// The MailStore contract as tests. contract.test.ts runs this one suite against every
// implementation; anything a caller may rely on is asserted here, so both stores behave alike.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Account, MailStore } from '../../src/store/types.js';
import { StoreError } from '../../src/store/types.js';
import { awkwardBytes, collect, message, newAccount } from './helpers.js';

/** One empty database (a SQLite file, a PostgreSQL schema) that stores can be opened on. */
export interface Backing {
  /** A new store object on this database — a second process or node in miniature. */
  open(): Promise<MailStore>;
  /** Fault injection: from now on, deleting or updating this message fails inside the database. */
  failChangesTo(mailboxId: number, uid: number): Promise<void>;
  /** Fault injection: from now on, inserting a message into this mailbox fails. */
  failInsertsInto(mailboxId: number): Promise<void>;
  destroy(): Promise<void>;
}

export interface Backend {
  name: string;
  /** Why the backend cannot run here (the tests are then skipped), or null. */
  unavailable(): Promise<string | null>;
  create(): Promise<Backing>;
}

interface Ctx {
  store: MailStore;
  backing: Backing;
  /** Another store on the same database, closed at the end of the test. */
  open(): Promise<MailStore>;
  /** Replaces ctx.store with a freshly opened one after closing it. */
  reopen(): Promise<MailStore>;
}

function rejectsWith(code: StoreError['code']) {
  return (error: unknown) => {
    assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
    assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
    return true;
  };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export function storeContract(backend: Backend): void {
  describe(`MailStore contract: ${backend.name}`, async () => {
    const reason = await backend.unavailable();

    /** Declares a test that gets a fresh, empty database and store. */
    const it = (name: string, fn: (ctx: Ctx) => Promise<void>) =>
      test(name, { skip: reason ?? false }, async () => {
        const backing = await backend.create();
        const opened: MailStore[] = [];
        const open = async () => {
          const s = await backing.open();
          opened.push(s);
          return s;
        };
        const ctx: Ctx = {
          store: await open(),
          backing,
          open,
          reopen: async () => {
            await ctx.store.close();
            ctx.store = await open();
            return ctx.store;
          },
        };
        try {
          await fn(ctx);
        } finally {
          for (const s of opened) await s.close();
          await backing.destroy();
        }
      });

    async function userWithInbox(store: MailStore, local = 'alice'): Promise<{ account: Account; inbox: number }> {
      const account = await store.createAccount(newAccount(local));
      const inbox = await store.createMailbox(account.id, 'INBOX');
      return { account, inbox: inbox.id };
    }

    // ---- accounts ----------------------------------------------------------------------------

    it('a new account keeps every field, with names in their stored case', async ({ store }) => {
      const scram = { salt: Buffer.from('salt\x00\xff'), iterations: 4096, storedKey: Buffer.alloc(32, 1), serverKey: Buffer.alloc(32, 2) };
      const before = Date.now();
      const a = await store.createAccount(newAccount('Alice', 'Example.TEST', {
        upn: 'Alice@Corp.Example.TEST', domain: 'corp', sam: 'ALICE', alias: 'AliceA',
        passwordHash: '$scrypt$abc', scram, admin: true, popEnabled: false, shared: false,
      }));
      assert.ok(Number.isInteger(a.id) && a.id > 0);
      assert.equal(a.address, 'alice@example.test');
      assert.equal(a.upn, 'alice@corp.example.test');
      assert.equal(a.domain, 'CORP');
      assert.equal(a.sam, 'alice');
      assert.equal(a.alias, 'alicea');
      assert.equal(a.passwordHash, '$scrypt$abc');
      assert.deepEqual(a.scram, scram);
      assert.deepEqual(
        [a.imapEnabled, a.popEnabled, a.smtpEnabled, a.admin, a.disabled, a.shared],
        [true, false, true, true, false, false],
      );
      assert.ok(a.createdAt instanceof Date);
      assert.ok(a.createdAt.getTime() >= before - 1000 && a.createdAt.getTime() <= Date.now() + 1000);
      assert.deepEqual(await store.getAccount(a.id), a);
    });

    it('accounts are found by address, UPN, alias and SAM name in any letter case', async ({ store }) => {
      const a = await store.createAccount(newAccount('bob', 'example.test', { upn: 'bob@corp.test', alias: 'bobby' }));
      assert.equal((await store.findAccountByAddress('BOB@Example.Test'))?.id, a.id);
      assert.equal((await store.findAccountByUpn('Bob@CORP.test'))?.id, a.id);
      assert.equal((await store.findAccountByAlias('BOBBY'))?.id, a.id);
      assert.deepEqual((await store.findAccountsBySam('BOB', 'example')).map((x) => x.id), [a.id]);
      assert.deepEqual((await store.findAccountsBySam('bob', null)).map((x) => x.id), [a.id]);
      assert.deepEqual(await store.findAccountsBySam('bob', 'OTHER'), []);
      assert.equal(await store.findAccountByAddress('nobody@example.test'), null);
      assert.equal(await store.findAccountByUpn('bob@example.test'), null);
      assert.equal(await store.findAccountByAlias('bob'), null);
      assert.equal(await store.getAccount(a.id + 1000), null);
    });

    it('the same SAM name in two domains is two accounts, found together without a domain', async ({ store }) => {
      const a = await store.createAccount(newAccount('carol', 'one.test', { alias: 'carol1' }));
      const b = await store.createAccount(newAccount('carol', 'two.test', { alias: 'carol2' }));
      assert.deepEqual((await store.findAccountsBySam('carol', null)).map((x) => x.id), [a.id, b.id]);
      assert.deepEqual((await store.findAccountsBySam('carol', 'two')).map((x) => x.id), [b.id]);
      assert.deepEqual((await store.listAccounts()).map((x) => x.id), [a.id, b.id]);
    });

    it('a second account with a taken address, UPN, alias or domain\\SAM is refused', async ({ store }) => {
      await store.createAccount(newAccount('dave', 'example.test', { upn: 'dave@corp.test', alias: 'dave' }));
      const clash = (o: Parameters<typeof newAccount>[2]) =>
        store.createAccount(newAccount('erin', 'example.test', { alias: 'erin', upn: 'erin@corp.test', ...o }));
      await assert.rejects(clash({ address: 'DAVE@example.test' }), rejectsWith('ALREADY_EXISTS'));
      await assert.rejects(clash({ upn: 'Dave@Corp.Test' }), rejectsWith('ALREADY_EXISTS'));
      await assert.rejects(clash({ alias: 'Dave' }), rejectsWith('ALREADY_EXISTS'));
      await assert.rejects(clash({ sam: 'DAVE', domain: 'Example' }), rejectsWith('ALREADY_EXISTS'));
      assert.equal((await store.listAccounts()).length, 1);
      await clash({});
      assert.equal((await store.listAccounts()).length, 2);
    });

    it('account names that would make logins ambiguous are refused', async ({ store }) => {
      for (const bad of [
        { address: '' }, { address: 'no-at-sign' }, { address: 'a@b@c' }, { upn: 'plainname' },
        { sam: 'a\\b' }, { sam: 'a/b' }, { alias: 'x@y' }, { domain: 'A B' }, { sam: '' }, { alias: 'tab\there' },
      ]) {
        await assert.rejects(store.createAccount(newAccount('frank', 'example.test', bad)), rejectsWith('INVALID'), JSON.stringify(bad));
      }
      assert.deepEqual(await store.listAccounts(), []);
    });

    it('updating an account changes only the given fields and keeps names unique', async ({ store }) => {
      const a = await store.createAccount(newAccount('gina'));
      await store.createAccount(newAccount('hank'));
      const scram = { salt: Buffer.from([1, 2, 3]), iterations: 10000, storedKey: Buffer.alloc(32, 7), serverKey: Buffer.alloc(32, 8) };
      const u = await store.updateAccount(a.id, { upn: 'Gina@Corp.Test', disabled: true, scram, passwordHash: 'h1' });
      assert.equal(u.upn, 'gina@corp.test');
      assert.equal(u.disabled, true);
      assert.deepEqual(u.scram, scram);
      assert.equal(u.passwordHash, 'h1');
      assert.equal(u.address, a.address);
      assert.equal(u.alias, a.alias);
      assert.deepEqual(u.createdAt, a.createdAt);
      assert.deepEqual(await store.getAccount(a.id), u);
      const cleared = await store.updateAccount(a.id, { scram: null, passwordHash: null });
      assert.equal(cleared.scram, null);
      assert.equal(cleared.passwordHash, null);
      assert.deepEqual(await store.updateAccount(a.id, {}), cleared);
      await assert.rejects(store.updateAccount(a.id, { alias: 'HANK' }), rejectsWith('ALREADY_EXISTS'));
      await assert.rejects(store.updateAccount(a.id, { address: 'x@y.test' } as never), rejectsWith('INVALID'));
      await assert.rejects(store.updateAccount(a.id + 100, { admin: true }), rejectsWith('NOT_FOUND'));
    });

    it('deleting an account removes its mailboxes, messages, grants both ways and unshared blobs', async ({ store }) => {
      const { account: a, inbox } = await userWithInbox(store, 'ivan');
      const { account: b, inbox: bInbox } = await userWithInbox(store, 'judy');
      const c = await store.createAccount(newAccount('kim'));
      await store.addGrant({ accountId: a.id, granteeId: b.id, access: 'full' });
      await store.addGrant({ accountId: c.id, granteeId: a.id, access: 'full' });
      const only = message();
      const shared = message();
      await store.append(inbox, { raw: only });
      await store.append(inbox, { raw: shared });
      await store.append(bInbox, { raw: shared });
      await store.deleteAccount(a.id);
      assert.equal(await store.getAccount(a.id), null);
      assert.equal(await store.getMailboxById(inbox), null);
      assert.deepEqual(await store.listMailboxes(a.id), []);
      assert.deepEqual(await store.listGrantsTo(b.id), []);
      assert.deepEqual(await store.listGrantsOn(c.id), []);
      await assert.rejects(store.readBlob(sha256(only)), rejectsWith('NOT_FOUND'));
      assert.deepEqual(await store.readBlob(sha256(shared)), shared);
      await assert.rejects(store.deleteAccount(a.id), rejectsWith('NOT_FOUND'));
    });

    // ---- delegation --------------------------------------------------------------------------

    it('FullAccess grants are added, listed both ways, checked and removed', async ({ store }) => {
      const owner = await store.createAccount(newAccount('shared-box', 'example.test', { shared: true }));
      const u1 = await store.createAccount(newAccount('u1'));
      const u2 = await store.createAccount(newAccount('u2'));
      assert.equal(await store.hasGrant(owner.id, u1.id, 'full'), false);
      await store.addGrant({ accountId: owner.id, granteeId: u2.id, access: 'full' });
      await store.addGrant({ accountId: owner.id, granteeId: u1.id, access: 'full' });
      await store.addGrant({ accountId: owner.id, granteeId: u1.id, access: 'full' }); // again: no error, no duplicate
      assert.deepEqual(await store.listGrantsOn(owner.id), [
        { accountId: owner.id, granteeId: u1.id, access: 'full' },
        { accountId: owner.id, granteeId: u2.id, access: 'full' },
      ]);
      assert.deepEqual(await store.listGrantsTo(u1.id), [{ accountId: owner.id, granteeId: u1.id, access: 'full' }]);
      assert.equal(await store.hasGrant(owner.id, u1.id, 'full'), true);
      assert.equal(await store.hasGrant(u1.id, owner.id, 'full'), false);
      await store.removeGrant(owner.id, u1.id);
      assert.equal(await store.hasGrant(owner.id, u1.id, 'full'), false);
      assert.deepEqual(await store.listGrantsTo(u1.id), []);
      await assert.rejects(store.removeGrant(owner.id, u1.id), rejectsWith('NOT_FOUND'));
      await assert.rejects(store.addGrant({ accountId: owner.id, granteeId: owner.id, access: 'full' }), rejectsWith('INVALID'));
      await assert.rejects(store.addGrant({ accountId: owner.id, granteeId: u1.id + 999, access: 'full' }), rejectsWith('NOT_FOUND'));
      await assert.rejects(store.addGrant({ accountId: owner.id, granteeId: u1.id, access: 'read' as never }), rejectsWith('INVALID'));
    });

    // ---- mailboxes ---------------------------------------------------------------------------

    it('a new mailbox is empty, unsubscribed, with UIDNEXT 1 and a UIDVALIDITY', async ({ store }) => {
      const a = await store.createAccount(newAccount('leo'));
      const m = await store.createMailbox(a.id, 'Sent', '\\Sent');
      assert.equal(m.accountId, a.id);
      assert.equal(m.name, 'Sent');
      assert.equal(m.specialUse, '\\Sent');
      assert.equal(m.subscribed, false);
      assert.equal(m.uidNext, 1);
      assert.equal(m.messageCount, 0);
      assert.equal(m.totalSize, 0);
      assert.ok(m.highestModseq >= 1, 'HIGHESTMODSEQ is non-zero (RFC 7162 §3.1.2.1)');
      assert.ok(Number.isInteger(m.uidValidity) && m.uidValidity > 0 && m.uidValidity <= 0xffffffff);
      assert.deepEqual(await store.getMailboxById(m.id), m);
      assert.deepEqual(await store.getMailbox(a.id, 'Sent'), m);
      assert.equal((await store.createMailbox(a.id, 'Plain')).specialUse, null);
    });

    it('INBOX is one mailbox whatever its letter case; other names are case-sensitive', async ({ store }) => {
      const a = await store.createAccount(newAccount('mia'));
      const inbox = await store.createMailbox(a.id, 'inbox');
      assert.equal(inbox.name, 'INBOX');
      await assert.rejects(store.createMailbox(a.id, 'INBOX'), rejectsWith('ALREADY_EXISTS'));
      await assert.rejects(store.createMailbox(a.id, 'InBoX'), rejectsWith('ALREADY_EXISTS'));
      assert.equal((await store.getMailbox(a.id, 'iNbOx'))?.id, inbox.id);
      assert.equal((await store.createMailbox(a.id, 'Inbox/Receipts')).name, 'INBOX/Receipts');
      assert.equal((await store.getMailbox(a.id, 'inbox/Receipts'))?.name, 'INBOX/Receipts');
      const w1 = await store.createMailbox(a.id, 'Work');
      const w2 = await store.createMailbox(a.id, 'work');
      assert.notEqual(w1.id, w2.id);
      assert.equal(await store.getMailbox(a.id, 'WORK'), null);
      await assert.rejects(store.createMailbox(a.id, 'Work'), rejectsWith('ALREADY_EXISTS'));
    });

    it('malformed mailbox names and unknown special-use attributes are refused', async ({ store }) => {
      const a = await store.createAccount(newAccount('ned'));
      for (const bad of ['', '/', 'a//b', '/a', 'a/', 'a\nb', 'a\rb', 'a\0b']) {
        await assert.rejects(store.createMailbox(a.id, bad), rejectsWith('INVALID'), JSON.stringify(bad));
      }
      await assert.rejects(store.createMailbox(a.id, 'x', '\\Important' as never), rejectsWith('INVALID'));
      await assert.rejects(store.createMailbox(a.id + 50, 'x'), rejectsWith('NOT_FOUND'));
      assert.deepEqual(await store.listMailboxes(a.id), []);
    });

    it('a mailbox deleted and created again under the same name gets a new UIDVALIDITY', async ({ store }) => {
      const a = await store.createAccount(newAccount('olga'));
      const seen = new Set<number>();
      for (let i = 0; i < 3; i++) {
        const m = await store.createMailbox(a.id, 'Projects');
        assert.ok(!seen.has(m.uidValidity), `UIDVALIDITY ${m.uidValidity} was used before`);
        seen.add(m.uidValidity);
        await store.deleteMailbox(m.id);
      }
      const other = await store.createMailbox(a.id, 'Other');
      assert.ok(!seen.has(other.uidValidity));
    });

    it('mailboxes are listed by name, per account', async ({ store }) => {
      const a = await store.createAccount(newAccount('pete'));
      const b = await store.createAccount(newAccount('quinn'));
      for (const n of ['b', 'INBOX', 'a/z', 'a', 'B']) await store.createMailbox(a.id, n);
      await store.createMailbox(b.id, 'INBOX');
      assert.deepEqual((await store.listMailboxes(a.id)).map((m) => m.name), ['B', 'INBOX', 'a', 'a/z', 'b']);
      assert.deepEqual((await store.listMailboxes(b.id)).map((m) => m.name), ['INBOX']);
    });

    it('renaming a mailbox moves its children and keeps UIDVALIDITY and messages', async ({ store }) => {
      const a = await store.createAccount(newAccount('rita'));
      const p = await store.createMailbox(a.id, 'Projects');
      const c = await store.createMailbox(a.id, 'Projects/2024');
      const g = await store.createMailbox(a.id, 'Projects/2024/Q1');
      const sibling = await store.createMailbox(a.id, 'ProjectsOld');
      const raw = message();
      const { uid } = await store.append(c.id, { raw });
      await store.renameMailbox(p.id, 'Archive/Projects');
      assert.equal((await store.getMailboxById(p.id))?.name, 'Archive/Projects');
      assert.equal((await store.getMailboxById(c.id))?.name, 'Archive/Projects/2024');
      assert.equal((await store.getMailboxById(g.id))?.name, 'Archive/Projects/2024/Q1');
      assert.equal((await store.getMailboxById(sibling.id))?.name, 'ProjectsOld');
      assert.equal((await store.getMailboxById(p.id))?.uidValidity, p.uidValidity);
      assert.equal(await store.getMailbox(a.id, 'Projects'), null);
      const moved = await store.getMessage(c.id, uid);
      assert.deepEqual(await store.readBlob(moved!.blobId), raw);
    });

    it('a mailbox can be renamed into its own former subtree', async ({ store }) => {
      const a = await store.createAccount(newAccount('sam'));
      const x = await store.createMailbox(a.id, 'x');
      const xy = await store.createMailbox(a.id, 'x/y');
      const xcy = await store.createMailbox(a.id, 'x/c/y');
      await store.renameMailbox(x.id, 'x/c');
      assert.deepEqual(
        [(await store.getMailboxById(x.id))?.name, (await store.getMailboxById(xy.id))?.name, (await store.getMailboxById(xcy.id))?.name],
        ['x/c', 'x/c/y', 'x/c/c/y'],
      );
    });

    it('renaming onto an existing name, renaming INBOX and renaming a missing mailbox are refused', async ({ store }) => {
      const a = await store.createAccount(newAccount('tina'));
      const inbox = await store.createMailbox(a.id, 'INBOX');
      const one = await store.createMailbox(a.id, 'one');
      await store.createMailbox(a.id, 'one/kid');
      await store.createMailbox(a.id, 'two');
      await store.createMailbox(a.id, 'three/kid'); // "three" itself does not exist
      await assert.rejects(store.renameMailbox(one.id, 'two'), rejectsWith('ALREADY_EXISTS'));
      await assert.rejects(store.renameMailbox(one.id, 'one'), rejectsWith('ALREADY_EXISTS'));
      await assert.rejects(store.renameMailbox(one.id, 'three'), rejectsWith('ALREADY_EXISTS'), 'three/kid would clash');
      await assert.rejects(store.renameMailbox(one.id, 'inbox'), rejectsWith('ALREADY_EXISTS'));
      await assert.rejects(store.renameMailbox(inbox.id, 'Old'), rejectsWith('INVALID'));
      await assert.rejects(store.renameMailbox(one.id, 'bad//name'), rejectsWith('INVALID'));
      await assert.rejects(store.renameMailbox(one.id + 100, 'z'), rejectsWith('NOT_FOUND'));
      assert.deepEqual((await store.listMailboxes(a.id)).map((m) => m.name), ['INBOX', 'one', 'one/kid', 'three/kid', 'two']);
    });

    it('deleting a mailbox keeps its children and frees blobs nothing else uses', async ({ store }) => {
      const { account: a, inbox } = await userWithInbox(store, 'uma');
      const parent = await store.createMailbox(a.id, 'Parent');
      const child = await store.createMailbox(a.id, 'Parent/Child');
      const mine = message();
      const shared = message();
      await store.append(parent.id, { raw: mine });
      await store.append(parent.id, { raw: shared });
      await store.append(inbox, { raw: shared });
      await store.deleteMailbox(parent.id);
      assert.equal(await store.getMailboxById(parent.id), null);
      assert.equal((await store.getMailboxById(child.id))?.name, 'Parent/Child');
      await assert.rejects(store.readBlob(sha256(mine)), rejectsWith('NOT_FOUND'));
      assert.deepEqual(await store.readBlob(sha256(shared)), shared);
      await assert.rejects(store.deleteMailbox(parent.id), rejectsWith('NOT_FOUND'));
      await assert.rejects(store.deleteMailbox(inbox), rejectsWith('INVALID'));
      await assert.rejects(store.listMessages(parent.id), rejectsWith('NOT_FOUND'));
    });

    it('subscriptions are switched on and off', async ({ store }) => {
      const { inbox } = await userWithInbox(store, 'vic');
      await store.setSubscribed(inbox, true);
      assert.equal((await store.getMailboxById(inbox))?.subscribed, true);
      await store.setSubscribed(inbox, false);
      assert.equal((await store.getMailboxById(inbox))?.subscribed, false);
      await assert.rejects(store.setSubscribed(inbox + 100, true), rejectsWith('NOT_FOUND'));
    });

    // ---- messages ----------------------------------------------------------------------------

    it('appended messages get ascending UIDs and modseqs, and the mailbox counts them', async ({ store }) => {
      const { inbox } = await userWithInbox(store, 'walt');
      const mb = (await store.getMailboxById(inbox))!;
      const raws = [message(), message(), message()];
      const results = [];
      for (const raw of raws) results.push(await store.append(inbox, { raw }));
      assert.deepEqual(results.map((r) => r.uid), [1, 2, 3]);
      assert.ok(results.every((r) => r.uidValidity === mb.uidValidity));
      assert.ok(results[0]!.modseq > mb.highestModseq);
      assert.ok(results[1]!.modseq > results[0]!.modseq && results[2]!.modseq > results[1]!.modseq);
      const after = (await store.getMailboxById(inbox))!;
      assert.equal(after.uidNext, 4);
      assert.equal(after.messageCount, 3);
      assert.equal(after.totalSize, raws.reduce((n, r) => n + r.length, 0));
      assert.equal(after.highestModseq, results[2]!.modseq);
    });

    it('a stored message reads back with its size, date, sorted flags and exact bytes', async ({ store }) => {
      const { inbox } = await userWithInbox(store, 'xena');
      const raw = awkwardBytes();
      const internalDate = new Date('2024-02-29T23:59:58.123Z');
      const r = await store.append(inbox, { raw, internalDate, flags: ['\\seen', 'Work', '$Forwarded', '\\SEEN', '\\Flagged', 'Work'] });
      const m = await store.getMessage(inbox, r.uid);
      assert.deepEqual(m, {
        mailboxId: inbox, uid: r.uid, modseq: r.modseq,
        flags: ['$Forwarded', 'Work', '\\Flagged', '\\Seen'],
        internalDate, size: raw.length, blobId: sha256(raw),
      });
      const bytes = await store.readBlob(m!.blobId);
      assert.ok(Buffer.isBuffer(bytes));
      assert.ok(bytes.equals(raw));
      assert.deepEqual(await store.listMessages(inbox), [m]);
      assert.equal(await store.getMessage(inbox, r.uid + 1), null);
    });

    it('a large message round-trips byte for byte', async ({ store }) => {
      const { inbox } = await userWithInbox(store, 'yuri');
      const raw = Buffer.alloc(3 * 1024 * 1024 + 17);
      for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
      const { uid } = await store.append(inbox, { raw });
      const m = await store.getMessage(inbox, uid);
      assert.equal(m?.size, raw.length);
      assert.ok((await store.readBlob(m!.blobId)).equals(raw));
    });

    it('readContent gives the bytes and whether they can go on a dot-terminated wire as they are', async ({ store, reopen }) => {
      const { inbox } = await userWithInbox(store, 'dot');
      const cases: Array<[string, boolean]> = [
        ['Subject: a\r\n\r\nplain text\r\n', true],
        ['Subject: b\r\n\r\n.starts with a dot\r\n', false],
        ['Subject: c\r\n\r\nbare\nLF\r\n', false],
        ['Subject: d\r\n\r\nno final line end', false],
      ];
      const uids: number[] = [];
      for (const [text] of cases) uids.push((await store.append(inbox, { raw: Buffer.from(text) })).uid);
      const again = await reopen();
      for (const [i, [text, transparent]] of cases.entries()) {
        const m = await again.getMessage(inbox, uids[i]!);
        const content = await again.readContent(m!.blobId);
        assert.ok(content.raw.equals(Buffer.from(text)), text);
        assert.equal(content.dotTransparent, transparent, JSON.stringify(text));
      }
      await assert.rejects(again.readContent('0'.repeat(64)), rejectsWith('NOT_FOUND'));
      await assert.rejects(again.readContent('not-a-hash'), rejectsWith('INVALID'));
    });

    it('ticketKey: one 48-byte key for every store on the database, replaced once older than asked', async ({ store, open }) => {
      const key = await store.ticketKey(60_000);
      assert.equal(key.length, 48);
      assert.deepEqual(await store.ticketKey(60_000), key, 'the same key while it is young');
      const other = await open();
      assert.deepEqual(await other.ticketKey(60_000), key, 'another node gets the same key');
      await new Promise((r) => setTimeout(r, 30));
      const next = await other.ticketKey(20);
      assert.notDeepEqual(next, key, 'older than maxAgeMs: a new key');
      assert.deepEqual(await store.ticketKey(60_000), next, 'and every node now gets the new one');
      const raced = await Promise.all([store.ticketKey(60_000), other.ticketKey(60_000), store.ticketKey(60_000)]);
      for (const k of raced) assert.deepEqual(k, next);
      await new Promise((r) => setTimeout(r, 300));
      const [x, y] = await Promise.all([store.ticketKey(250), other.ticketKey(250)]);
      assert.notDeepEqual(x, next);
      assert.deepEqual(x, y, 'two nodes replacing an old key at once agree on one new key');
      await assert.rejects(store.ticketKey(0), rejectsWith('INVALID'));
    });

    it('the same bytes stored twice share one blob until the last copy is expunged', async ({ store }) => {
      const { inbox } = await userWithInbox(store, 'zoe');
      const raw = message('same body');
      const a = await store.append(inbox, { raw });
      const b = await store.append(inbox, { raw });
      assert.equal((await store.getMessage(inbox, a.uid))?.blobId, (await store.getMessage(inbox, b.uid))?.blobId);
      await store.expunge(inbox, [a.uid]);
      assert.deepEqual(await store.readBlob(sha256(raw)), raw);
      await store.expunge(inbox, [b.uid]);
      await assert.rejects(store.readBlob(sha256(raw)), rejectsWith('NOT_FOUND'));
      await store.append(inbox, { raw });
      assert.deepEqual(await store.readBlob(sha256(raw)), raw, 'the blob comes back with a new message');
    });

    it('flags that cannot be stored and bad inputs are refused without writing', async ({ store }) => {
      const { inbox } = await userWithInbox(store, 'abe');
      for (const flags of [['\\Recent'], ['\\Important'], ['two words'], [''], ['a(b'], ['x]'], ['quo"te'], ['é']]) {
        await assert.rejects(store.append(inbox, { raw: message(), flags }), rejectsWith('INVALID'), JSON.stringify(flags));
      }
      await assert.rejects(store.append(inbox, { raw: 'text' as never }), rejectsWith('INVALID'));
      await assert.rejects(store.append(inbox, { raw: message(), internalDate: new Date('nope') }), rejectsWith('INVALID'));
      await assert.rejects(store.append(inbox + 100, { raw: message() }), rejectsWith('NOT_FOUND'));
      await assert.rejects(store.readBlob('not-a-hash'), rejectsWith('INVALID'));
      await assert.rejects(store.readBlob('0'.repeat(64)), rejectsWith('NOT_FOUND'));
      await assert.rejects(store.expunge(inbox, [0]), rejectsWith('INVALID'));
      await assert.rejects(store.storeFlags(inbox, [1.5], 'add', ['\\Seen']), rejectsWith('INVALID'));
      await assert.rejects(store.storeFlags(inbox, [1], 'toggle' as never, ['\\Seen']), rejectsWith('INVALID'));
      const mb = (await store.getMailboxById(inbox))!;
      assert.equal(mb.uidNext, 1);
      assert.equal(mb.messageCount, 0);
    });

    it('appendMany delivers one message to several mailboxes in one step', async ({ store }) => {
      const { account: a, inbox } = await userWithInbox(store, 'bea');
      const other = await store.createMailbox(a.id, 'Copies');
      await store.append(other.id, { raw: message() });
      const raw = message();
      const date = new Date('2023-01-01T00:00:00Z');
      const results = await store.appendMany([inbox, other.id], { raw, flags: ['\\Seen'], internalDate: date });
      assert.deepEqual(results.map((r) => r.uid), [1, 2]);
      assert.equal(results[0]!.uidValidity, (await store.getMailboxById(inbox))!.uidValidity);
      assert.equal(results[1]!.uidValidity, other.uidValidity);
      for (const [box, r] of [[inbox, results[0]!], [other.id, results[1]!]] as const) {
        const m = (await store.getMessage(box, r.uid))!;
        assert.equal(m.blobId, sha256(raw));
        assert.deepEqual(m.flags, ['\\Seen']);
        assert.deepEqual(m.internalDate, date);
        assert.equal(m.modseq, r.modseq);
      }
      assert.deepEqual(await store.appendMany([], { raw }), []);
      await store.expunge(inbox, [1]);
      assert.deepEqual(await store.readBlob(sha256(raw)), raw, 'the other delivery still holds the blob');
    });

    it('appendMany with one mailbox that cannot take the message delivers to none', async ({ store, backing }) => {
      const { account: a, inbox } = await userWithInbox(store, 'cody');
      const broken = await store.createMailbox(a.id, 'Broken');
      await backing.failInsertsInto(broken.id);
      const raw = message();
      await assert.rejects(store.appendMany([inbox, broken.id], { raw }), /injected fault/);
      assert.deepEqual(await store.listMessages(inbox), []);
      assert.equal((await store.getMailboxById(inbox))!.uidNext, 1);
      await assert.rejects(store.readBlob(sha256(raw)), rejectsWith('NOT_FOUND'));
      await assert.rejects(store.appendMany([inbox, inbox + 100], { raw }), rejectsWith('NOT_FOUND'));
      assert.deepEqual(await store.listMessages(inbox), []);
    });

    it('appendBatch stores several messages with ascending UIDs in one transaction, or none', async ({ store, backing }) => {
      const { account: a, inbox } = await userWithInbox(store, 'batch');
      const first = message('batch one');
      const second = message('batch two');
      const when = new Date('2024-05-06T07:08:09Z');
      const results = await store.appendBatch(inbox, [
        { raw: first, flags: ['\\Seen'] },
        { raw: second, internalDate: when },
        { raw: first },
      ]);
      assert.deepEqual(results.map((r) => r.uid), [1, 2, 3]);
      assert.ok(results[0]!.modseq < results[1]!.modseq && results[1]!.modseq < results[2]!.modseq);
      const records = await store.listMessages(inbox);
      assert.deepEqual(records.map((r) => [r.uid, r.flags, r.size]), [[1, ['\\Seen'], first.length], [2, [], second.length], [3, [], first.length]]);
      assert.equal(records[1]!.internalDate.getTime(), when.getTime());
      assert.equal(records[0]!.blobId, records[2]!.blobId, 'the same bytes share one blob');
      await store.expunge(inbox, [1]);
      assert.deepEqual(await store.readBlob(sha256(first)), first, 'still used by UID 3');
      assert.deepEqual((await store.readContent(sha256(second))).raw, second);
      assert.deepEqual(await store.appendBatch(inbox, []), []);
      const broken = await store.createMailbox(a.id, 'Broken');
      await backing.failInsertsInto(broken.id);
      const third = message('batch three');
      await assert.rejects(store.appendBatch(broken.id, [{ raw: third }, { raw: message('batch four') }]), /injected fault/);
      await assert.rejects(store.readBlob(sha256(third)), rejectsWith('NOT_FOUND'));
      assert.equal((await store.getMailboxById(broken.id))!.uidNext, 1);
      await assert.rejects(store.appendBatch(inbox, [{ raw: message('ok') }, { raw: message('bad'), flags: ['\\Recent'] }]), rejectsWith('INVALID'));
      await assert.rejects(store.appendBatch(inbox + 100, [{ raw: message('nowhere') }]), rejectsWith('NOT_FOUND'));
      assert.deepEqual((await store.listMessages(inbox)).map((r) => r.uid), [2, 3], 'the refused batches wrote nothing');
    });

    it('UIDs are never reused, not even after the newest message is expunged', async (ctx) => {
      const { inbox } = await userWithInbox(ctx.store, 'dina');
      await ctx.store.append(inbox, { raw: message() });
      const { uid: two } = await ctx.store.append(inbox, { raw: message() });
      await ctx.store.expunge(inbox, [two]);
      assert.equal((await ctx.store.append(inbox, { raw: message() })).uid, 3);
      const reopened = await ctx.reopen();
      await reopened.expunge(inbox, [3]);
      assert.equal((await reopened.append(inbox, { raw: message() })).uid, 4);
      assert.deepEqual((await reopened.listMessages(inbox)).map((m) => m.uid), [1, 4]);
    });

    it('flags are added, removed and set, each change with a new modseq', async ({ store }) => {
      const { inbox } = await userWithInbox(store, 'eli');
      for (let i = 0; i < 3; i++) await store.append(inbox, { raw: message(), flags: i === 0 ? ['\\Seen'] : [] });
      const before = (await store.getMailboxById(inbox))!.highestModseq;
      const added = await store.storeFlags(inbox, [1, 2, 3, 99], 'add', ['\\Seen', 'todo']);
      assert.deepEqual(added.map((m) => [m.uid, m.flags]), [[1, ['\\Seen', 'todo']], [2, ['\\Seen', 'todo']], [3, ['\\Seen', 'todo']]]);
      const modseqs = added.map((m) => m.modseq);
      assert.ok(modseqs[0]! > before && modseqs[1]! > modseqs[0]! && modseqs[2]! > modseqs[1]!);
      assert.equal((await store.getMailboxById(inbox))!.highestModseq, modseqs[2]);
      for (const m of added) assert.deepEqual(await store.getMessage(inbox, m.uid), m);

      const removed = await store.storeFlags(inbox, [2], 'remove', ['todo', '\\Draft']);
      assert.deepEqual(removed.map((m) => [m.uid, m.flags]), [[2, ['\\Seen']]]);
      const set = await store.storeFlags(inbox, [3], 'set', ['\\Answered']);
      assert.deepEqual(set.map((m) => m.flags), [['\\Answered']]);
      assert.ok(set[0]!.modseq > removed[0]!.modseq);
    });

    it('a flag change that changes nothing keeps the modseq and is not reported', async ({ store }) => {
      const { inbox } = await userWithInbox(store, 'fay');
      const { uid, modseq } = await store.append(inbox, { raw: message(), flags: ['\\Seen'] });
      assert.deepEqual(await store.storeFlags(inbox, [uid], 'add', ['\\SEEN']), []);
      assert.deepEqual(await store.storeFlags(inbox, [uid], 'remove', ['\\Deleted']), []);
      assert.deepEqual(await store.storeFlags(inbox, [uid], 'set', ['\\Seen']), []);
      assert.equal((await store.getMessage(inbox, uid))!.modseq, modseq);
      assert.equal((await store.getMailboxById(inbox))!.highestModseq, modseq);
      assert.deepEqual(await store.storeFlags(inbox, [], 'add', ['\\Seen']), []);
      await assert.rejects(store.storeFlags(inbox + 100, [uid], 'add', ['x']), rejectsWith('NOT_FOUND'));
    });

    it('UNCHANGEDSINCE leaves messages modified after it alone and changes the rest', async ({ store }) => {
      const { inbox } = await userWithInbox(store, 'gus');
      const a = await store.append(inbox, { raw: message() });
      const b = await store.append(inbox, { raw: message() });
      const touched = await store.storeFlags(inbox, [b.uid], 'add', ['\\Flagged']);
      const changed = await store.storeFlags(inbox, [a.uid, b.uid], 'add', ['\\Deleted'], b.modseq);
      assert.deepEqual(changed.map((m) => m.uid), [a.uid]);
      assert.deepEqual((await store.getMessage(inbox, b.uid))!.flags, ['\\Flagged']);
      assert.equal((await store.getMessage(inbox, b.uid))!.modseq, touched[0]!.modseq);
      assert.deepEqual(await store.storeFlags(inbox, [a.uid], 'add', ['x'], 0), [], 'UNCHANGEDSINCE 0 fails for every message');
    });

    it('expunge removes the given messages, ignores unknown UIDs and reports what it removed', async ({ store }) => {
      const { inbox } = await userWithInbox(store, 'hal');
      const raws = [message(), message(), message(), message()];
      for (const raw of raws) await store.append(inbox, { raw });
      const before = (await store.getMailboxById(inbox))!;
      assert.deepEqual(await store.expunge(inbox, [4, 2, 77, 2]), [2, 4]);
      const after = (await store.getMailboxById(inbox))!;
      assert.deepEqual((await store.listMessages(inbox)).map((m) => m.uid), [1, 3]);
      assert.equal(after.messageCount, 2);
      assert.equal(after.totalSize, raws[0]!.length + raws[2]!.length);
      assert.equal(after.highestModseq, before.highestModseq + 2);
      assert.equal(after.uidNext, 5);
      await assert.rejects(store.readBlob(sha256(raws[1]!)), rejectsWith('NOT_FOUND'));
      assert.deepEqual(await store.expunge(inbox, [2]), []);
      assert.equal((await store.getMailboxById(inbox))!.highestModseq, after.highestModseq);
      await assert.rejects(store.expunge(inbox + 100, [1]), rejectsWith('NOT_FOUND'));
    });

    it('an expunge that fails part-way removes nothing', async ({ store, backing }) => {
      const { inbox } = await userWithInbox(store, 'ida');
      for (let i = 0; i < 3; i++) await store.append(inbox, { raw: message() });
      const before = (await store.getMailboxById(inbox))!;
      await backing.failChangesTo(inbox, 3);
      await assert.rejects(store.expunge(inbox, [1, 2, 3]), /injected fault/);
      assert.deepEqual((await store.listMessages(inbox)).map((m) => m.uid), [1, 2, 3]);
      assert.deepEqual(await store.getMailboxById(inbox), before);
      assert.deepEqual(await store.changesSince(inbox, before.highestModseq), []);
      for (const m of await store.listMessages(inbox)) assert.ok((await store.readBlob(m.blobId)).length > 0);
    });

    it('a flag change that fails part-way changes nothing', async ({ store, backing }) => {
      const { inbox } = await userWithInbox(store, 'jon');
      for (let i = 0; i < 3; i++) await store.append(inbox, { raw: message() });
      const before = await store.listMessages(inbox);
      await backing.failChangesTo(inbox, 2);
      await assert.rejects(store.storeFlags(inbox, [1, 2, 3], 'add', ['\\Seen']), /injected fault/);
      assert.deepEqual(await store.listMessages(inbox), before);
    });

    it('copy returns source/destination UID pairs and keeps flags, date and bytes', async ({ store }) => {
      const { account: a, inbox } = await userWithInbox(store, 'kai');
      const dest = await store.createMailbox(a.id, 'Dest');
      await store.append(dest.id, { raw: message() });
      const date = new Date('2020-05-05T05:05:05.005Z');
      const raws = [message(), message(), message()];
      for (const raw of raws) await store.append(inbox, { raw, flags: ['\\Seen', 'k'], internalDate: date });
      const pairs = await store.copy(inbox, [3, 1, 42], dest.id);
      assert.deepEqual(pairs, [[1, 2], [3, 3]]);
      for (const [src, dst] of pairs) {
        const s = (await store.getMessage(inbox, src))!;
        const d = (await store.getMessage(dest.id, dst))!;
        assert.deepEqual(d.flags, s.flags);
        assert.deepEqual(d.internalDate, date);
        assert.equal(d.blobId, s.blobId);
        assert.equal(d.size, s.size);
      }
      const destAfter = (await store.getMailboxById(dest.id))!;
      assert.equal(destAfter.uidNext, 4);
      assert.equal(destAfter.messageCount, 3);
      assert.equal((await store.getMailboxById(inbox))!.messageCount, 3, 'the source is unchanged');
      await store.expunge(inbox, [1]);
      assert.deepEqual(await store.readBlob(sha256(raws[0]!)), raws[0], 'the copy still holds the bytes');
      assert.deepEqual(await store.copy(inbox, [1], dest.id), [], 'an expunged UID copies nothing');
      await assert.rejects(store.copy(inbox, [2], dest.id + 100), rejectsWith('NOT_FOUND'));
      await assert.rejects(store.copy(inbox + 100, [2], dest.id), rejectsWith('NOT_FOUND'));
    });

    it('copying into the same mailbox adds new UIDs', async ({ store }) => {
      const { inbox } = await userWithInbox(store, 'lou');
      await store.append(inbox, { raw: message() });
      await store.append(inbox, { raw: message() });
      assert.deepEqual(await store.copy(inbox, [1, 2], inbox), [[1, 3], [2, 4]]);
      assert.equal((await store.getMailboxById(inbox))!.messageCount, 4);
    });

    it('move transfers messages in one step: new UIDs there, expunged here', async ({ store }) => {
      const { account: a, inbox } = await userWithInbox(store, 'max');
      const dest = await store.createMailbox(a.id, 'Archive');
      const raws = [message(), message(), message()];
      for (const raw of raws) await store.append(inbox, { raw, flags: ['\\Answered'] });
      const srcBefore = (await store.getMailboxById(inbox))!;
      const pairs = await store.move(inbox, [1, 3], dest.id);
      assert.deepEqual(pairs, [[1, 1], [3, 2]]);
      assert.deepEqual((await store.listMessages(inbox)).map((m) => m.uid), [2]);
      const moved = await store.listMessages(dest.id);
      assert.deepEqual(moved.map((m) => [m.uid, m.flags, m.blobId]), [
        [1, ['\\Answered'], sha256(raws[0]!)], [2, ['\\Answered'], sha256(raws[2]!)],
      ]);
      const src = (await store.getMailboxById(inbox))!;
      assert.equal(src.messageCount, 1);
      assert.equal(src.totalSize, raws[1]!.length);
      const changes = await store.changesSince(inbox, srcBefore.highestModseq);
      assert.deepEqual(changes.map((c) => [c.kind, c.uid]), [['expunge', 1], ['expunge', 3]]);
      const dst = (await store.getMailboxById(dest.id))!;
      assert.equal(dst.messageCount, 2);
      assert.equal(dst.uidNext, 3);
      for (const m of moved) assert.ok((await store.readBlob(m.blobId)).length > 0);
    });

    it('a move that fails part-way leaves both mailboxes as they were', async ({ store, backing }) => {
      const { account: a, inbox } = await userWithInbox(store, 'nia');
      const dest = await store.createMailbox(a.id, 'Dest');
      for (let i = 0; i < 3; i++) await store.append(inbox, { raw: message() });
      const srcBefore = await store.getMailboxById(inbox);
      const messagesBefore = await store.listMessages(inbox);
      await backing.failChangesTo(inbox, 3);
      await assert.rejects(store.move(inbox, [1, 2, 3], dest.id), /injected fault/);
      assert.deepEqual(await store.listMessages(inbox), messagesBefore);
      assert.deepEqual(await store.getMailboxById(inbox), srcBefore);
      assert.deepEqual(await store.listMessages(dest.id), []);
      assert.deepEqual(await store.getMailboxById(dest.id), dest);
    });

    it('a copy into a mailbox that cannot take it adds nothing', async ({ store, backing }) => {
      const { account: a, inbox } = await userWithInbox(store, 'oz');
      const dest = await store.createMailbox(a.id, 'Dest');
      for (let i = 0; i < 2; i++) await store.append(inbox, { raw: message() });
      await backing.failInsertsInto(dest.id);
      await assert.rejects(store.copy(inbox, [1, 2], dest.id), /injected fault/);
      assert.deepEqual(await store.getMailboxById(dest.id), dest);
      // No reference was left behind either: once the originals go, so do the bytes.
      const blobIds = (await store.listMessages(inbox)).map((m) => m.blobId);
      await store.expunge(inbox, [1, 2]);
      for (const id of blobIds) await assert.rejects(store.readBlob(id), rejectsWith('NOT_FOUND'));
    });

    it('moving within the same mailbox renumbers the messages', async ({ store }) => {
      const { inbox } = await userWithInbox(store, 'pia');
      await store.append(inbox, { raw: message() });
      await store.append(inbox, { raw: message() });
      assert.deepEqual(await store.move(inbox, [1], inbox), [[1, 3]]);
      assert.deepEqual((await store.listMessages(inbox)).map((m) => m.uid), [2, 3]);
      assert.equal((await store.getMailboxById(inbox))!.messageCount, 2);
    });

    it('changesSince reports appends, flag changes and expunges in modseq order', async ({ store }) => {
      const { account: a, inbox } = await userWithInbox(store, 'ray');
      const other = await store.createMailbox(a.id, 'Other');
      const start = (await store.getMailboxById(inbox))!.highestModseq;
      const r1 = await store.append(inbox, { raw: message() });
      const r2 = await store.append(inbox, { raw: message() });
      await store.append(other.id, { raw: message() });
      const [f] = await store.storeFlags(inbox, [r1.uid], 'add', ['\\Seen', 'x']);
      await store.expunge(inbox, [r2.uid]);
      const all = await store.changesSince(inbox, start);
      assert.deepEqual(all, [
        { kind: 'append', mailboxId: inbox, uid: r1.uid, modseq: r1.modseq },
        { kind: 'append', mailboxId: inbox, uid: r2.uid, modseq: r2.modseq },
        { kind: 'flags', mailboxId: inbox, uid: r1.uid, modseq: f!.modseq, flags: ['\\Seen', 'x'] },
        { kind: 'expunge', mailboxId: inbox, uid: r2.uid, modseq: all[3]!.modseq },
      ]);
      assert.ok(all[3]!.modseq > f!.modseq);
      assert.deepEqual(await store.changesSince(inbox, f!.modseq), [all[3]]);
      assert.deepEqual(await store.changesSince(inbox, all[3]!.modseq), []);
      assert.deepEqual(await store.changesSince(inbox, 0), all, 'nothing happened before the first append');
      await assert.rejects(store.changesSince(other.id + 100, 0), rejectsWith('NOT_FOUND'));
    });

    it('every change raises the modseq, and HIGHESTMODSEQ is the last one', async ({ store }) => {
      const { account: a, inbox } = await userWithInbox(store, 'sue');
      const dest = await store.createMailbox(a.id, 'Dest');
      const seen: number[] = [(await store.getMailboxById(inbox))!.highestModseq];
      const note = async () => seen.push((await store.getMailboxById(inbox))!.highestModseq);
      for (let i = 0; i < 4; i++) {
        seen.push((await store.append(inbox, { raw: message() })).modseq);
        await note();
      }
      for (const m of await store.storeFlags(inbox, [1, 2], 'add', ['\\Seen'])) seen.push(m.modseq);
      await note();
      await store.expunge(inbox, [1]);
      await note();
      await store.copy(inbox, [2], dest.id);
      const afterCopy = (await store.getMailboxById(inbox))!.highestModseq;
      assert.equal(afterCopy, seen[seen.length - 1], 'copying out does not change the source');
      await store.move(inbox, [3], dest.id);
      await note();
      const strictlyRising = seen.filter((v, i) => i === 0 || v !== seen[i - 1]);
      for (let i = 1; i < strictlyRising.length; i++) assert.ok(strictlyRising[i]! > strictlyRising[i - 1]!, `${seen}`);
      const log = await store.changesSince(inbox, 0);
      assert.equal(log[log.length - 1]!.modseq, (await store.getMailboxById(inbox))!.highestModseq);
      assert.equal(new Set(log.map((c) => c.modseq)).size, log.length, 'one modseq per change');
    });

    it('ids that are not positive integers are refused before they reach the database', async ({ store }) => {
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['updateAccount', () => store.updateAccount(0, {})],
        ['deleteAccount', () => store.deleteAccount(-1)],
        ['removeGrant', () => store.removeGrant(1.5, 2)],
        ['listGrantsTo', () => store.listGrantsTo(Number.NaN)],
        ['hasGrant', () => store.hasGrant(1, 0, 'full')],
        ['listMailboxes', () => store.listMailboxes('1' as never)],
        ['createMailbox', () => store.createMailbox(0, 'x')],
        ['setSubscribed', () => store.setSubscribed(0, true)],
        ['renameMailbox', () => store.renameMailbox(0, 'x')],
        ['deleteMailbox', () => store.deleteMailbox(0)],
        ['append', () => store.append(0, { raw: message() })],
        ['appendMany', () => store.appendMany([1, -2], { raw: message() })],
        ['listMessages', () => store.listMessages(0)],
        ['storeFlags', () => store.storeFlags(0, [1], 'add', ['x'])],
        ['storeFlags modseq', () => store.storeFlags(1, [1], 'add', ['x'], -1)],
        ['expunge', () => store.expunge(0, [1])],
        ['copy', () => store.copy(1, [1], 0)],
        ['move', () => store.move(0, [1], 1)],
        ['changesSince', () => store.changesSince(0, 0)],
        ['changesSince modseq', () => store.changesSince(1, -1)],
      ];
      for (const [name, call] of calls) await assert.rejects(call(), rejectsWith('INVALID'), name);
    });

    // ---- feed --------------------------------------------------------------------------------

    it('a subscriber hears of appends, flag changes and expunges in its mailbox only', async ({ store }) => {
      const { account: a, inbox } = await userWithInbox(store, 'ted');
      const other = await store.createMailbox(a.id, 'Other');
      const events = collect(store, inbox);
      await store.append(other.id, { raw: message() });
      const r = await store.append(inbox, { raw: message() });
      const [f] = await store.storeFlags(inbox, [r.uid], 'add', ['\\Seen']);
      await store.expunge(inbox, [r.uid]);
      const got = await events.waitFor(3);
      assert.deepEqual(got.map((c) => [c.kind, c.uid, c.mailboxId]), [['append', 1, inbox], ['flags', 1, inbox], ['expunge', 1, inbox]]);
      assert.equal(got[0]!.modseq, r.modseq);
      assert.deepEqual(got[1], { kind: 'flags', mailboxId: inbox, uid: 1, modseq: f!.modseq, flags: ['\\Seen'] });
      events.stop();
    });

    it('an unsubscribed listener hears nothing more, while others still do', async ({ store }) => {
      const { inbox } = await userWithInbox(store, 'uli');
      const leaving = collect(store, inbox);
      const staying = collect(store, inbox);
      await store.append(inbox, { raw: message() });
      await leaving.waitFor(1);
      leaving.stop();
      await store.append(inbox, { raw: message() });
      await staying.waitFor(2);
      // The feed hands a change to every listener in one go, so by now it would have arrived.
      assert.equal(leaving.events.length, 1);
      staying.stop();
    });

    it('a listener that throws does not keep the change from other listeners', async ({ store }) => {
      const { inbox } = await userWithInbox(store, 'vera');
      const unsubscribe = store.feed.subscribe(inbox, () => {
        throw new Error('listener bug');
      });
      const good = collect(store, inbox);
      await store.append(inbox, { raw: message() });
      await store.append(inbox, { raw: message() });
      assert.equal((await good.waitFor(2)).length, 2);
      unsubscribe();
      good.stop();
    });

    it('subscribing with a modseq replays the changes after it', async ({ store }) => {
      const { inbox } = await userWithInbox(store, 'wes');
      const r1 = await store.append(inbox, { raw: message() });
      const r2 = await store.append(inbox, { raw: message() });
      const events = collect(store, inbox, r1.modseq);
      const r3 = await store.append(inbox, { raw: message() });
      const got = await events.waitFor(2);
      assert.deepEqual(got.map((c) => c.modseq), [r2.modseq, r3.modseq]);
      events.stop();
    });

    it('changes made through another store on the same database reach subscribers', async ({ store, open }) => {
      const { inbox } = await userWithInbox(store, 'xia');
      const other = await open();
      const since = (await store.getMailboxById(inbox))!.highestModseq;
      const events = collect(store, inbox, since);
      const r = await other.append(inbox, { raw: message() });
      await other.storeFlags(inbox, [r.uid], 'add', ['\\Seen']);
      await other.expunge(inbox, [r.uid]);
      const got = await events.waitFor(3);
      assert.deepEqual(got.map((c) => c.kind), ['append', 'flags', 'expunge']);
      assert.equal(got[0]!.modseq, r.modseq);
      events.stop();
    });

    // ---- locks -------------------------------------------------------------------------------

    it('a lock is exclusive until released, and release can be called twice', async ({ store }) => {
      const lock = await store.tryLock('pop3:1');
      assert.ok(lock);
      assert.equal(await store.tryLock('pop3:1'), null);
      const other = await store.tryLock('pop3:2');
      assert.ok(other, 'a different key is a different lock');
      await lock.release();
      await lock.release();
      const again = await store.tryLock('pop3:1');
      assert.ok(again);
      assert.equal(await store.tryLock('pop3:1'), null, 'a second release of the old lock freed nothing');
      await again.release();
      await other.release();
      await assert.rejects(store.tryLock(''), rejectsWith('INVALID'));
    });

    it('a lock held through one store object is refused to another on the same database', async ({ store, open }) => {
      const other = await open();
      const lock = await store.tryLock('pop3:7');
      assert.ok(lock);
      assert.equal(await other.tryLock('pop3:7'), null);
      await lock.release();
      const theirs = await other.tryLock('pop3:7');
      assert.ok(theirs);
      assert.equal(await store.tryLock('pop3:7'), null);
      await other.close();
      const mine = await store.tryLock('pop3:7');
      assert.ok(mine, 'closing a store releases its locks');
      await mine.release();
    });

    // ---- persistence -------------------------------------------------------------------------

    // ---- for IMAP ----------------------------------------------------------------------------

    it('getMessages returns the records of the given UIDs in UID order and skips unknown ones', async ({ store }) => {
      const { inbox } = await userWithInbox(store);
      for (let i = 0; i < 5; i++) await store.append(inbox, { raw: message(), flags: i % 2 ? ['\\Seen'] : [] });
      const got = await store.getMessages(inbox, [4, 2, 99, 2]);
      assert.deepEqual(got.map((m) => m.uid), [2, 4]);
      assert.deepEqual(got, [(await store.getMessage(inbox, 2))!, (await store.getMessage(inbox, 4))!]);
      assert.deepEqual(await store.getMessages(inbox, []), []);
      assert.deepEqual((await store.getMessages(inbox, [5])).map((m) => m.uid), [5]);
    });

    it('updateFlags names the messages that failed UNCHANGEDSINCE and changes the rest', async ({ store }) => {
      const { inbox } = await userWithInbox(store);
      await store.append(inbox, { raw: message() });
      await store.append(inbox, { raw: message() });
      const [touched] = await store.storeFlags(inbox, [2], 'add', ['$Important']);
      const base = touched!.modseq - 1;
      const r = await store.updateFlags(inbox, [1, 2], 'add', ['\\Deleted'], base);
      assert.deepEqual(r.modified, [2]);
      assert.deepEqual(r.changed.map((m) => [m.uid, m.flags]), [[1, ['\\Deleted']]]);
      assert.deepEqual((await store.getMessage(inbox, 2))!.flags, ['$Important']);
      const plain = await store.updateFlags(inbox, [1, 2], 'remove', ['\\Deleted']);
      assert.deepEqual(plain.modified, []);
      assert.deepEqual(plain.changed.map((m) => m.uid), [1]);
    });

    it('a stored message comes with its parsed MIME tree, shared by copies and gone with the bytes', async ({ store }) => {
      const { account, inbox } = await userWithInbox(store);
      const other = await store.createMailbox(account.id, 'Other');
      const raw = Buffer.from('Subject: tree\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\nContent-Type: text/html\r\n\r\n<b>two</b>\r\n--b--\r\n');
      await store.append(inbox, { raw });
      await store.copy(inbox, [1], other.id);
      const blobId = (await store.getMessage(inbox, 1))!.blobId;
      const trees = await store.getMimeTrees([blobId, 'f'.repeat(64)]);
      assert.equal(trees.size, 1);
      const tree = trees.get(blobId)!;
      assert.equal(tree.kind, 'multipart');
      assert.deepEqual(tree.children.map((c) => c.contentType.mimeType), ['text/plain', 'text/html']);
      assert.equal(raw.subarray(tree.children[1]!.bodyStart, tree.children[1]!.bodyEnd).toString(), '<b>two</b>');
      await store.expunge(inbox, [1]);
      assert.equal((await store.getMimeTrees([blobId])).size, 1, 'the copy still holds the bytes');
      await store.expunge(other.id, [1]);
      assert.equal((await store.getMimeTrees([blobId])).size, 0);
    });

    it('searchText finds decoded words case-insensitively in each field, substrings included', async ({ store }) => {
      const { inbox } = await userWithInbox(store);
      const mail = (from: string, subject: string, body: string, extra = '') =>
        Buffer.from(`From: ${from}\r\nTo: Team <team@example.test>\r\nSubject: ${subject}\r\n${extra}\r\n${body}\r\n`);
      await store.append(inbox, { raw: mail('Alice <alice@example.test>', 'Quarterly report', 'Numbers are UP this quarter.') });
      await store.append(inbox, { raw: mail('=?utf-8?q?J=C3=BCrgen?= <j@example.test>', '=?utf-8?b?w5xiZXJzaWNodA==?=', 'Grüße aus Köln') });
      await store.append(inbox, { raw: mail('bob@example.test', 'html', '<p>Hidden <b>treasure</b> map</p>', 'Content-Type: text/html\r\n') });
      await store.append(inbox, { raw: mail('carol@example.test', 'qp', 'caf=C3=A9 au lait', 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n') });
      assert.deepEqual(await store.searchText(inbox, 'subject', 'QUARTERLY'), [1]);
      assert.deepEqual(await store.searchText(inbox, 'subject', 'übersicht'), [2]);
      assert.deepEqual(await store.searchText(inbox, 'from', 'jürgen'), [2]);
      assert.deepEqual(await store.searchText(inbox, 'from', 'alice@example'), [1]);
      assert.deepEqual(await store.searchText(inbox, 'body', 'uarte'), [1]);
      assert.deepEqual(await store.searchText(inbox, 'body', 'treasure map'), [3]);
      assert.deepEqual(await store.searchText(inbox, 'body', 'Köln'), [2]);
      assert.deepEqual(await store.searchText(inbox, 'body', 'café'), [4]);
      assert.deepEqual(await store.searchText(inbox, 'text', 'team@'), [1, 2, 3, 4]);
      assert.deepEqual(await store.searchText(inbox, 'headers', 'Subject: html'), [3]);
      assert.deepEqual(await store.searchText(inbox, 'to', 'team'), [1, 2, 3, 4]);
      assert.deepEqual(await store.searchText(inbox, 'cc', 'team'), []);
      assert.deepEqual(await store.searchText(inbox, 'body', 'UP'), [1], 'two characters');
      assert.deepEqual(await store.searchText(inbox, 'body', 'ö'), [2], 'one non-ASCII character');
      assert.deepEqual(await store.searchText(inbox, 'body', 'nothing like this'), []);
      assert.deepEqual(await store.searchText(inbox, 'body', 'quote " and % and _'), []);
      assert.deepEqual(await store.searchText(inbox, 'subject', ''), [1, 2, 3, 4]);
      await store.expunge(inbox, [1]);
      assert.deepEqual(await store.searchText(inbox, 'subject', 'quarterly'), []);
    });

    it('mailboxSummary gives the UIDs, the first unseen UID and the keywords in use', async ({ store }) => {
      const { inbox } = await userWithInbox(store);
      assert.deepEqual(await store.mailboxSummary(inbox), { uids: [], firstUnseenUid: null, keywords: [], highestMessageModseq: 0 });
      await store.append(inbox, { raw: message(), flags: ['\\Seen', '$Work'] });
      await store.append(inbox, { raw: message(), flags: ['\\Seen'] });
      await store.append(inbox, { raw: message(), flags: ['$Later', '\\Flagged'] });
      await store.append(inbox, { raw: message() });
      await store.expunge(inbox, [4]);
      const s = await store.mailboxSummary(inbox);
      assert.deepEqual(s.uids, [1, 2, 3]);
      assert.equal(s.firstUnseenUid, 3);
      assert.deepEqual(s.keywords, ['$Later', '$Work']);
      assert.equal(s.highestMessageModseq, Math.max(...(await store.listMessages(inbox)).map((m) => m.modseq)));
      await assert.rejects(store.mailboxSummary(inbox + 1000), rejectsWith('NOT_FOUND'));
    });

    it('uidsWithFlag finds messages by system flag and by keyword in any letter case', async ({ store }) => {
      const { inbox } = await userWithInbox(store);
      await store.append(inbox, { raw: message(), flags: ['\\Deleted', '$Work'] });
      await store.append(inbox, { raw: message(), flags: ['\\Seen'] });
      await store.append(inbox, { raw: message(), flags: ['$Work_1', '\\Deleted'] });
      assert.deepEqual(await store.uidsWithFlag(inbox, '\\Deleted'), [1, 3]);
      assert.deepEqual(await store.uidsWithFlag(inbox, '\\Seen'), [2]);
      assert.deepEqual(await store.uidsWithFlag(inbox, '$work'), [1]);
      assert.deepEqual(await store.uidsWithFlag(inbox, '$Work_1'), [3]);
      assert.deepEqual(await store.uidsWithFlag(inbox, '$Work%'), []);
      assert.deepEqual(await store.uidsWithFlag(inbox, '\\Draft'), []);
      await assert.rejects(store.uidsWithFlag(inbox + 1000, '\\Seen'), rejectsWith('NOT_FOUND'));
    });

    it('claimRecent hands each new message to one caller only', async ({ store }) => {
      const { inbox } = await userWithInbox(store);
      await store.append(inbox, { raw: message() });
      await store.append(inbox, { raw: message() });
      assert.equal(await store.claimRecent(inbox), 1);
      assert.equal(await store.claimRecent(inbox), 3);
      await store.append(inbox, { raw: message() });
      assert.equal(await store.claimRecent(inbox), 3);
      assert.equal(await store.claimRecent(inbox), 4);
      await assert.rejects(store.claimRecent(inbox + 1000), rejectsWith('NOT_FOUND'));
    });

    it('reopening the store keeps accounts, grants, mailboxes, messages, flags and the change log', async (ctx) => {
      const owner = await ctx.store.createAccount(newAccount('yan'));
      const helper = await ctx.store.createAccount(newAccount('zed'));
      await ctx.store.addGrant({ accountId: owner.id, granteeId: helper.id, access: 'full' });
      const inbox = await ctx.store.createMailbox(owner.id, 'INBOX');
      await ctx.store.setSubscribed(inbox.id, true);
      const raw = awkwardBytes();
      const r = await ctx.store.append(inbox.id, { raw, flags: ['\\Seen'], internalDate: new Date(1e12) });
      await ctx.store.append(inbox.id, { raw: message() });
      await ctx.store.expunge(inbox.id, [2]);
      const snapshot = {
        accounts: await ctx.store.listAccounts(),
        grants: await ctx.store.listGrantsOn(owner.id),
        mailboxes: await ctx.store.listMailboxes(owner.id),
        messages: await ctx.store.listMessages(inbox.id),
        changes: await ctx.store.changesSince(inbox.id, 0),
      };
      const store = await ctx.reopen();
      assert.deepEqual(await store.listAccounts(), snapshot.accounts);
      assert.deepEqual(await store.listGrantsOn(owner.id), snapshot.grants);
      assert.deepEqual(await store.listMailboxes(owner.id), snapshot.mailboxes);
      assert.deepEqual(await store.listMessages(inbox.id), snapshot.messages);
      assert.deepEqual(await store.changesSince(inbox.id, 0), snapshot.changes);
      assert.ok((await store.readBlob((await store.getMessage(inbox.id, r.uid))!.blobId)).equals(raw));
      const next = await store.createMailbox(owner.id, 'Later');
      assert.ok(next.uidValidity > inbox.uidValidity, 'UIDVALIDITY keeps rising across restarts');
    });
  });
}
