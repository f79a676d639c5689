/**
 * The reference implementations we measure beside: Dovecot (serving the live account, indexes on,
 * no FTS) and mbsync (isync) pulling the account into a Maildir. Plus what the report says about
 * them: versions and Dovecot's memory.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DOVECOT_BINARY, startDovecot, type DovecotTestbed } from '../testbed/dovecot.js';
import { msSince } from './stats.js';

/**
 * The testbed Dovecot, with capacity raised for the idle-connection test (the testbed allows 1,000
 * imap processes). Storage and search stay at Dovecot's defaults: indexes on, no FTS plugin.
 */
export async function startBenchDovecot(root: string, idleConnections: number): Promise<DovecotTestbed> {
  const testbed = await startDovecot({ root, quota: '0' });
  const limit = Math.max(1000, idleConnections + 200);
  await reconfigure(root, `# bench: room for ${idleConnections} idle connections\ndefault_client_limit = ${limit * 2}\nservice imap {\n  process_limit = ${limit}\n}\n`);
  return testbed;
}

/**
 * Loads imap_zlib so Dovecot can answer COMPRESS=DEFLATE — only for the idle-connection test after
 * COMPRESS: earlier, neither our snapshotter nor mbsync would be offered compression by a default Dovecot.
 */
export async function enableDovecotCompression(testbed: DovecotTestbed): Promise<void> {
  await reconfigure(testbed.root, 'protocol imap {\n  mail_plugins = $mail_plugins imap_quota imap_zlib\n}\n');
}

async function reconfigure(root: string, settings: string): Promise<void> {
  appendFileSync(join(root, 'dovecot.conf'), `\n${settings}`);
  const reloaded = spawnSync(DOVECOT_BINARY, ['-c', join(root, 'dovecot.conf'), 'reload'], { encoding: 'utf8' });
  if (reloaded.status !== 0) throw new Error(`Dovecot reload failed: ${reloaded.stderr}`);
  // The reload is asynchronous; logins after a moment see the new settings.
  await new Promise((resolve) => setTimeout(resolve, 1500));
}

export function dovecotVersion(): string {
  return execFileSync(DOVECOT_BINARY, ['--version'], { encoding: 'utf8' }).trim();
}

export function mbsyncVersion(): string {
  const out = spawnSync('mbsync', ['--version'], { encoding: 'utf8' });
  return (out.stdout || out.stderr || 'not installed').trim();
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields after the last ")" are fixed.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** KiB of a /proc/<pid>/status or smaps_rollup field, 0 when the process is gone. */
function procKiB(path: string, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(path, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Dovecot's master process and every descendant (login, imap, auth, log, …). */
export function dovecotProcesses(testbed: DovecotTestbed): number[] {
  const master = Number(readFileSync(join(testbed.root, 'run', 'master.pid'), 'utf8').trim());
  const parents = new Map<number, number | null>();
  for (const entry of readdirSync('/proc')) if (/^\d+$/.test(entry)) parents.set(Number(entry), parentOf(Number(entry)));
  const inTree = (pid: number): boolean => {
    for (let current: number | null | undefined = pid, hops = 0; current && hops < 10; current = parents.get(current), hops++) {
      if (current === master) return true;
    }
    return false;
  };
  return [...parents.keys()].filter(inTree);
}

/** Summed RSS (and PSS, which splits shared pages fairly) of Dovecot's processes, in bytes. */
export function dovecotMemory(testbed: DovecotTestbed): { rss: number; pss: number; processes: number } {
  const pids = dovecotProcesses(testbed);
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    rss += procKiB(`/proc/${pid}/status`, 'VmRSS') * 1024;
    pss += procKiB(`/proc/${pid}/smaps_rollup`, 'Pss') * 1024;
  }
  return { rss, pss, processes: pids.length };
}

export function processMemory(pid: number): { rss: number; pss: number } {
  return { rss: procKiB(`/proc/${pid}/status`, 'VmRSS') * 1024, pss: procKiB(`/proc/${pid}/smaps_rollup`, 'Pss') * 1024 };
}

/** mbsync pulling every folder of the account into a fresh Maildir; returns wall seconds. */
export async function runMbsync(options: { dir: string; host: string; port: number; user: string; password: string }): Promise<number> {
  const local = join(options.dir, 'maildir');
  mkdirSync(local, { recursive: true });
  const rc = join(options.dir, 'mbsyncrc');
  writeFileSync(
    rc,
    [
      'IMAPAccount bench',
      `Host ${options.host}`,
      `Port ${options.port}`,
      `User ${options.user}`,
      `Pass ${options.password}`,
      'SSLType None',
      'AuthMechs LOGIN',
      '',
      'IMAPStore remote',
      'Account bench',
      '',
      'MaildirStore local',
      `Path ${local}/`,
      `Inbox ${local}/INBOX`,
      'SubFolders Verbatim',
      '',
      'Channel bench',
      'Far :remote:',
      'Near :local:',
      'Patterns *',
      'Create Near',
      'Sync Pull',
      'SyncState *',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('mbsync', ['-c', rc, '-a', '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mbsync exited with ${code}: ${stderr.trim()}`))));
  });
  return msSince(started) / 1000;
}
