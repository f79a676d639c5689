// RFC 3501 §6.3.8 LIST and §6.3.9 LSUB, with LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819).
// Everything is reported subscribed (DESIGN §5); no SPECIAL-USE on snapshot folders.
import { arg, defineCommand, ok, refuseArg, tokenText, type ArgRefusal, type CommandResult } from '../command.js';
import type { MailboxInfo } from '../ports.js';
import type { Token } from '../protocol/tokens.js';
import { quoteString } from '../protocol/format.js';
import { joinReference, listPatternMatcher } from '../protocol/list-pattern.js';
import { mailboxNameFromWire, mailboxNameToWire } from '../protocol/mailbox-name.js';
import type { LoggedInSession, Session } from '../session.js';
import { parseStatusItems, sendStatus } from './status.js';

const DELIMITER = '/';
const SELECTION_OPTIONS = new Set(['SUBSCRIBED', 'REMOTE', 'RECURSIVEMATCH', 'SPECIAL-USE']);
const RETURN_OPTIONS = new Set(['SUBSCRIBED', 'CHILDREN', 'SPECIAL-USE']);

interface ListRequest {
  selection: Set<string>;
  reference: string;
  patterns: string[];
  returns: Set<string>;
  statusItems: ReturnType<typeof parseStatusItems>;
}

function keywords(tokens: Token[]): string[] | null {
  const words = tokens.map((token) => (token.type === 'atom' ? token.value.toUpperCase() : null));
  return words.includes(null) ? null : (words as string[]);
}

/**
 * LIST-EXTENDED's grammar (RFC 5258): `[(selection)] reference pattern|(patterns) [RETURN (options)]`,
 * an argument kind whose refusals the dispatcher answers. LSUB takes only a reference and a pattern.
 */
function parseRequest(session: Session, tokens: Token[], lsub: boolean): ListRequest | ArgRefusal {
  let at = 0;
  const request: ListRequest = { selection: new Set(), reference: '', patterns: [], returns: new Set(), statusItems: null };
  if (tokens[at]?.type === 'list') {
    const words = keywords((tokens[at++] as { items: Token[] }).items);
    if (!words || words.some((word) => !SELECTION_OPTIONS.has(word))) return refuseArg('Unknown LIST selection option');
    request.selection = new Set(words);
    if (request.selection.has('RECURSIVEMATCH') && request.selection.size === 1) {
      return refuseArg('RECURSIVEMATCH needs another selection option');
    }
  }
  const reference = tokenText(tokens[at++]);
  if (reference === null) return refuseArg('Missing reference name');
  const decodedReference = mailboxNameFromWire(Buffer.from(reference), session.utf8Enabled);
  if (decodedReference === null) return refuseArg('Invalid reference name');
  request.reference = decodedReference;
  const patternToken = tokens[at++];
  const rawPatterns = patternToken?.type === 'list' ? patternToken.items.map(tokenText) : [tokenText(patternToken)];
  for (const raw of rawPatterns) {
    const pattern = raw === null ? null : mailboxNameFromWire(Buffer.from(raw), session.utf8Enabled);
    if (pattern === null) return refuseArg('Invalid mailbox pattern');
    request.patterns.push(pattern);
  }
  if (request.patterns.length === 0) return refuseArg('Missing mailbox pattern');
  if (at < tokens.length) {
    const word = tokenText(tokens[at++])?.toUpperCase();
    const options = tokens[at++];
    if (word !== 'RETURN' || options?.type !== 'list' || at !== tokens.length) return refuseArg('Expected RETURN (options)');
    for (let i = 0; i < options.items.length; i++) {
      const option = tokenText(options.items[i])?.toUpperCase();
      if (option === 'STATUS') {
        const items = options.items[++i];
        request.statusItems = items?.type === 'list' ? parseStatusItems(items.items) : null;
        if (!request.statusItems) return refuseArg('Invalid STATUS return option');
      } else if (!option || !RETURN_OPTIONS.has(option)) {
        return refuseArg('Unknown LIST return option');
      } else {
        request.returns.add(option);
      }
    }
  }
  if (lsub && (request.selection.size > 0 || request.returns.size > 0 || request.statusItems || request.patterns.length > 1)) {
    return refuseArg('LSUB takes a reference and one pattern');
  }
  return request;
}

const listArguments = (lsub: boolean) => arg.grammar('list arguments', (tokens, session) => parseRequest(session, tokens, lsub));

/** The view's mailboxes plus any missing ancestors, so `%` finds every level of the hierarchy. */
async function allMailboxes(session: LoggedInSession): Promise<Array<MailboxInfo & { implied?: boolean }>> {
  const listed = await session.phase.view.listMailboxes();
  const byName = new Map<string, MailboxInfo & { implied?: boolean }>(listed.map((info) => [info.name, info]));
  for (const info of listed) {
    const parts = info.name.split(DELIMITER);
    for (let depth = 1; depth < parts.length; depth++) {
      const parent = parts.slice(0, depth).join(DELIMITER);
      if (!byName.has(parent)) byName.set(parent, { name: parent, selectable: false, hasChildren: true, implied: true });
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function wireName(session: Session, name: string): string {
  return quoteString(mailboxNameToWire(name, session.utf8Enabled));
}

async function runList(session: LoggedInSession, request: ListRequest, lsub: boolean): Promise<CommandResult> {
  const verb = lsub ? 'LSUB' : 'LIST';
  if (!lsub && request.patterns.length === 1 && request.patterns[0] === '') {
    session.untagged(`LIST (\\Noselect) "${DELIMITER}" ""`);
    return ok('LIST completed');
  }
  const matchers = request.patterns.map((pattern) => listPatternMatcher(joinReference(request.reference, pattern), DELIMITER));
  const subscribed = lsub || request.selection.has('SUBSCRIBED') || request.returns.has('SUBSCRIBED');
  for (const info of await allMailboxes(session)) {
    if (!matchers.some((matches) => matches(info.name))) continue;
    if (info.implied && request.selection.has('SUBSCRIBED')) continue;
    const attributes: string[] = [];
    if (!info.selectable) attributes.push(info.implied && !lsub && request.selection.size > 0 ? '\\NonExistent' : '\\Noselect');
    if (!lsub) attributes.push(info.hasChildren ? '\\HasChildren' : '\\HasNoChildren');
    if (subscribed && !info.implied && !lsub) attributes.push('\\Subscribed');
    session.untagged(`${verb} (${attributes.join(' ')}) "${DELIMITER}" ${wireName(session, info.name)}`);
    if (request.statusItems && info.selectable) {
      const mailbox = await session.phase.view.openMailbox(info.name);
      if (mailbox) sendStatus(session, mailbox, request.statusItems);
    }
  }
  return ok(`${verb} completed`);
}

export const list = defineCommand({
  name: 'LIST',
  states: ['authenticated', 'selected'],
  args: [listArguments(false)],
  run: (session, [request]) => runList(session, request, false),
});

export const lsub = defineCommand({
  name: 'LSUB',
  states: ['authenticated', 'selected'],
  args: [listArguments(true)],
  run: (session, [request]) => runList(session, request, true),
});
