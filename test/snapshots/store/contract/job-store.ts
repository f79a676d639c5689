/**
 * The JobStore contract (src/recovery/jobs.ts): restore job records, claimed exactly once per
 * account, limited per day, denials recorded once per reason. A backend's test file calls
 * jobStoreContract with a factory of fresh, empty job stores.
 */
import fc from 'fast-check';
import type { JobStore, RestoreJob } from '../../../../src/recovery/jobs.js';
import type { RestoreRequest } from '../../../../src/recovery/request.js';
import { withFresh, type Fresh } from './subject.js';

function requestFor(account: string, folder = 'Entwürfe'): RestoreRequest {
  return { account, day: '2026-11-20', scope: { kind: 'folder', folder, subfolders: false }, mode: 'merge', requester: { kind: 'account', account }, origin: 'imap' };
}

const DAY = '2026-11-24';

export function jobStoreContract(name: string, makeJobStore: () => Promise<Fresh<JobStore>>): void {
  const each = <R>(body: (jobs: JobStore) => Promise<R>) => withFresh(makeJobStore, body);

  describe(`JobStore contract: ${name}`, () => {
    test('a claim makes a deciding job that reads back whole; updates keep what identifies it', () =>
      each(async (jobs) => {
        expect(jobs.unavailable).toBeNull();
        const request = requestFor('jobs-ann');
        const claim = await jobs.claim(request, DAY, 5);
        if (!claim.claimed) throw new Error('not claimed');
        const { job } = claim;
        expect(job).toMatchObject({ account: 'jobs-ann', status: 'deciding', request, requestedOn: DAY, progress: { done: 0, total: 0 } });
        expect(await jobs.get(job.id)).toEqual(job);
        const preview = { folders: [], messages: 3, bytes: 300, toRestore: 3, alreadyPresent: 0 } as unknown as RestoreJob['preview'];
        const queued = await jobs.update(job.id, { status: 'queued', preview, progress: { done: 0, total: 3 } });
        expect(queued).toMatchObject({ id: job.id, account: 'jobs-ann', request, requestedOn: DAY, createdAt: job.createdAt, status: 'queued', preview, progress: { done: 0, total: 3 } });
        expect(Date.parse(queued.updatedAt)).toBeGreaterThanOrEqual(Date.parse(job.updatedAt));
        expect(await jobs.get(job.id)).toEqual(queued);
        const done = await jobs.update(job.id, { status: 'done', progress: { done: 3, total: 3, folder: 'Entwürfe' }, noticePending: true });
        expect(await jobs.get(job.id)).toEqual(done);
        expect(await jobs.get('00000000-0000-0000-0000-000000000000')).toBeNull();
        await expect(jobs.update('00000000-0000-0000-0000-000000000000', { status: 'done' })).rejects.toThrow();
      }));

    test('one active restore per account: a second claim is told which one is busy; other accounts are not held', () =>
      each(async (jobs) => {
        const first = await jobs.claim(requestFor('jobs-ann'), DAY, 5);
        if (!first.claimed) throw new Error('not claimed');
        for (const status of ['deciding', 'queued', 'running'] as const) {
          await jobs.update(first.job.id, { status });
          expect(await jobs.claim(requestFor('jobs-ann'), DAY, 5)).toMatchObject({ claimed: false, conflict: 'busy', active: { id: first.job.id, status } });
        }
        expect((await jobs.claim(requestFor('jobs-bob'), DAY, 5)).claimed).toBe(true);
        await jobs.update(first.job.id, { status: 'done' });
        expect((await jobs.claim(requestFor('jobs-ann'), DAY, 5)).claimed).toBe(true);
      }));

    test('concurrent claims for one account: exactly one wins', () =>
      each(async (jobs) => {
        const outcomes = await Promise.all(Array.from({ length: 12 }, () => jobs.claim(requestFor('jobs-race'), DAY, 100)));
        expect(outcomes.filter((outcome) => outcome.claimed)).toHaveLength(1);
        expect(outcomes.filter((outcome) => !outcome.claimed && outcome.conflict === 'busy')).toHaveLength(11);
        expect(await jobs.list('jobs-race')).toHaveLength(1);
      }));

    test('the daily limit counts accepted requests of that day, not denials', () =>
      each(async (jobs) => {
        await jobs.recordDenied(requestFor('jobs-ann'), DAY, 'no');
        const first = await jobs.claim(requestFor('jobs-ann'), DAY, 2);
        if (!first.claimed) throw new Error('not claimed');
        await jobs.update(first.job.id, { status: 'failed', reason: 'live server gone' });
        const second = await jobs.claim(requestFor('jobs-ann'), DAY, 2);
        if (!second.claimed) throw new Error('not claimed');
        await jobs.update(second.job.id, { status: 'done' });
        expect(await jobs.claim(requestFor('jobs-ann'), DAY, 2)).toEqual({ claimed: false, conflict: 'limit', count: 2 });
        expect((await jobs.claim(requestFor('jobs-ann'), '2026-11-25', 2)).claimed).toBe(true);
      }));

    test('denials: recorded once per account, day and reason; repeats only counted, and the job claimed for them dropped', () =>
      each(async (jobs) => {
        const request = requestFor('jobs-eve');
        const first = await jobs.recordDenial(null, request, DAY, 'daily-limit', 'limit reached');
        expect(first).toMatchObject({ first: true, job: { status: 'denied', reason: 'limit reached', account: 'jobs-eve' } });
        for (let i = 0; i < 6; i++) {
          let claimedId: string | null = null;
          if (i % 2) {
            const claim = await jobs.claim(request, DAY, 100);
            if (!claim.claimed) throw new Error('not claimed');
            claimedId = claim.job.id;
          }
          expect(await jobs.recordDenial(claimedId, request, DAY, 'daily-limit', 'limit reached')).toMatchObject({ first: false, job: { id: first.job.id } });
          if (claimedId) expect(await jobs.get(claimedId)).toBeNull();
        }
        expect(await jobs.list('jobs-eve')).toHaveLength(1);
        expect(await jobs.denialRepeats('jobs-eve', DAY, 'daily-limit')).toBe(6);
        expect(await jobs.denialRepeats('jobs-eve', DAY, 'over-quota')).toBe(0);
        // A claimed job denied for a new reason becomes the denied record itself.
        const claim = await jobs.claim(request, DAY, 100);
        if (!claim.claimed) throw new Error('not claimed');
        expect(await jobs.recordDenial(claim.job.id, request, DAY, 'over-quota', 'full')).toMatchObject({ first: true, job: { id: claim.job.id, status: 'denied', reason: 'full' } });
        expect((await jobs.recordDenial(null, request, '2026-11-25', 'daily-limit', 'limit reached')).first).toBe(true);
        expect(await jobs.list('jobs-eve')).toHaveLength(3);
        expect(await jobs.list('jobs-other')).toEqual([]);
      }));

    test('requeue: only an interrupted or failed job runs again, and not while the account has another active one', () =>
      each(async (jobs) => {
        const claim = await jobs.claim(requestFor('jobs-ann'), DAY, 5);
        if (!claim.claimed) throw new Error('not claimed');
        const id = claim.job.id;
        await expect(jobs.requeue(id)).rejects.toThrow(/deciding/);
        await jobs.update(id, { status: 'done' });
        await expect(jobs.requeue(id)).rejects.toThrow(/done/);
        await expect(jobs.requeue('00000000-0000-0000-0000-000000000000')).rejects.toThrow();
        await jobs.update(id, { status: 'interrupted', reason: 'cut' });
        const other = await jobs.claim(requestFor('jobs-ann', 'Sent'), DAY, 5);
        if (!other.claimed) throw new Error('not claimed');
        expect(await jobs.requeue(id)).toMatchObject({ claimed: false, conflict: 'busy', active: { id: other.job.id } });
        await jobs.update(other.job.id, { status: 'failed' });
        const again = await jobs.requeue(id);
        expect(again).toMatchObject({ claimed: true, job: { id, status: 'queued' } });
        if (again.claimed) expect(again.job.reason).toBeUndefined();
        expect((await jobs.requeue(other.job.id)).claimed).toBe(false);
      }));

    test('jobs of this live process are never reaped as abandoned', () =>
      each(async (jobs) => {
        const claim = await jobs.claim(requestFor('jobs-ann'), DAY, 5);
        if (!claim.claimed) throw new Error('not claimed');
        await jobs.update(claim.job.id, { status: 'running' });
        expect(await jobs.reapAbandoned()).toEqual([]);
        expect((await jobs.get(claim.job.id))?.status).toBe('running');
      }));

    test('list: an account\'s jobs, newest first, at most `limit`; any account name is just a key', () =>
      each(async (jobs) => {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(fc.string({ minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 6 }), async (name, count) => {
            const account = `list ${name} ${run++}`;
            const ids: string[] = [];
            for (let i = 0; i < count; i++) {
              ids.push((await jobs.recordDenied(requestFor(account), DAY, `reason ${i}`)).id);
              await new Promise((resolve) => setTimeout(resolve, 2));
            }
            const all = await jobs.list(account);
            expect(all.filter((job) => ids.includes(job.id)).map((job) => job.id)).toEqual([...ids].reverse());
            expect((await jobs.list(account, 2)).length).toBeLessThanOrEqual(2);
            for (const job of all) expect(job.account).toBe(account);
          }),
          { numRuns: 15 },
        );
      }));

    test('importJob stores a record as given (id, times, status, result) once; jobAccounts names every account with one, sorted', () =>
      each(async (jobs) => {
        const accountName = fc.string({ minLength: 1, maxLength: 20 }).filter((name) => !name.includes('\u0000'));
        const status = fc.constantFrom<RestoreJob['status']>('done', 'failed', 'denied', 'interrupted');
        const imported: RestoreJob[] = [];
        await fc.assert(
          fc.asyncProperty(accountName, status, fc.integer({ min: 0, max: 2_000_000_000_000 }), fc.string({ maxLength: 40 }), async (account, jobStatus, millis, reason) => {
            const at = new Date(millis).toISOString();
            const job: RestoreJob = {
              id: `imported-${imported.length}-${millis}`,
              account,
              status: jobStatus,
              request: requestFor(account),
              requestedOn: at.slice(0, 10),
              createdAt: at,
              updatedAt: new Date(millis + 5000).toISOString(),
              progress: { done: 2, total: 3, folder: 'Entwürfe' },
              result: { restored: 2, alreadyPresent: 1, failed: 0, folders: [] } as unknown as RestoreJob['result'],
              reason,
            };
            expect(await jobs.importJob(job)).toBe(true);
            imported.push(job);
            expect(await jobs.get(job.id)).toEqual(job);
            // Again (a migration run a second time): nothing changes.
            expect(await jobs.importJob({ ...job, status: 'queued', reason: 'changed' })).toBe(false);
            expect(await jobs.get(job.id)).toEqual(job);
            expect((await jobs.list(account, 1000)).map((listed) => listed.id)).toContain(job.id);
          }),
          { numRuns: 20 },
        );
        const claimed = await jobs.claim(requestFor('jobs-claimed'), DAY, 5);
        expect(claimed.claimed).toBe(true);
        const expected = [...new Set([...imported.map((job) => job.account), 'jobs-claimed'])].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(await jobs.jobAccounts()).toEqual(expected);
      }));
  });
}
