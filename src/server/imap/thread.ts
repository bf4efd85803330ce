// THREAD (RFC 5256 §3): ORDEREDSUBJECT (threads by base subject, flat under the first message)
// and REFERENCES (the message-ID threading of §4, after Jamie Zawinski's algorithm). Both work
// on plain data — message id, references, base subject, sent date — and without recursion on
// reply chains, so a 10,000-message chain cannot blow the stack.
import { baseSubject } from './base-subject.js';

export interface ThreadInput {
  /** The number the response uses (sequence number or UID). */
  id: number;
  messageId: string | null;
  /** References, or In-Reply-To when there are none; oldest first. */
  references: string[];
  subject: string | null;
  /** Sent date (ms), for ordering. */
  date: number;
}

export interface ThreadNode {
  /** null for a placeholder (a message referred to but not in the set). */
  id: number | null;
  children: ThreadNode[];
}

interface Container {
  msg: ThreadInput | null;
  parent: Container | null;
  children: Container[];
}

const byDate = (a: { date: number; id: number }, b: { date: number; id: number }) => a.date - b.date || a.id - b.id;

export function orderedSubjectThreads(msgs: ThreadInput[]): ThreadNode[] {
  const groups = new Map<string, ThreadInput[]>();
  for (const m of [...msgs].sort(byDate)) {
    const base = baseSubject(m.subject).base;
    const g = groups.get(base);
    if (g) g.push(m);
    else groups.set(base, [m]);
  }
  return [...groups.values()]
    .sort((a, b) => byDate(a[0]!, b[0]!))
    .map((g) => ({ id: g[0]!.id, children: g.slice(1).map((m) => ({ id: m.id, children: [] })) }));
}

function isAncestor(maybe: Container, of: Container): boolean {
  for (let c: Container | null = of; c; c = c.parent) if (c === maybe) return true;
  return false;
}

function link(parent: Container, child: Container): void {
  if (child.parent === parent) return;
  if (child.parent) child.parent.children = child.parent.children.filter((c) => c !== child);
  child.parent = parent;
  parent.children.push(child);
}

function firstDate(c: Container): { date: number; id: number } {
  // A placeholder sorts by its first child (RFC 5256 §4 step 4).
  let cur = c;
  while (!cur.msg && cur.children.length > 0) cur = cur.children[0]!;
  return cur.msg ? { date: cur.msg.date, id: cur.msg.id } : { date: 0, id: 0 };
}

export function referencesThreads(msgs: ThreadInput[]): ThreadNode[] {
  const table = new Map<string, Container>();
  const get = (id: string): Container => {
    let c = table.get(id);
    if (!c) table.set(id, (c = { msg: null, parent: null, children: [] }));
    return c;
  };
  let unique = 0;
  // Step 1: containers and links.
  for (const m of msgs) {
    let id = m.messageId?.toLowerCase() ?? null;
    if (!id || table.get(id)?.msg) id = `\0unique${unique++}`; // missing or duplicate Message-ID
    const own = get(id);
    own.msg = m;
    let prev: Container | null = null;
    for (const ref of m.references) {
      const c = get(ref.toLowerCase());
      if (prev && !c.parent && c !== prev && !isAncestor(c, prev)) link(prev, c);
      prev = c;
    }
    if (own.parent) own.parent.children = own.parent.children.filter((c) => c !== own);
    own.parent = null;
    if (prev && prev !== own && !isAncestor(own, prev)) link(prev, own);
  }
  // Step 2: the root set.
  let roots = [...table.values()].filter((c) => !c.parent);
  // Step 3: prune placeholders.
  const prune = (list: Container[], parent: Container | null): Container[] => {
    const out: Container[] = [];
    const stack: Container[] = [];
    for (let i = list.length - 1; i >= 0; i--) stack.push(list[i]!);
    while (stack.length) {
      const c = stack.pop()!;
      if (!c.msg && c.children.length === 0) continue;
      if (!c.msg && (parent !== null || c.children.length === 1)) {
        // Promote the children (at the root only when there is one).
        for (const k of c.children) k.parent = parent;
        for (let i = c.children.length - 1; i >= 0; i--) stack.push(c.children[i]!);
        continue;
      }
      out.push(c);
    }
    return out;
  };
  // Iterative post-order pruning of every level.
  const order: Container[] = [];
  const visit = [...roots];
  while (visit.length) {
    const c = visit.pop()!;
    order.push(c);
    for (const k of c.children) visit.push(k);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const c = order[i]!;
    c.children = prune(c.children, c);
  }
  roots = prune(roots, null);
  // Step 4: sort the root set by date.
  roots.sort((a, b) => byDate(firstDate(a), firstDate(b)));
  // Step 5: merge threads with the same base subject.
  const subjectOf = (c: Container): { base: string; isReply: boolean } => {
    const m = c.msg ?? c.children[0]?.msg ?? null;
    return baseSubject(m?.subject ?? null);
  };
  const bySubject = new Map<string, Container>();
  for (const c of roots) {
    const { base, isReply } = subjectOf(c);
    if (!base) continue;
    const old = bySubject.get(base);
    if (!old || (!old.msg && c.msg) || (old.msg && subjectOf(old).isReply && !isReply)) bySubject.set(base, c);
  }
  const merged: Container[] = [];
  for (const c of roots) {
    const { base, isReply } = subjectOf(c);
    const keeper = base ? bySubject.get(base) : undefined;
    if (!keeper || keeper === c) {
      merged.push(c);
      continue;
    }
    if (!keeper.msg && !c.msg) {
      for (const k of c.children) link(keeper, k);
    } else if (!keeper.msg) {
      link(keeper, c);
    } else if (!c.msg) {
      // c is a placeholder: its children join the keeper's thread under a new placeholder.
      const holder: Container = { msg: null, parent: null, children: [] };
      const idx = merged.indexOf(keeper);
      link(holder, keeper);
      for (const k of [...c.children]) link(holder, k);
      if (idx >= 0) merged[idx] = holder;
      bySubject.set(base, holder);
    } else if (subjectOf(keeper).isReply === false && isReply) {
      link(keeper, c);
    } else {
      const holder: Container = { msg: null, parent: null, children: [] };
      const idx = merged.indexOf(keeper);
      link(holder, keeper);
      link(holder, c);
      if (idx >= 0) merged[idx] = holder;
      bySubject.set(base, holder);
    }
  }
  // Step 6: children by date, at every level.
  const all: Container[] = [...merged];
  for (let i = 0; i < all.length; i++) {
    const c = all[i]!;
    c.children.sort((a, b) => byDate(firstDate(a), firstDate(b)));
    for (const k of c.children) all.push(k);
  }
  merged.sort((a, b) => byDate(firstDate(a), firstDate(b)));
  const toNode = (c: Container): ThreadNode => {
    const root: ThreadNode = { id: c.msg?.id ?? null, children: [] };
    const stack: Array<[Container, ThreadNode]> = [[c, root]];
    while (stack.length) {
      const [cc, n] = stack.pop()!;
      for (const k of cc.children) {
        const kn: ThreadNode = { id: k.msg?.id ?? null, children: [] };
        n.children.push(kn);
        stack.push([k, kn]);
      }
    }
    return root;
  };
  return merged.map(toNode);
}

/** The THREAD response body: "(2)(3 6 (4 23)(44 7 96))" (RFC 5256 §4). */
export function formatThreads(threads: ThreadNode[]): string {
  return threads.map(formatThread).join('');
}

function formatThread(node: ThreadNode): string {
  const parts: string[] = [];
  let cur: ThreadNode = node;
  for (;;) {
    if (cur.id !== null) parts.push(String(cur.id));
    if (cur.children.length === 1) {
      cur = cur.children[0]!;
      continue;
    }
    if (cur.children.length > 1) parts.push(cur.children.map(formatThread).join(''));
    break;
  }
  return `(${parts.join(' ')})`;
}
