/**
 * Every English text of the web interface, in one place so it can be translated. Accessible names
 * marked "contract" are relied on by users and acceptance checks (DESIGN §7): keep them.
 */
export const t = {
  appName: 'Mail Time Machine',
  // Sign-in (contract: Username, Password, Sign in)
  signInTitle: 'Sign in to your mail snapshots',
  signInHint: 'Use the same username and password as for your mail.',
  username: 'Username',
  password: 'Password',
  signIn: 'Sign in',
  signingIn: 'Signing in…',
  wrongCredentials: 'Wrong username or password. Check them and try again.',
  signOut: 'Sign out',
  signedInAs: (account: string) => `Signed in as ${account}`,
  sessionEnded: 'Your session has ended; sign in again.',
  // Days
  days: 'Days',
  dayLabel: (day: string, messages: number) => `${day} · ${messages.toLocaleString('en')} messages`,
  dayChange: (appeared: number | null, disappeared: number | null) =>
    appeared === null ? 'first snapshot' : `+${appeared} new, −${disappeared} gone since the day before`,
  noDays: 'There is no snapshot of your mailbox yet.',
  pickDay: 'Pick a day: its folders and messages are your mailbox as it was that day. “What changed” in a folder shows what is gone since.',
  // Folders
  folders: 'Folders',
  unsubscribed: 'not subscribed',
  deletedSince: 'deleted since',
  folderCount: (n: number) => `${n.toLocaleString('en')}`,
  pickFolder: 'Pick a folder to see its messages.',
  // List
  sortBy: 'Sort by',
  sortKeys: { arrival: 'Received', date: 'Date', sender: 'Sender', subject: 'Subject', size: 'Size' } as Record<string, string>,
  saveHint: 'Open; right-click to save as .eml',
  ascending: 'Oldest / smallest / A first',
  descending: 'Newest / largest / Z first',
  order: 'Order',
  search: 'Search this folder',
  searchButton: 'Search',
  clearSearch: 'Clear search',
  searchPlaceholder: 'sender, subject or text',
  columns: { select: 'Select', from: 'From', subject: 'Subject', date: 'Date', size: 'Size', flags: 'Flags' },
  noSubject: '(no subject)',
  unknownSender: '(unknown sender)',
  attachment: 'has attachments',
  selectMessage: (subject: string) => `Select “${subject}”`,
  range: (from: number, to: number, total: number) => `${from.toLocaleString('en')}–${to.toLocaleString('en')} of ${total.toLocaleString('en')}`,
  empty: 'No messages.',
  previous: 'Previous',
  next: 'Next',
  selected: (n: number) => `${n} selected`,
  // Controls (contract: Download .eml, Download mbox, Restore, What changed, Confirm restore)
  downloadEml: 'Download .eml',
  downloadMbox: 'Download mbox',
  restore: 'Restore',
  whatChanged: 'What changed',
  confirmRestore: 'Confirm restore',
  viewSource: 'View source',
  hideSource: 'Hide source',
  back: 'Back to the list',
  // Message
  from: 'From',
  to: 'To',
  cc: 'Cc',
  date: 'Date',
  subject: 'Subject',
  attachments: 'Attachments',
  messageBody: 'Message body',
  remoteBlocked: (n: number) => `${n} remote image${n === 1 ? '' : 's'} blocked to protect your privacy.`,
  showRemote: 'Show remote images',
  truncated: 'This message is too long to show whole; download it to read everything.',
  tooLarge: 'This message is too large to show here; download it instead.',
  loading: 'Loading…',
  // What changed
  whatChangedIntro: (day: string, folder: string) => `Messages in “${folder}” on ${day} that are no longer in your mailbox:`,
  nothingGone: 'Nothing is gone: every message of that day is still in your mailbox.',
  newSince: (n: number) => `${n} message${n === 1 ? '' : 's'} arrived in this folder since then.`,
  folderGoneLive: 'This folder no longer exists in your mailbox.',
  restoreThese: 'Restore these messages',
  // Restore
  restoreTitle: 'Restore',
  scope: 'What to restore',
  scopeMessages: (n: number) => `The ${n} chosen message${n === 1 ? '' : 's'}`,
  scopeFolder: (folder: string) => `The folder “${folder}”`,
  scopeSubfolders: (folder: string) => `“${folder}” and its subfolders`,
  scopeAccount: 'The whole mailbox',
  mode: 'Where to',
  modeMerge: 'Back into the original folders (skipping messages already there)',
  modeSeparate: (day: string) => `Into a separate folder Restored/${day}/…`,
  preview: 'Preview',
  cancel: 'Cancel',
  previewSummary: (p: { messages: number; toRestore: number; alreadyPresent: number; bytesToRestore: number; foldersToCreate: number }) =>
    `${p.toRestore} of ${p.messages} messages to restore (${formatBytes(p.bytesToRestore)}); ${p.alreadyPresent} already present; ${p.foldersToCreate} folder${p.foldersToCreate === 1 ? '' : 's'} to create.`,
  previewColumns: { source: 'From folder', target: 'Into folder', messages: 'Messages', present: 'Already there', bytes: 'To copy' },
  restoreDenied: 'Restore denied',
  restoreStatus: (status: string) => ({ queued: 'Waiting to start…', running: 'Restoring…', done: 'Done.', failed: 'Failed.', denied: 'Denied.', interrupted: 'Interrupted.', deciding: 'Deciding…' })[status] ?? status,
  restoreDone: (restored: number, present: number) => `${restored} message${restored === 1 ? '' : 's'} restored, ${present} already present. A confirmation email is on its way.`,
  progress: 'Restore progress',
  // Errors
  errorGeneric: 'Something went wrong; try again.',
  offline: 'The server cannot be reached.',
};

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

export function formatDate(iso: string | null): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}
