/*
 * THREAD algorithms of RFC 5256: ORDEREDSUBJECT and REFERENCES, as pure
 * functions from the messages' keys to the nested thread lists the
 * encoder writes (proto/imap encodeThread).
 *
 * Exports: ThreadItem, threadOrderedSubject, threadReferences,
 * parseMessageIds, ThreadNode, MAX_REFERENCES, MAX_THREAD_DEPTH.
 * Security: the Message-ID/References/In-Reply-To values are
 * sender-chosen: parent links are never made when they would form a
 * loop, so every walk terminates; References are capped at
 * MAX_REFERENCES ids; the trees are walked with explicit stacks, and the
 * answer nests at most MAX_THREAD_DEPTH levels.
 * Standards: RFC 5256 sections 2.1 (base subject), 2.2 (sent date, with
 * the internal date when there is none, ties in mailbox order) and 3
 * (ORDEREDSUBJECT; REFERENCES steps 1-6).
 * Choices: a node with one child is written as a chain, `(1 2)` rather
 * than `(1 (2))` (the RFC's two forms mean the same); Message-IDs compare
 * exactly (i;octet).
 */
import { baseSubject, casemap } from './base-subject.js';

/** A thread: its message numbers in order, then its branches (the encoder's ThreadNode). */
export type ThreadNode = number | ThreadNode[];

/** References read per message: real chains are tens of ids; bounds the linking work a sender can cause. */
export const MAX_REFERENCES = 1000;
/** Nested branch levels written; deeper replies are listed flat under the last level, so writing the answer cannot exhaust the stack. */
export const MAX_THREAD_DEPTH = 200;

export interface ThreadItem {
  /** What the response names: sequence number or UID. */
  id: number;
  /** Mailbox order, for ties. */
  seq: number;
  /** Sent date (internal date when there is none), ms. */
  date: number;
  /** Decoded Subject. */
  subject: string;
  messageId: string | null;
  /** Raw References and In-Reply-To values. */
  references: string | null;
  inReplyTo: string | null;
}

/** The `<...>` message ids of a header value, in order. */
export function parseMessageIds(value: string | null, max = MAX_REFERENCES): string[] {
  if (value === null) return [];
  const out: string[] = [];
  const re = /<([^<>\s]+)>/g;
  for (let m = re.exec(value); m && out.length < max; m = re.exec(value)) out.push(m[1]!);
  return out;
}

const byDate = (a: ThreadItem, b: ThreadItem) => a.date - b.date || a.seq - b.seq;

/** RFC 5256 ORDEREDSUBJECT: threads of equal base subject, first message the parent of the rest. */
export function threadOrderedSubject(items: readonly ThreadItem[]): ThreadNode[][] {
  const groups = new Map<string, ThreadItem[]>();
  for (const item of items) {
    const key = casemap(baseSubject(item.subject).base);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(item);
  }
  const threads = [...groups.values()].map((g) => g.sort(byDate));
  threads.sort((a, b) => byDate(a[0]!, b[0]!));
  return threads.map((g) => {
    const [first, ...rest] = g;
    if (rest.length === 0) return [first!.id];
    if (rest.length === 1) return [first!.id, rest[0]!.id];
    return [first!.id, ...rest.map((r) => [r.id])];
  });
}

interface Container {
  item?: ThreadItem;
  parent?: Container;
  children: Container[];
}

function isAncestor(maybe: Container, of: Container): boolean {
  for (let c: Container | undefined = of; c; c = c.parent) if (c === maybe) return true;
  return false;
}

function unlink(c: Container): void {
  if (!c.parent) return;
  const siblings = c.parent.children;
  siblings.splice(siblings.indexOf(c), 1);
  c.parent = undefined;
}

/** Links child under parent unless that would make a loop. */
function link(parent: Container, child: Container): void {
  if (parent === child || isAncestor(child, parent)) return;
  unlink(child);
  child.parent = parent;
  parent.children.push(child);
}

/** The message a container sorts by: its own, or for a dummy its first child's (children sorted first). */
function sortItem(c: Container): ThreadItem | undefined {
  return c.item ?? c.children[0]?.item;
}

function sortSiblings(list: Container[]): void {
  list.sort((a, b) => {
    const x = sortItem(a);
    const y = sortItem(b);
    if (!x || !y) return x ? -1 : y ? 1 : 0;
    return byDate(x, y);
  });
}

/** Every container of the forest, children after parents (for bottom-up passes, reverse it). */
function preorder(roots: Container[]): Container[] {
  const out: Container[] = [];
  const stack = [...roots].reverse();
  while (stack.length) {
    const c = stack.pop()!;
    out.push(c);
    for (let i = c.children.length - 1; i >= 0; i--) stack.push(c.children[i]!);
  }
  return out;
}

function threadSubject(c: Container): BaseSubjectOf | undefined {
  const item = c.item ?? c.children[0]?.item;
  if (!item) return undefined;
  const b = baseSubject(item.subject);
  return { key: casemap(b.base), reply: b.isReplyOrForward };
}
interface BaseSubjectOf {
  key: string;
  reply: boolean;
}

/** RFC 5256 REFERENCES. */
export function threadReferences(items: readonly ThreadItem[]): ThreadNode[][] {
  // Step 1: containers by Message-ID; a missing or duplicate id gets a unique one.
  const byId = new Map<string, Container>();
  const own: Container[] = [];
  for (const item of items) {
    const ids = parseMessageIds(item.messageId, 1);
    const id = ids[0];
    let c = id !== undefined ? byId.get(id) : undefined;
    if (c && c.item) c = undefined; // a duplicate Message-ID
    if (c) c.item = item;
    else {
      c = { item, children: [] };
      if (id !== undefined && !byId.has(id)) byId.set(id, c);
    }
    own.push(c);
  }
  const containerFor = (id: string): Container => {
    let c = byId.get(id);
    if (!c) byId.set(id, (c = { children: [] }));
    return c;
  };
  for (const c of own) {
    const item = c.item!;
    let refs = parseMessageIds(item.references);
    if (refs.length === 0) refs = parseMessageIds(item.inReplyTo, 1);
    // 1A: link the chain, keeping existing parents.
    for (let i = 0; i + 1 < refs.length; i++) {
      const parent = containerFor(refs[i]!);
      const child = containerFor(refs[i + 1]!);
      if (!child.parent) link(parent, child);
    }
    // 1B: the last reference is the parent, replacing any parent.
    const last = refs.length ? containerFor(refs[refs.length - 1]!) : undefined;
    if (last && last !== c && !isAncestor(c, last)) link(last, c);
    else if (!last) unlink(c);
  }
  // Step 2: the root set.
  const seen = new Set<Container>();
  let roots: Container[] = [];
  for (const c of [...own, ...byId.values()]) {
    if (seen.has(c)) continue;
    seen.add(c);
    if (!c.parent) roots.push(c);
  }
  // Step 3: prune dummies, bottom-up.
  const prune = (list: Container[], atRoot: boolean): Container[] => {
    const out: Container[] = [];
    for (const c of list) {
      if (c.item) out.push(c);
      else if (c.children.length === 0) continue;
      else if (!atRoot || c.children.length === 1) {
        for (const ch of c.children) ch.parent = undefined;
        out.push(...c.children);
      } else out.push(c);
    }
    return out;
  };
  for (const c of preorder(roots).reverse()) {
    const kept = prune(c.children, false);
    for (const k of kept) k.parent = c;
    c.children = kept;
  }
  roots = prune(roots, true);
  for (const r of roots) r.parent = undefined;
  // Step 4: sort the top level (a dummy's children first, then by its first child).
  for (const r of roots) if (!r.item) sortSiblings(r.children);
  sortSiblings(roots);
  // Step 5: merge top-level threads of equal base subject.
  const table = new Map<string, Container>();
  for (const r of roots) {
    const subject = threadSubject(r);
    if (!subject || subject.key === '') continue;
    const held = table.get(subject.key);
    if (!held) table.set(subject.key, r);
    else if (held.item && (!r.item || (threadSubject(held)!.reply && !subject.reply))) table.set(subject.key, r);
  }
  const merged: Container[] = [];
  for (const r of roots) {
    // A root already placed under a dummy made for its subject (below) is not a root any more.
    if (r.parent) continue;
    const subject = threadSubject(r);
    const held = subject && subject.key !== '' ? table.get(subject.key) : undefined;
    if (!held || held === r) {
      merged.push(r);
      continue;
    }
    if (!held.item && !r.item) {
      for (const ch of r.children) {
        ch.parent = held;
        held.children.push(ch);
      }
    } else if (!held.item || (subject!.reply && !threadSubject(held)!.reply)) {
      r.parent = held;
      held.children.push(r);
    } else {
      const dummy: Container = { children: [held, r] };
      held.parent = dummy;
      r.parent = dummy;
      merged.push(dummy);
      table.set(subject!.key, dummy);
    }
  }
  // Top-level order does not matter here: step 6 sorts it.
  const top = merged.filter((c) => !c.parent);
  // Step 6: sort every sibling list, deepest first.
  for (const c of preorder(top).reverse()) sortSiblings(c.children);
  sortSiblings(top);
  return top.map(toNodes);
}

function toNodes(c: Container, depth = 0): ThreadNode[] {
  const out: ThreadNode[] = [];
  let cur = c;
  for (;;) {
    if (cur.item) out.push(cur.item.id);
    if (cur.item && cur.children.length === 1) {
      cur = cur.children[0]!;
      continue;
    }
    if (depth >= MAX_THREAD_DEPTH) {
      for (const d of preorder(cur.children)) if (d.item) out.push([d.item.id]);
      return out;
    }
    for (const ch of cur.children) out.push(toNodes(ch, depth + 1));
    return out;
  }
}
