/**
 * The recursive THREAD implementation that src/proxy/search/thread.ts replaced (quadratic loop checks,
 * recursion as deep as a thread), kept verbatim as a reference oracle for small inputs only: the
 * iterative one must give the same answer on every reference graph.
 */
import type { ThreadMessage } from '../../../src/proxy/search/thread.js';

interface Container {
  message?: ThreadMessage;
  parent?: Container;
  children: Container[];
}

function firstMessage(container: Container): ThreadMessage | undefined {
  return container.message ?? (container.children[0] && firstMessage(container.children[0]));
}

function compareByDate(a: Container, b: Container): number {
  const left = firstMessage(a);
  const right = firstMessage(b);
  if (!left || !right) return 0;
  return left.date - right.date || left.sequence - right.sequence;
}

function sortTree(siblings: Container[]): void {
  for (const container of siblings) sortTree(container.children);
  siblings.sort(compareByDate);
}

function render(container: Container): string {
  const pieces: string[] = container.message ? [String(container.message.id)] : [];
  if (container.children.length === 1 && container.message) pieces.push(render(container.children[0]));
  else if (container.children.length > 0) pieces.push(container.children.map((child) => `(${render(child)})`).join(''));
  return pieces.join(' ');
}

function renderThreads(roots: Container[]): string {
  const body = roots.map((root) => `(${render(root)})`).join('');
  return body ? `* THREAD ${body}` : '* THREAD';
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

function isAncestor(candidate: Container, of: Container): boolean {
  for (let node: Container | undefined = of; node; node = node.parent) if (node === candidate) return true;
  return false;
}

function link(parent: Container, child: Container): void {
  if (child.parent) child.parent.children = child.parent.children.filter((sibling) => sibling !== child);
  child.parent = parent;
  parent.children.push(child);
}

function pruneList(list: Container[], atRoot: boolean): Container[] {
  const result: Container[] = [];
  for (const container of list) {
    container.children = pruneList(container.children, false);
    if (!container.message && container.children.length === 0) continue;
    if (!container.message && (!atRoot || container.children.length === 1)) {
      for (const child of container.children) {
        child.parent = container.parent;
        result.push(child);
      }
      continue;
    }
    result.push(container);
  }
  return result;
}

async function references(messages: ThreadMessage[]): Promise<Container[]> {
  const byId = new Map<string, Container>();
  const containers: Container[] = [];
  const containerFor = (id: string): Container => {
    let container = byId.get(id);
    if (!container) {
      container = { children: [] };
      byId.set(id, container);
      containers.push(container);
    }
    return container;
  };
  for (const message of messages) {
    let own: Container;
    const existing = message.messageId ? byId.get(message.messageId) : undefined;
    if (message.messageId && (!existing || !existing.message)) own = containerFor(message.messageId);
    else {
      own = { children: [] };
      containers.push(own);
    }
    own.message = message;
    let previous: Container | undefined;
    for (const id of message.references) {
      const container = containerFor(id);
      if (previous && !container.parent && container !== previous && !isAncestor(container, previous)) link(previous, container);
      previous = container;
    }
    if (own.parent) {
      own.parent.children = own.parent.children.filter((sibling) => sibling !== own);
      own.parent = undefined;
    }
    if (previous && previous !== own && !isAncestor(own, previous)) link(previous, own);
  }
  let roots = pruneList(
    containers.filter((container) => !container.parent),
    true,
  );
  sortTree(roots);
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
  const list = [...roots];
  for (let i = 0; i < list.length; i++) {
    const root = list[i];
    const subject = subjectOf(root);
    const old = subject ? table.get(subject) : undefined;
    if (!old || old === root) continue;
    const removeRoot = () => {
      list.splice(i, 1);
      i--;
    };
    if (!old.message && !root.message) {
      for (const child of [...root.children]) link(old, child);
      removeRoot();
    } else if (!old.message) {
      link(old, root);
      removeRoot();
    } else if (!root.message) {
      const at = list.indexOf(old);
      link(root, old);
      list.splice(at, 1);
      if (at < i) i--;
      table.set(subject, root);
    } else if (!old.message.isReplyOrForward && root.message.isReplyOrForward) {
      link(old, root);
      removeRoot();
    } else {
      const dummy: Container = { children: [] };
      list[list.indexOf(old)] = dummy;
      link(dummy, old);
      link(dummy, root);
      table.set(subject, dummy);
      removeRoot();
    }
  }
  roots = list;
  for (const root of roots) root.parent = undefined;
  sortTree(roots);
  return roots;
}

export async function oracleThread(algorithm: 'REFERENCES' | 'ORDEREDSUBJECT', messages: ThreadMessage[]): Promise<string> {
  return renderThreads(algorithm === 'ORDEREDSUBJECT' ? orderedSubject(messages) : await references(messages));
}
