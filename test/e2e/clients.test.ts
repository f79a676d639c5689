/**
 * Issue 3 acceptance, "Real clients" and "Drag-and-drop path": imapflow, Python's imaplib, curl and
 * mbsync read snapshot folders from our server over a real socket and get the snapshot's bytes; a
 * message dragged from a snapshot to the live Dovecot arrives byte-identical.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { appendAll, buildCorpus } from '../../src/testbed/corpus.js';
import { liveClient } from '../fixtures/mtm.js';
import { snapshotBlobs, startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';

const run = promisify(execFile);
const ACCOUNT = 'e2e-clients';
const PASSWORD = 'clients-pw-1';
const corpus = buildCorpus({ count: 36, seed: 404 });

let server: SnapshotServer;
let inbox: Map<number, Buffer>;

function client(user = ACCOUNT): ImapFlow {
  return new ImapFlow({ host: server.host, port: server.port, secure: false, logger: false, auth: { user, pass: PASSWORD } });
}

beforeAll(async () => {
  server = await startSnapshotServer({
    accounts: [
      {
        user: ACCOUNT,
        password: PASSWORD,
        async seed(live) {
          await appendAll(live, 'INBOX', corpus.slice(0, 24), (i) => (i % 2 ? ['\\Seen'] : []));
          await appendAll(live, 'Archive/2025', corpus.slice(24), () => ['\\Seen', '\\Flagged']);
        },
      },
    ],
  });
  inbox = await snapshotBlobs(server, 'INBOX');
  expect(inbox.size).toBe(24);
}, 120000);

afterAll(async () => {
  await server?.stop();
});

describe('imapflow', () => {
  test('lists the snapshot tree, fetches every message byte-identical and searches', async () => {
    const imap = client();
    await imap.connect();
    try {
      const paths = (await imap.list()).map((entry) => entry.path).sort();
      expect(paths).toEqual(['INBOX', 'Restore', 'Snapshots', `Snapshots/${server.day}`, `Snapshots/${server.day}/Archive`, `Snapshots/${server.day}/Archive/2025`, `Snapshots/${server.day}/INBOX`, 'Trash']);
      const mailbox = await imap.mailboxOpen(`Snapshots/${server.day}/INBOX`, { readOnly: true });
      expect(mailbox.exists).toBe(24);
      let fetched = 0;
      for await (const message of imap.fetch('1:*', { uid: true, source: true, flags: true })) {
        expect(message.source!.equals(inbox.get(message.uid)!)).toBe(true);
        expect(message.flags!.has('\\Seen')).toBe(message.seq % 2 === 0);
        fetched += 1;
      }
      expect(fetched).toBe(24);
      const unseen = await imap.search({ seen: false }, { uid: true });
      expect(unseen).toHaveLength(12);
      const bySubject = await imap.search({ subject: 'Alternative' }, { uid: true });
      expect(bySubject).toEqual([3]);
    } finally {
      await imap.logout();
    }
  });

  test('a day-suffix login shows that day at the top level', async () => {
    const imap = client(`${ACCOUNT}#${server.day}`);
    await imap.connect();
    try {
      const paths = (await imap.list()).map((entry) => entry.path).sort();
      expect(paths).toEqual(['Archive', 'Archive/2025', 'INBOX', 'Restore', 'Trash']);
      const status = await imap.status('Archive/2025', { messages: true });
      expect(status && status.messages).toBe(corpus.length - 24);
    } finally {
      await imap.logout();
    }
  });
});

test('Python imaplib selects read-only and fetches the snapshot bytes', async () => {
  const script = `
import imaplib, sys, json, base64
m = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
m.login(sys.argv[2], sys.argv[3])
typ, data = m.select('"Snapshots/${server.day}/INBOX"', readonly=True)
assert typ == 'OK', (typ, data)
out = {'exists': int(data[0]), 'readonly': m.is_readonly, 'messages': {}}
typ, data = m.uid('FETCH', '1:*', '(BODY.PEEK[])')
assert typ == 'OK', (typ, data)
for item in data:
    if isinstance(item, tuple):
        uid = item[0].decode().split('UID ')[1].split(' ')[0]
        out['messages'][uid] = base64.b64encode(item[1]).decode()
m.close()
m.logout()
print(json.dumps(out))
`;
  const { stdout } = await run('python3', ['-c', script, String(server.port), ACCOUNT, PASSWORD]);
  const result = JSON.parse(stdout) as { exists: number; readonly: boolean; messages: Record<string, string> };
  expect(result.exists).toBe(24);
  expect(result.readonly).toBe(true);
  expect(Object.keys(result.messages)).toHaveLength(24);
  for (const [uid, bytes] of Object.entries(result.messages)) expect(Buffer.from(bytes, 'base64').equals(inbox.get(Number(uid))!)).toBe(true);
});

describe('curl', () => {
  const base = () => `imap://127.0.0.1:${server.port}`;

  test('fetches a message by UID URL, byte-identical', async () => {
    for (const uid of [1, 5, 24]) {
      const { stdout } = await run('curl', ['-sS', '--user', `${ACCOUNT}:${PASSWORD}`, `${base()}/Snapshots%2F${server.day}%2FINBOX;UID=${uid}`], { encoding: 'buffer' });
      expect((stdout as unknown as Buffer).equals(inbox.get(uid)!)).toBe(true);
    }
  });

  test('lists the mailboxes', async () => {
    const { stdout } = await run('curl', ['-sS', '--user', `${ACCOUNT}:${PASSWORD}`, `${base()}/`]);
    expect(stdout).toContain(`"Snapshots/${server.day}/INBOX"`);
    expect(stdout).toContain(`"Snapshots/${server.day}/Archive/2025"`);
    expect(stdout).toMatch(/^\* LIST \([^)]*\\Noselect[^)]*\) "\/" "?Snapshots"?\r?$/m);
  });
});

test('mbsync pulls a snapshot folder into a Maildir whose messages are the snapshot bytes', async () => {
  const home = join(server.dir, 'mbsync');
  const maildir = join(home, 'mail');
  mkdirSync(maildir, { recursive: true });
  const rc = join(home, 'mbsyncrc');
  writeFileSync(
    rc,
    [
      'IMAPAccount snapshot',
      'Host 127.0.0.1',
      `Port ${server.port}`,
      `User ${ACCOUNT}`,
      `Pass ${PASSWORD}`,
      'SSLType None',
      'AuthMechs LOGIN',
      '',
      'IMAPStore snapshot-far',
      'Account snapshot',
      '',
      'MaildirStore local',
      `Path ${maildir}/`,
      `Inbox ${maildir}/INBOX`,
      '',
      'Channel pull',
      `Far :snapshot-far:"Snapshots/${server.day}/INBOX"`,
      'Near :local:Restored',
      'Sync Pull',
      'Create Near',
      'SyncState *',
      '',
    ].join('\n'),
  );
  await run('mbsync', ['-c', rc, '-a'], { env: { ...process.env, HOME: home } });
  const files = ['cur', 'new'].flatMap((sub) => readdirSync(join(maildir, 'Restored', sub)).map((name) => join(maildir, 'Restored', sub, name)));
  expect(files).toHaveLength(24);
  // isync 1.4 always writes Maildir files in Unix form — it drops every CR byte, lone ones too (the
  // other clients above do get them) — and adds one `X-TUID:` header line of its own (it finds new
  // messages by it); neither can be switched off. Undo exactly those two changes, then every file
  // must be the snapshot's blob byte for byte.
  const undoMbsync = (file: Buffer): string => {
    const text = file.toString('latin1');
    const tuid = /^X-TUID: [A-Za-z0-9+/]{12}\n/m.exec(text);
    expect(tuid).not.toBeNull();
    const headerEnd = text.indexOf('\n\n');
    expect(headerEnd < 0 || tuid!.index < headerEnd).toBe(true);
    return text.slice(0, tuid!.index) + text.slice(tuid!.index + tuid![0].length);
  };
  const pulled = files.map((file) => undoMbsync(readFileSync(file))).sort();
  const expected = [...inbox.values()].map((blob) => blob.toString('latin1').replace(/\r/g, '')).sort();
  expect(pulled).toEqual(expected);
});

test('drag-and-drop: a message fetched from a snapshot and APPENDed to the live server is byte-identical', async () => {
  const imap = client();
  await imap.connect();
  const live = await liveClient(ACCOUNT);
  try {
    await imap.mailboxOpen(`Snapshots/${server.day}/Archive/2025`, { readOnly: true });
    const dragged = await imap.fetchOne('3', { source: true, flags: true, internalDate: true });
    if (!dragged) throw new Error('no message 3 in the snapshot folder');
    await live.mailboxCreate('Dropped');
    const appended = await live.append('Dropped', dragged.source!, [...dragged.flags!], dragged.internalDate);
    expect(appended).toBeTruthy();
    await live.mailboxOpen('Dropped', { readOnly: true });
    const back = await live.fetchOne('*', { source: true });
    if (!back) throw new Error('the dropped message is not in the live folder');
    expect(back.source!.equals(dragged.source!)).toBe(true);
    expect(back.source!.equals(corpus[24 + 2])).toBe(true);
  } finally {
    await imap.logout();
    await live.logout();
  }
});
