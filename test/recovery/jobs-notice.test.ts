/** Job records survive their process (an abandoned job becomes interrupted and blocks nobody), and the notice email is proper MIME. */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { SqliteJobStore } from '../../src/snapshots/store/embedded/sqlite-jobs.js';
import { buildNotice } from '../../src/recovery/notice.js';
import type { RestoreRequest } from '../../src/recovery/request.js';
import { tempDir } from '../fixtures/mtm.js';

const request: RestoreRequest = { account: 'jobs-eve', day: '2026-11-20', scope: { kind: 'folder', folder: 'Entwürfe', subfolders: false }, mode: 'merge', requester: { kind: 'account', account: 'jobs-eve' }, origin: 'imap' };

test('a job left active by a process that died is marked interrupted, frees the account, and can be queued again', async () => {
  const dir = tempDir('jobs');
  const jobsModule = resolve('dist/snapshots/store/embedded/sqlite-jobs.js');
  const script = `import('${jobsModule}').then(async ({ SqliteJobStore }) => { const s = new SqliteJobStore(${JSON.stringify(dir)}); const c = await s.claim(${JSON.stringify(request)}, '2026-11-24', 5); await s.update(c.job.id, { status: 'running' }); process.stdout.write(c.job.id); process.exit(0); })`;
  const abandonedId = execFileSync(process.execPath, ['-e', script]).toString();
  const jobs = new SqliteJobStore(dir);
  try {
    expect((await jobs.get(abandonedId))?.status).toBe('running');
    const claim = await jobs.claim(request, '2026-11-24', 5);
    expect(claim.claimed).toBe(true);
    expect((await jobs.get(abandonedId))?.status).toBe('interrupted');
    // While the new claim is active, the interrupted one cannot run again; afterwards it can.
    expect(await jobs.requeue(abandonedId)).toMatchObject({ claimed: false, conflict: 'busy' });
    if (claim.claimed) await jobs.update(claim.job.id, { status: 'done' });
    expect(await jobs.requeue(abandonedId)).toMatchObject({ claimed: true, job: { status: 'queued' } });
  } finally {
    await jobs.close();
  }
});

test('the daily limit counts accepted requests, not denials', async () => {
  const jobs = new SqliteJobStore(tempDir('jobs-limit'));
  try {
    await jobs.recordDenied(request, '2026-11-24', 'no');
    const first = await jobs.claim(request, '2026-11-24', 1);
    expect(first.claimed).toBe(true);
    if (first.claimed) await jobs.update(first.job.id, { status: 'done' });
    expect(await jobs.claim(request, '2026-11-24', 1)).toMatchObject({ claimed: false, conflict: 'limit', count: 1 });
    expect((await jobs.claim(request, '2026-11-25', 1)).claimed).toBe(true);
  } finally {
    await jobs.close();
  }
});

test('a notice is UTF-8 MIME with plain and HTML alternatives, Date, Message-ID and the configured From', async () => {
  const { raw, messageId } = await buildNotice(
    { kind: 'completed', request, jobId: 'job-1', result: { restored: 2, alreadyPresent: 1, failed: 0, folders: [{ source: 'Entwürfe', target: 'Entwürfe', created: false, restored: 2, alreadyPresent: 1, failed: 0 }] } },
    { from: 'Zeitmaschine Ünd Co <restore@example.net>', to: 'jobs-eve' },
  );
  const text = raw.toString('utf8');
  const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n'))];
  expect(/^[\x20-\x7e\r\n\t]*$/.test(head)).toBe(true);
  expect(head).toMatch(/^From: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <restore@example\.net>$/m);
  expect(head).toMatch(/^Date: \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/m);
  expect(head).toContain(`Message-ID: ${messageId}`);
  expect(messageId).toMatch(/^<restore\.job-1\.completed\.[0-9a-f]+@example\.net>$/);
  expect(head).toContain('MIME-Version: 1.0');
  const boundary = /boundary="?([^";\s]+)"?/.exec(head)![1];
  const parts = body.split(`--${boundary}`);
  expect(parts).toHaveLength(4);
  expect(parts[3]).toBe('--\r\n');
  const decode = (part: string) => Buffer.from(part.split('\r\n\r\n')[1], 'base64').toString('utf8');
  expect(parts[1]).toContain('Content-Type: text/plain; charset=utf-8');
  expect(decode(parts[1])).toContain('Entwürfe -> Entwürfe: 2 restored, 1 already present, 0 failed');
  expect(parts[2]).toContain('Content-Type: text/html; charset=utf-8');
  expect(decode(parts[2])).toContain('<td>Entwürfe</td><td>Entwürfe</td><td>2</td><td>1</td><td>0</td>');
});

test('denials are recorded once per reason, account and day; repeats are counted and leave no record behind', async () => {
  const jobs = new SqliteJobStore(tempDir('jobs-denials'));
  try {
    const first = await jobs.recordDenial(null, request, '2026-11-24', 'daily-limit', 'limit reached');
    expect(first.first).toBe(true);
    for (let i = 0; i < 30; i++) {
      // Denied before a job was claimed (null), or after (the claimed record must go).
      let claimedId: string | null = null;
      if (i % 2) {
        const claim = await jobs.claim(request, '2026-11-24', 100);
        if (!claim.claimed) throw new Error('not claimed');
        claimedId = claim.job.id;
      }
      const again = await jobs.recordDenial(claimedId, request, '2026-11-24', 'daily-limit', 'limit reached');
      expect(again).toMatchObject({ first: false, job: { id: first.job.id } });
    }
    expect(await jobs.list(request.account)).toHaveLength(1);
    expect(await jobs.denialRepeats(request.account, '2026-11-24', 'daily-limit')).toBe(30);
    // Another reason, or another day, is news again.
    expect((await jobs.recordDenial(null, request, '2026-11-24', 'over-quota', 'full')).first).toBe(true);
    expect((await jobs.recordDenial(null, request, '2026-11-25', 'daily-limit', 'limit reached')).first).toBe(true);
    expect(await jobs.list(request.account)).toHaveLength(3);
  } finally {
    await jobs.close();
  }
});

test('an interrupted restore\'s email says so, with what was done and that a retry duplicates nothing', async () => {
  const result = { folders: [{ source: 'Entwürfe', target: 'Entwürfe', created: false, restored: 120, alreadyPresent: 3, failed: 0 }], restored: 120, alreadyPresent: 3, failed: 0 };
  const { raw, subject } = await buildNotice({ kind: 'interrupted', request, jobId: 'job-1', result, reason: 'the connection to the mail server was lost (Connection not available)', advice: 'ask for the same restore again; messages already restored are not written twice' }, { from: 'mtm <mtm@example.com>', to: 'jobs-eve' });
  expect(subject).toBe('Restore interrupted: folder "Entwürfe" from 2026-11-20');
  const text = Buffer.from(raw.toString().split('\r\n\r\n')[2].split('\r\n--')[0], 'base64').toString('utf8');
  expect(text).toContain('did not finish: the connection to the mail server was lost');
  expect(text).toContain('Before it stopped: 120 restored, 3 already present, 0 failed.');
  expect(text).toContain('not written twice');
});
