/**
 * The public surface of src/proxy: the IMAP server, and the ports (narrow interfaces) it is given.
 * src/snapshots/view and src/auth implement the ports; the HTTP side reuses the same SnapshotView
 * and LoginService, so a web sign-in and an IMAP login are one check. SEARCH/SORT are public
 * through src/proxy/search/index.ts.
 */
export { createImapServer, startImapServer, type ImapServer, type ImapServerOptions } from './server.js';
export { RESTORE_MAILBOX, type LoginResult, type LoginService, type MailboxInfo, type MessageRef, type OpenMailbox, type RestoreAnswer, type SnapshotView } from './ports.js';
