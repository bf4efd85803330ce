// Row shapes of the SQLite schema and their mapping to the store's types.
import type { Account, Grant, Mailbox, MailboxChange, MessageRecord, SpecialUse } from '../types.js';

export interface AccountRow {
  id: number;
  address: string;
  upn: string;
  domain: string;
  sam: string;
  alias: string;
  password_hash: string | null;
  scram_salt: Buffer | null;
  scram_iterations: number | null;
  scram_stored_key: Buffer | null;
  scram_server_key: Buffer | null;
  imap_enabled: number;
  pop_enabled: number;
  smtp_enabled: number;
  admin: number;
  disabled: number;
  shared: number;
  created_at: number;
}

export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    address: row.address,
    upn: row.upn,
    domain: row.domain,
    sam: row.sam,
    alias: row.alias,
    passwordHash: row.password_hash,
    scram:
      row.scram_salt && row.scram_stored_key && row.scram_server_key && row.scram_iterations !== null
        ? {
            salt: row.scram_salt,
            iterations: row.scram_iterations,
            storedKey: row.scram_stored_key,
            serverKey: row.scram_server_key,
          }
        : null,
    imapEnabled: row.imap_enabled === 1,
    popEnabled: row.pop_enabled === 1,
    smtpEnabled: row.smtp_enabled === 1,
    admin: row.admin === 1,
    disabled: row.disabled === 1,
    shared: row.shared === 1,
    createdAt: new Date(row.created_at),
  };
}

export interface GrantRow {
  account_id: number;
  grantee_id: number;
  access: string;
}

export function toGrant(row: GrantRow): Grant {
  return { accountId: row.account_id, granteeId: row.grantee_id, access: row.access as Grant['access'] };
}

export interface MailboxRow {
  id: number;
  account_id: number;
  name: string;
  special_use: string | null;
  subscribed: number;
  uidvalidity: number;
  uidnext: number;
  highest_modseq: number;
  message_count: number;
  total_size: number;
}

export function toMailbox(row: MailboxRow): Mailbox {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    specialUse: row.special_use as SpecialUse | null,
    subscribed: row.subscribed === 1,
    uidValidity: row.uidvalidity,
    uidNext: row.uidnext,
    highestModseq: row.highest_modseq,
    messageCount: row.message_count,
    totalSize: row.total_size,
  };
}

export interface MessageRow {
  mailbox_id: number;
  uid: number;
  modseq: number;
  flags: string;
  internal_date: number;
  size: number;
  blob_id: string;
}

export function toMessage(row: MessageRow): MessageRecord {
  return {
    mailboxId: row.mailbox_id,
    uid: row.uid,
    modseq: row.modseq,
    flags: JSON.parse(row.flags) as string[],
    internalDate: new Date(row.internal_date),
    size: row.size,
    blobId: row.blob_id,
  };
}

export interface ChangeRow {
  mailbox_id: number;
  modseq: number;
  kind: 'append' | 'flags' | 'expunge';
  uid: number;
  flags: string | null;
}

export function toChange(row: ChangeRow): MailboxChange {
  if (row.kind === 'flags') {
    return {
      kind: 'flags', mailboxId: row.mailbox_id, uid: row.uid, modseq: row.modseq,
      flags: JSON.parse(row.flags ?? '[]') as string[],
    };
  }
  return { kind: row.kind, mailboxId: row.mailbox_id, uid: row.uid, modseq: row.modseq };
}
