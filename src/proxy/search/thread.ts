/**
 * THREAD (RFC 5256 §4): ORDEREDSUBJECT and REFERENCES over the messages a search program matches.
 * Answers `* THREAD (…)(…)` with sequence numbers, or UIDs for UID THREAD (program.uid).
 */
import type { OpenMailbox } from '../ports.js';
import { EventLoopTurns } from '../event-loop-turns.js';
import { extractBaseSubject } from './base-subject.js';
import { visitMessages } from './content-reader.js';
import { runSearch } from './evaluate.js';
import type { MessageContent } from './message-content.js';
import { firstField } from './message-parts.js';
import type { SearchProgram } from './program.js';
import { sortDate } from './sort.js';
import { replaceComments } from '../../mail/header-text.js';

export interface ThreadMessage {
  id: number;
  sequence: number;
  date: number;
  subject: string;
  isReplyOrForward: boolean;
  messageId: string | null;
  references: string[];
}

interface Container {
  message?: ThreadMessage;
  parent?: Container;
  children: Container[];
}

/** Message-IDs in a References/In-Reply-To value, in order, without the angle brackets. */
export function messageIds(value: string): string[] {
  const ids: string[] = [];
  for (const match of replaceComments(value, '').matchAll(/<([^<>]*)>/g)) {
    const id = match[1].replace(/\s+/g, '');
    if (id.includes('@')) ids.push(id);
  }
  return ids;
}

async function loadMessages(program: SearchProgram, mailbox: OpenMailbox): Promise<ThreadMessage[]> {
  const matches = await runSearch(program, mailbox);
  const out: ThreadMessage[] = [];
  await visitMessages(mailbox, 'header', (message) => out.push(threadMessage(program, message)), matches);
  return out;
}

/** What threading needs of one matching message's header. */
function threadMessage(program: SearchProgram, content: MessageContent): ThreadMessage {
  const { ref, sequence } = content;
  const fields = content.headerFields();
  const text = (name: string) => firstField(fields, name)?.value.toString('utf8');
  const subject = extractBaseSubject(text('Subject') ?? '');
  const references = messageIds(text('References') ?? '');
  return {
    id: program.uid ? ref.uid : sequence,
    sequence,
    date: sortDate(content),
    subject: subject.base,
    isReplyOrForward: subject.isReplyOrForward,
    messageId: messageIds(text('Message-ID') ?? '')[0] ?? null,
    references: references.length ? references : messageIds(text('In-Reply-To') ?? '').slice(0, 1),
  };
}

function firstMessage(container: Container): ThreadMessage | undefined {
  let node: Container | undefined = container;
  while (node && !node.message) node = node.children[0];
  return node?.message;
}

function compareByDate(a: Container, b: Container): number {
  const left = firstMessage(a);
  const right = firstMessage(b);
  if (!left || !right) return 0;
  return left.date - right.date || left.sequence - right.sequence;
}

/**
 * Every container below the roots, parents before their children. Threads may be as deep as the
 * folder is large (a hostile References chain), so walks use this list instead of recursion.
 */
function preorder(roots: readonly Container[]): Container[] {
  const order: Container[] = [];
  const stack = [...roots].reverse();
  for (let node = stack.pop(); node; node = stack.pop()) {
    order.push(node);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
  }
  return order;
}

/** RFC 5256 (4)(E): siblings by date; a dummy dates as its first child, so children are sorted before their parents' lists. */
async function sortTree(roots: Container[], turns: EventLoopTurns): Promise<void> {
  const order = preorder(roots);
  for (let i = order.length - 1; i >= 0; i--) {
    if (order[i].children.length > 1) order[i].children.sort(compareByDate);
    await turns.pause();
  }
  roots.sort(compareByDate);
}

/** RFC 5256 thread syntax: one child continues the line (`1 2 3`), several open one parenthesised branch each. */
function renderThreads(roots: readonly Container[]): string {
  const out: string[] = [];
  // Pending work, last first: a string is written as it is, a container expands into its pieces.
  const stack: Array<Container | string> = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push(')', roots[i], '(');
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const { message, children } = item;
    if (message) out.push(String(message.id));
    if (children.length === 1 && message) stack.push(children[0], ' ');
    else if (children.length > 0) {
      for (let i = children.length - 1; i >= 0; i--) stack.push(')', children[i], '(');
      if (message) stack.push(' ');
    }
  }
  return out.length ? `* THREAD ${out.join('')}` : '* THREAD';
}

function orderedSubject(messages: ThreadMessage[]): Container[] {
  const groups = new Map<string, Container>();
  const roots: Container[] = [];
  const sorted = [...messages].sort((a, b) => a.date - b.date || a.sequence - b.sequence);
  for (const message of sorted) {
    const root = groups.get(message.subject);
    if (root) {
      root.children.push({ message, parent: root, children: [] });
    } else {
      const container: Container = { message, children: [] };
      groups.set(message.subject, container);
      roots.push(container);
    }
  }
  return roots;
}

/**
 * The containers' parent links mirrored in a link-cut forest (Sleator–Tarjan), so "would this link
 * close a loop?" costs amortised O(log n) instead of a walk up a chain that hostile mail can make
 * thousands of links deep (quadratic over a folder). Nodes are 1…size; 0 is "none". Splay trees over
 * preferred paths; `up` is a splay parent or, at a splay tree's root, the path's parent. Iterative.
 */
class LinkCutForest {
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly up: Int32Array;

  constructor(size: number) {
    this.left = new Int32Array(size + 1);
    this.right = new Int32Array(size + 1);
    this.up = new Int32Array(size + 1);
  }

  /** The root of the tree holding `node`. */
  root(node: number): number {
    this.access(node);
    let root = node;
    while (this.left[root]) root = this.left[root];
    this.splay(root);
    return root;
  }

  /** Makes tree root `child` a child of `parent` (in another tree). */
  link(child: number, parent: number): void {
    this.access(child);
    this.up[child] = parent;
  }

  /** Detaches `node` (and its subtree) from its parent. */
  cut(node: number): void {
    this.access(node);
    const above = this.left[node];
    if (above) {
      this.up[above] = 0;
      this.left[node] = 0;
    }
  }

  private isSplayRoot(node: number): boolean {
    const parent = this.up[node];
    return parent === 0 || (this.left[parent] !== node && this.right[parent] !== node);
  }

  private rotate(node: number): void {
    const { left, right, up } = this;
    const parent = up[node];
    const grand = up[parent];
    if (!this.isSplayRoot(parent)) {
      if (left[grand] === parent) left[grand] = node;
      else right[grand] = node;
    }
    up[node] = grand;
    if (left[parent] === node) {
      left[parent] = right[node];
      if (right[node]) up[right[node]] = parent;
      right[node] = parent;
    } else {
      right[parent] = left[node];
      if (left[node]) up[left[node]] = parent;
      left[node] = parent;
    }
    up[parent] = node;
  }

  private splay(node: number): void {
    while (!this.isSplayRoot(node)) {
      const parent = this.up[node];
      if (!this.isSplayRoot(parent)) {
        const grand = this.up[parent];
        this.rotate(this.left[grand] === parent === (this.left[parent] === node) ? parent : node);
      }
      this.rotate(node);
    }
  }

  /** Makes the path from the root to `node` preferred, ending at `node`; leaves `node` at its splay tree's root. */
  private access(node: number): void {
    let below = 0;
    for (let at = node; at; at = this.up[at]) {
      this.splay(at);
      this.right[at] = below;
      below = at;
    }
    this.splay(node);
  }
}

async function references(messages: ThreadMessage[]): Promise<Container[]> {
  const turns = new EventLoopTurns();
  const byId = new Map<string, Container>();
  const containers: Container[] = [];
  // While linking, children are insertion-ordered sets (unlinking a message's container is O(1))
  // and every container has a node in the forest that answers the loop checks.
  const kids = new Map<Container, Set<Container>>();
  const nodeOf = new Map<Container, number>();
  const forest = new LinkCutForest(messages.reduce((sum, message) => sum + 1 + message.references.length, 0));
  const newContainer = (): Container => {
    const container: Container = { children: [] };
    containers.push(container);
    kids.set(container, new Set());
    nodeOf.set(container, containers.length);
    return container;
  };
  const containerFor = (id: string): Container => {
    let container = byId.get(id);
    if (!container) {
      container = newContainer();
      byId.set(id, container);
    }
    return container;
  };
  // Both callers test a tree root (a parentless container): it is an ancestor of `of` (or `of`
  // itself) exactly when it is the root of `of`'s tree.
  const isAncestor = (root: Container, of: Container) => forest.root(nodeOf.get(of)!) === nodeOf.get(root);
  const link = (parent: Container, child: Container) => {
    child.parent = parent;
    kids.get(parent)!.add(child);
    forest.link(nodeOf.get(child)!, nodeOf.get(parent)!);
  };
  for (const message of messages) {
    let own: Container;
    const existing = message.messageId ? byId.get(message.messageId) : undefined;
    if (message.messageId && (!existing || !existing.message)) own = containerFor(message.messageId);
    else own = newContainer();
    own.message = message;
    let previous: Container | undefined;
    for (const id of message.references) {
      const container = containerFor(id);
      if (previous && !container.parent && container !== previous && !isAncestor(container, previous)) link(previous, container);
      previous = container;
    }
    if (own.parent) {
      kids.get(own.parent)!.delete(own);
      own.parent = undefined;
      forest.cut(nodeOf.get(own)!);
    }
    if (previous && previous !== own && !isAncestor(own, previous)) link(previous, own);
    await turns.pause();
  }
  for (const container of containers) container.children = [...kids.get(container)!];
  kids.clear();
  nodeOf.clear();
  let roots = prune(containers.filter((container) => !container.parent));
  await sortTree(roots, turns);
  // (5) gather threads with the same base subject
  const subjectOf = (container: Container) => (container.message ?? container.children[0]?.message)?.subject ?? '';
  const table = new Map<string, Container>();
  for (const root of roots) {
    const subject = subjectOf(root);
    if (!subject) continue;
    const old = table.get(subject);
    if (!old || (!root.message && old.message) || (old.message?.isReplyOrForward && root.message && !root.message.isReplyOrForward)) {
      table.set(subject, root);
    }
  }
  // Roots that merge into others leave a hole (null) rather than being spliced out, and `position`
  // finds a root's slot: both in O(1), whatever the number of threads sharing a subject.
  const list: Array<Container | null> = [...roots];
  const position = new Map<Container, number>(roots.map((root, index) => [root, index]));
  // Every container linked here is a root (parentless), so linking never has to unlink.
  const adopt = (parent: Container, child: Container) => {
    child.parent = parent;
    parent.children.push(child);
  };
  for (let i = 0; i < list.length; i++) {
    await turns.pause();
    const root = list[i];
    if (!root) continue;
    const subject = subjectOf(root);
    const old = subject ? table.get(subject) : undefined;
    if (!old || old === root) continue;
    if (!old.message && !root.message) {
      for (const child of root.children) adopt(old, child);
      root.children = [];
      list[i] = null;
    } else if (!old.message) {
      adopt(old, root);
      list[i] = null;
    } else if (!root.message) {
      list[position.get(old)!] = null;
      adopt(root, old);
      table.set(subject, root);
    } else if (!old.message.isReplyOrForward && root.message.isReplyOrForward) {
      adopt(old, root);
      list[i] = null;
    } else {
      const dummy: Container = { children: [] };
      const at = position.get(old)!;
      list[at] = dummy;
      position.set(dummy, at);
      adopt(dummy, old);
      adopt(dummy, root);
      table.set(subject, dummy);
      list[i] = null;
    }
  }
  roots = list.filter((root): root is Container => root !== null);
  for (const root of roots) root.parent = undefined;
  await sortTree(roots, turns);
  return roots;
}

/**
 * RFC 5256 (3): dummies without children go; a dummy's children take its place, except that at the
 * root a dummy with several children stays. Bottom-up, so a promoted child is already pruned.
 */
function prune(roots: Container[]): Container[] {
  const order = preorder(roots);
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    if (node.children.every((child) => child.message)) continue;
    const kept: Container[] = [];
    for (const child of node.children) {
      if (child.message) kept.push(child);
      else
        for (const grandchild of child.children) {
          grandchild.parent = node;
          kept.push(grandchild);
        }
    }
    node.children = kept;
  }
  const result: Container[] = [];
  for (const root of roots) {
    if (!root.message && root.children.length === 0) continue;
    if (!root.message && root.children.length === 1) {
      root.children[0].parent = undefined;
      result.push(root.children[0]);
    } else result.push(root);
  }
  return result;
}

/** THREAD over already-loaded messages: the `* THREAD …` line (no CRLF). */
export async function threadMessages(algorithm: 'REFERENCES' | 'ORDEREDSUBJECT', messages: ThreadMessage[]): Promise<string> {
  return renderThreads(algorithm === 'ORDEREDSUBJECT' ? orderedSubject(messages) : await references(messages));
}

/** The full `* THREAD …` line (no CRLF) for the messages the program matches. */
export async function runThread(algorithm: 'REFERENCES' | 'ORDEREDSUBJECT', program: SearchProgram, mailbox: OpenMailbox): Promise<string> {
  return threadMessages(algorithm, await loadMessages(program, mailbox));
}
