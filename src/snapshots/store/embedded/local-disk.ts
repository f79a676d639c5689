/**
 * The local directory under store.path: the embedded store's home, and scratch space whatever the
 * backends. Probed for /readyz and mtm doctor (writable, free space) without opening the store.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { StoreProbe } from '../store.js';

/**
 * mkdir -p, one level at a time: Node's recursive mkdir spins forever on some paths (e.g. under
 * /proc, where mkdir answers ENOENT although the parent exists).
 */
async function ensureDirectory(path: string): Promise<void> {
  try {
    if ((await stat(path)).isDirectory()) return;
    throw Object.assign(new Error(`${path} is not a directory`), { code: 'ENOTDIR' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const parent = dirname(path);
  if (parent !== path) await ensureDirectory(parent);
  await mkdir(path);
}

const WRITE_FAILURES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ENOSPC: 'no space left on the device',
  ENOENT: 'the path cannot be created',
};

/** Creates the store directory if needed and writes, then removes, a file in it; then reads the free space. */
export async function probeLocalDirectory(path: string): Promise<StoreProbe> {
  const probe = join(path, `.mtm-write-probe-${process.pid}-${randomUUID()}`);
  try {
    await ensureDirectory(path);
    await writeFile(probe, 'probe\n');
    await unlink(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      part: 'store',
      ok: false,
      detail: `cannot write in ${path} (${(code && WRITE_FAILURES[code]) || (error as Error).message})`,
      fix: 'set store.path to a directory on a writable disk owned by the user mtm runs as',
    };
  }
  const result: StoreProbe = { part: 'store', ok: true, detail: `${path} is writable` };
  try {
    const stats = await statfs(path);
    result.space = { free: stats.bavail * stats.bsize, total: stats.blocks * stats.bsize };
  } catch (error) {
    result.spaceProblem = (error as Error).message;
  }
  return result;
}
