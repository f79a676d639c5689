/** The embedded store's errors as StorageError: the one place SQLite and errno codes are read. */
import fc from 'fast-check';
import { BlobDamagedError } from '../../../src/snapshots/store/blob-store.js';
import { classifyEmbeddedFailure } from '../../../src/snapshots/store/embedded/failures.js';
import { StorageError } from '../../../src/snapshots/store/storage-error.js';

const coded = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`boom ${code}`), { code, ...extra });

test('full, read-only, damaged and other store failures get their kind and a sentence naming the store', () => {
  const cases: [unknown, string, RegExp][] = [
    [coded('ENOSPC', { syscall: 'write' }), 'full', /^the store \/srv\/mtm is full \(ENOSPC: no space left on device; ENOSPC\)$/],
    [coded('SQLITE_FULL'), 'full', /is full \(ENOSPC: no space left on device; SQLITE_FULL\)/],
    [coded('EDQUOT', { syscall: 'write' }), 'full', /is full/],
    [coded('EROFS', { syscall: 'open' }), 'read-only', /^the store \/srv\/mtm is read-only \(EROFS\)$/],
    [coded('SQLITE_READONLY_DBMOVED'), 'read-only', /is read-only \(SQLITE_READONLY_DBMOVED\)/],
    [coded('SQLITE_CORRUPT_INDEX'), 'damaged', /is damaged \(SQLITE_CORRUPT_INDEX: boom/],
    [coded('SQLITE_NOTADB'), 'damaged', /is damaged/],
    [coded('SQLITE_BUSY'), 'failed', /^the store \/srv\/mtm failed \(SQLITE_BUSY: boom SQLITE_BUSY\)$/],
    [coded('ENOENT', { syscall: 'open' }), 'failed', /failed \(ENOENT: boom ENOENT\)/],
  ];
  for (const [error, kind, message] of cases) {
    const failure = classifyEmbeddedFailure('/srv/mtm', error);
    expect(failure).toBeInstanceOf(StorageError);
    expect([failure!.kind, failure!.message]).toEqual([kind, expect.stringMatching(message)]);
    expect(failure!.cause).toBe(error);
    expect(failure!.refusesWrites).toBe(kind === 'full' || kind === 'read-only');
  }
});

test('opening for writing: what SQLite and mkdir report on an unwritable store counts as read-only', () => {
  for (const error of [coded('SQLITE_CANTOPEN'), coded('SQLITE_IOERR_WRITE'), coded('ENOENT', { syscall: 'mkdir' })]) {
    expect(classifyEmbeddedFailure('/srv/mtm', error, { opening: true })).toMatchObject({ kind: 'read-only', message: expect.stringMatching(/cannot be written/) });
  }
  expect(classifyEmbeddedFailure('/srv/mtm', coded('SQLITE_CANTOPEN'))?.kind).toBe('failed');
});

test('errors that are not the store\'s are left alone; a StorageError passes as it is', () => {
  const own = new StorageError('unavailable', 'x', 'y');
  expect(classifyEmbeddedFailure('/srv/mtm', own)).toBe(own);
  expect(classifyEmbeddedFailure('/srv/mtm', new BlobDamagedError('a', 'b', 'c'))).toBeNull();
  fc.assert(
    fc.property(fc.anything(), (thing) => {
      const code = (thing as { code?: unknown } | null)?.code;
      const syscall = (thing as { syscall?: unknown } | null)?.syscall;
      fc.pre(!(typeof code === 'string' && /^(SQLITE|E[A-Z])/.test(code)) && !syscall);
      expect(classifyEmbeddedFailure('/srv/mtm', thing)).toBeNull();
    }),
  );
  expect(classifyEmbeddedFailure('/srv/mtm', new Error('the live server said NO'))).toBeNull();
});
