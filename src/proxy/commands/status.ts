// RFC 3501 §6.3.10 STATUS, with HIGHESTMODSEQ (RFC 7162) and SIZE (RFC 8438).
import { arg, defineCommand, no, ok, refuseArg, tokenText } from '../command.js';
import type { OpenMailbox } from '../ports.js';
import { folderModseq } from '../protocol/modseq.js';
import type { Token } from '../protocol/tokens.js';
import { quoteString } from '../protocol/format.js';
import { mailboxNameToWire } from '../protocol/mailbox-name.js';
import type { Session } from '../session.js';

const ITEMS = ['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ', 'SIZE'] as const;
type StatusItem = (typeof ITEMS)[number];

/** The requested status items, upper-cased; null when one is unknown or the list is empty. */
export function parseStatusItems(tokens: Token[]): StatusItem[] | null {
  const items: StatusItem[] = [];
  for (const token of tokens) {
    const name = token.type === 'atom' ? tokenText(token)?.toUpperCase() : undefined;
    if (!name || !(ITEMS as readonly string[]).includes(name)) return null;
    items.push(name as StatusItem);
  }
  return items.length > 0 ? items : null;
}

function itemValue(mailbox: OpenMailbox, item: StatusItem): number | bigint {
  switch (item) {
    case 'MESSAGES':
      return mailbox.messages.length;
    case 'RECENT':
      return 0;
    case 'UIDNEXT':
      return mailbox.uidNext;
    case 'UIDVALIDITY':
      return mailbox.uidValidity;
    case 'UNSEEN':
      return mailbox.messages.filter((message) => !message.flags.includes('\\Seen')).length;
    case 'HIGHESTMODSEQ':
      return folderModseq(mailbox);
    case 'SIZE':
      return mailbox.messages.reduce((sum, message) => sum + message.size, 0);
  }
}

/** Queues `* STATUS name (…)`; shared with LIST-STATUS. */
export function sendStatus(session: Session, mailbox: OpenMailbox, items: StatusItem[]): void {
  const values = items.map((item) => `${item} ${itemValue(mailbox, item)}`).join(' ');
  session.untagged(`STATUS ${quoteString(mailboxNameToWire(mailbox.name, session.utf8Enabled))} (${values})`);
}

const statusItems = arg.refine(arg.list, (tokens) => parseStatusItems(tokens) ?? refuseArg(`STATUS items must be some of ${ITEMS.join(' ')}`));

export const status = defineCommand({
  name: 'STATUS',
  states: ['authenticated', 'selected'],
  args: [arg.mailbox, statusItems],
  async run(session, [name, items]) {
    if (items.includes('HIGHESTMODSEQ')) session.enabled.add('CONDSTORE'); // RFC 7162 §3.1
    const mailbox = await session.phase.view.openMailbox(name);
    if (!mailbox) return no('NONEXISTENT', 'No such snapshot folder');
    sendStatus(session, mailbox, items);
    return ok('STATUS completed');
  },
});
