// RFC 9051 §6.4.5 FETCH (and UID FETCH): every data item, BODY[section]<partial> from the
// cached MIME tree and the message bytes, BINARY (RFC 3516), MODSEQ and CHANGEDSINCE/VANISHED
// (RFC 7162). Messages are read in batches and written with backpressure; a message another
// session expunged is skipped, never answered with wrong data, and the client is told
// [EXPUNGEISSUED].
import type { MessageRecord } from '../../../store/types.js';
import type { ImapCommand } from '../../../wire/imap/command.js';
import { formatDateTime } from '../../../wire/imap/date.js';
import { fetchResponseLabel, type FetchAtt } from '../../../wire/imap/fetch.js';
import { literal, type Chunk } from '../../../wire/imap/response.js';
import { binaryBytes, sectionBytes } from '../../../wire/imap/section.js';
import { formatNumberSet, resolveRanges } from '../../../wire/imap/sequence-set.js';
import { bodyStructureChunks, envelopeChunks } from '../../../wire/imap/structure.js';
import type { MimePart } from '../../../wire/mime/types.js';
import { ImapError } from '../errors.js';
import { emailObjectId } from '../object-id.js';
import { resolveSet } from '../message-set.js';
import { defineCommand } from '../spec.js';
import type { ImapSession } from '../session.js';
import { cachedHeader, mimeTrees, rememberHeader } from '../message-cache.js';

type FetchCommand = Extract<ImapCommand, { name: 'FETCH' }>;

const BATCH = 200;

function needsTree(a: FetchAtt): boolean {
  if (a.kind === 'simple') return a.name === 'ENVELOPE' || a.name === 'BODY' || a.name === 'BODYSTRUCTURE';
  if (a.kind === 'body') return a.section.part.length > 0 || a.section.text !== null;
  return a.kind === 'binary.size' || a.part.length > 0;
}

function needsRaw(a: FetchAtt): boolean {
  if (a.kind === 'simple') return a.name === 'RFC822' || a.name === 'RFC822.HEADER' || a.name === 'RFC822.TEXT';
  return true;
}

/** Items answered from the top-level header alone (served from the header cache). */
function headerOnly(a: FetchAtt): boolean {
  if (a.kind === 'simple') return a.name === 'RFC822.HEADER';
  return a.kind === 'body' && a.section.part.length === 0 && (a.section.text?.kind === 'HEADER' || a.section.text?.kind === 'HEADER.FIELDS');
}

/** Items that set \Seen (RFC 9051 §6.4.5): BODY[…] without .PEEK, BINARY[…], RFC822, RFC822.TEXT. */
function setsSeen(a: FetchAtt): boolean {
  if (a.kind === 'simple') return a.name === 'RFC822' || a.name === 'RFC822.TEXT';
  return (a.kind === 'body' || a.kind === 'binary') && !a.peek;
}

function partialOf(data: Buffer, partial: { offset: number; length: number } | null): Buffer {
  if (!partial) return data;
  if (partial.offset >= data.length) return Buffer.alloc(0);
  return data.subarray(partial.offset, partial.offset + partial.length);
}

export async function runFetch(s: ImapSession, cmd: FetchCommand, tag: string): Promise<void> {
  const mb = s.requireSelected();
  const store = s.requireAuthenticated().access.store;
  if (cmd.changedSince !== null) s.enabled.add('CONDSTORE'); // RFC 7162 §3.1: an implicit enable
  const uids = resolveSet(mb, cmd.set, cmd.uid, s.savedSearch);
  const items = cmd.items;
  const wantHeader = items.some(headerOnly);
  const wantRaw = items.some((a) => needsRaw(a) && !headerOnly(a));
  const wantTree = wantHeader || items.some(needsTree);
  const markSeen = !mb.readOnly && items.some(setsSeen);
  const wantModseq = items.some((a) => a.kind === 'simple' && a.name === 'MODSEQ') || cmd.changedSince !== null;
  const wantFlags = items.some((a) => a.kind === 'simple' && a.name === 'FLAGS');

  if (cmd.vanished && cmd.changedSince !== null && cmd.set.kind === 'set') {
    // RFC 7162 §3.2.6: expunged UIDs of the set since CHANGEDSINCE, before the FETCH data.
    const ranges = resolveRanges(cmd.set, Math.max(mb.uids[mb.uids.length - 1] ?? 0, 1));
    const gone = (await store.changesSince(mb.id, cmd.changedSince))
      .filter((c) => c.kind === 'expunge' && ranges.some(([lo, hi]) => c.uid >= lo && c.uid <= hi))
      .map((c) => c.uid);
    if (gone.length > 0) s.push(`* VANISHED (EARLIER) ${formatNumberSet([...new Set(gone)].sort((a, b) => a - b))}\r\n`);
  }

  let expungeIssued = false;
  let unknownCte = false;
  for (let i = 0; i < uids.length; i += BATCH) {
    const batch = uids.slice(i, i + BATCH);
    let records = await store.getMessages(mb.id, batch);
    if (records.length < batch.length) expungeIssued = true;
    if (cmd.changedSince !== null) records = records.filter((r) => r.modseq > cmd.changedSince!);
    const seenNow = new Set<number>();
    if (markSeen) {
      const unseen = records.filter((r) => !r.flags.includes('\\Seen')).map((r) => r.uid);
      if (unseen.length > 0) {
        const { changed } = await store.updateFlags(mb.id, unseen, 'add', ['\\Seen']);
        mb.noteOwnChanges(changed);
        const byUid = new Map(changed.map((r) => [r.uid, r]));
        records = records.map((r) => byUid.get(r.uid) ?? r);
        for (const r of changed) seenNow.add(r.uid);
      }
    }
    const trees = wantTree ? await mimeTrees(store, records.map((r) => r.blobId)) : new Map<string, MimePart>();
    for (const r of records) {
      const seq = mb.seqOf(r.uid);
      if (seq === 0) continue;
      const tree = trees.get(r.blobId) ?? null;
      if (wantTree && !tree) {
        expungeIssued = true;
        continue;
      }
      let raw: Buffer | null = null;
      if (!wantRaw && wantHeader) raw = cachedHeader(r.blobId) ?? null;
      if (!raw && (wantRaw || wantHeader)) {
        raw = await store.readBlob(r.blobId).catch(() => null);
        if (!raw) {
          expungeIssued = true;
          continue;
        }
        if (wantHeader && tree) rememberHeader(r.blobId, raw, tree);
      }
      const out: Chunk[] = [`* ${seq} FETCH (`];
      const parts: Chunk[][] = [];
      if (cmd.uid) parts.push([`UID ${r.uid}`]);
      for (const a of items) {
        const c = fetchItem(s, a, r, raw, tree, cmd.uid);
        if (c === 'unknown-cte') unknownCte = true;
        else if (c) parts.push(c);
      }
      if (seenNow.has(r.uid) && !wantFlags) parts.push([`FLAGS ${s.flagList(r.flags, r.uid)}`]);
      if ((wantModseq || (s.condstore && seenNow.has(r.uid))) && !items.some((a) => a.kind === 'simple' && a.name === 'MODSEQ')) {
        parts.push([`MODSEQ (${r.modseq})`]);
      }
      parts.forEach((p, k) => {
        if (k > 0) out.push(' ');
        out.push(...p);
      });
      out.push(')\r\n');
      await s.pushAsync(...out);
    }
  }
  if (unknownCte) throw new ImapError('NO', 'Unknown Content-Transfer-Encoding.', 'UNKNOWN-CTE');
  if (expungeIssued) s.ok(tag, 'Some messages were expunged by another session.', 'EXPUNGEISSUED');
  else s.ok(tag, 'Fetch completed.');
}

function fetchItem(s: ImapSession, a: FetchAtt, r: MessageRecord, raw: Buffer | null, tree: MimePart | null, isUid: boolean): Chunk[] | null | 'unknown-cte' {
  const utf8 = s.utf8;
  if (a.kind === 'simple') {
    switch (a.name) {
      case 'UID': return isUid ? null : [`UID ${r.uid}`];
      case 'FLAGS': return [`FLAGS ${s.flagList(r.flags, r.uid)}`];
      case 'INTERNALDATE': return [`INTERNALDATE "${formatDateTime(r.internalDate)}"`];
      case 'RFC822.SIZE': return [`RFC822.SIZE ${r.size}`];
      case 'MODSEQ': return [`MODSEQ (${r.modseq})`];
      case 'EMAILID': return [`EMAILID (${emailObjectId(r.blobId)})`];
      case 'THREADID': return ['THREADID NIL'];
      case 'ENVELOPE': return ['ENVELOPE ', ...envelopeChunks(tree!, utf8)];
      case 'BODY': return ['BODY ', ...bodyStructureChunks(tree!, false, utf8)];
      case 'BODYSTRUCTURE': return ['BODYSTRUCTURE ', ...bodyStructureChunks(tree!, true, utf8)];
      case 'RFC822': return ['RFC822 ', ...literal(raw!)];
      case 'RFC822.HEADER': {
        const h = tree ? raw!.subarray(tree.headerStart, tree.bodyStart) : headerOf(raw!);
        return ['RFC822.HEADER ', ...literal(h)];
      }
      case 'RFC822.TEXT': {
        const start = tree ? tree.bodyStart : headerOf(raw!).length;
        return ['RFC822.TEXT ', ...literal(raw!.subarray(start))];
      }
    }
  }
  if (a.kind === 'body') {
    const data = tree ? sectionBytes(raw!, tree, a.section) : raw!;
    const label = fetchResponseLabel(a, true) + ' ';
    if (data === null) return [label, 'NIL'];
    return [label, ...literal(partialOf(data, a.partial))];
  }
  if (a.kind === 'binary') {
    const data = tree ? binaryBytes(raw!, tree, a.part) : raw!;
    if (data === 'unknown-cte') return 'unknown-cte';
    const label = fetchResponseLabel(a, true) + ' ';
    if (data === null) return [label, 'NIL'];
    return [label, ...literal(partialOf(data, a.partial), true)];
  }
  const data = tree ? binaryBytes(raw!, tree, a.part) : raw!;
  if (data === 'unknown-cte') return 'unknown-cte';
  return [`BINARY.SIZE[${a.part.join('.')}] ${data ? data.length : 0}`];
}

/** The header block of a message without a parsed tree (up to and including the blank line). */
function headerOf(raw: Buffer): Buffer {
  const i = raw.indexOf('\r\n\r\n');
  if (i >= 0) return raw.subarray(0, i + 4);
  const j = raw.indexOf('\n\n');
  return j >= 0 ? raw.subarray(0, j + 2) : raw;
}

export default defineCommand({
  name: 'FETCH',
  states: ['selected'],
  capabilities: () => ['BINARY', 'OBJECTID'],
  holdsExpunges: (cmd) => !cmd.uid,
  handle: runFetch,
});

