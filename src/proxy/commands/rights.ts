// RFC 4314 ACL: MYRIGHTS, GETACL, LISTRIGHTS. Everyone may look up and read ("lr"), nothing more,
// so clients disable delete and turn drag-and-drop into copy. SETACL/DELETEACL are in read-only.ts.
import { arg, defineCommand, no, ok } from '../command.js';
import { quoteString } from '../protocol/format.js';
import { mailboxNameToWire } from '../protocol/mailbox-name.js';
import type { LoggedInSession, Session } from '../session.js';

async function exists(session: LoggedInSession, name: string): Promise<boolean> {
  const mailboxes = await session.phase.view.listMailboxes();
  return mailboxes.some((info) => info.name === name);
}

function wire(session: Session, name: string): string {
  return quoteString(mailboxNameToWire(name, session.utf8Enabled));
}

export const myrights = defineCommand({
  name: 'MYRIGHTS',
  states: ['authenticated', 'selected'],
  args: [arg.mailbox],
  async run(session, [name]) {
    if (!(await exists(session, name))) return no('NONEXISTENT', 'No such snapshot folder');
    session.untagged(`MYRIGHTS ${wire(session, name)} lr`);
    return ok('MYRIGHTS completed');
  },
});

export const getacl = defineCommand({
  name: 'GETACL',
  states: ['authenticated', 'selected'],
  args: [arg.mailbox],
  async run(session, [name]) {
    if (!(await exists(session, name))) return no('NONEXISTENT', 'No such snapshot folder');
    session.untagged(`ACL ${wire(session, name)} ${quoteString(session.phase.account)} lr`);
    return ok('GETACL completed');
  },
});

export const listrights = defineCommand({
  name: 'LISTRIGHTS',
  states: ['authenticated', 'selected'],
  args: [arg.mailbox, arg.astring],
  async run(session, [name, identifier]) {
    if (!(await exists(session, name))) return no('NONEXISTENT', 'No such snapshot folder');
    session.untagged(`LISTRIGHTS ${wire(session, name)} ${quoteString(identifier)} lr`);
    return ok('LISTRIGHTS completed');
  },
});
