/**
 * Serving measurements, each taken on our server and on Dovecot with the same client, the same
 * commands and the same folder, repetitions interleaved so both see the same machine noise.
 */
import { BenchImapClient, fetchCounter, searchCollector } from './imap-client.js';
import { BENCH_PASSWORD } from './account.js';
import { msSince, percentile, summarize, MB, type Summary } from './stats.js';

export interface Target {
  name: 'ours' | 'dovecot';
  host: string;
  port: number;
  /** Our server: a day-suffix login, so the day's folders are at the top level as on Dovecot. */
  user: string;
}

export type Pair = Record<Target['name'], Summary>;

export const HEADER_SYNC =
  'UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])';
const HEADER_FIELDS = HEADER_SYNC.slice(HEADER_SYNC.indexOf('(UID '));

async function open(target: Target, folder: string): Promise<{ client: BenchImapClient; exists: number; uidNext: number }> {
  const client = await BenchImapClient.connect(target.host, target.port);
  await client.login(target.user, BENCH_PASSWORD);
  let exists = 0;
  let uidNext = 0;
  await client.run(`SELECT "${folder}"`, (head) => {
    const count = /^\* (\d+) EXISTS/i.exec(head);
    if (count) exists = Number(count[1]);
    const next = /\[UIDNEXT (\d+)\]/i.exec(head);
    if (next) uidNext = Number(next[1]);
  });
  return { client, exists, uidNext };
}

/**
 * Opens sessions a few at a time: our login limiter counts every login in flight as a possible
 * failure, and refuses more than 10 concurrent logins of one account from one address.
 */
export async function openMany<T>(count: number, opener: () => Promise<T>, parallel = 8): Promise<T[]> {
  const opened: T[] = [];
  let started = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (started < count) {
        started += 1;
        opened.push(await opener());
      }
    }),
  );
  return opened;
}

async function timed(run: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return msSince(started);
}

/**
 * SELECT latency: `repetitions` blocks of `samples` SELECTs per server, alternating; p50 and p99 (ms)
 * of each block, summarized over the blocks.
 */
export async function measureSelect(targets: Target[], folder: string, repetitions: number, samples: number) {
  const sessions = await Promise.all(targets.map((target) => open(target, folder)));
  const blocks: Record<string, number[][]> = { ours: [], dovecot: [] };
  for (let block = 0; block < repetitions; block++) {
    const latencies: number[][] = targets.map(() => []);
    for (let i = 0; i < samples; i++) {
      for (const [index, { client }] of sessions.entries()) latencies[index].push(await timed(async () => void (await client.run(`SELECT "${folder}"`))));
    }
    targets.forEach((target, index) => blocks[target.name].push(latencies[index]));
  }
  await Promise.all(sessions.map(({ client }) => client.logout()));
  const at = (fraction: number): Pair => ({
    ours: summarize(blocks.ours.map((block) => percentile(block, fraction))),
    dovecot: summarize(blocks.dovecot.map((block) => percentile(block, fraction))),
  });
  return { p50: at(0.5), p99: at(0.99), samples: blocks };
}

/** Runs `command` in the selected folder `repetitions` times per server; returns per-run values of `rate`. */
async function repeatedCommand(
  targets: Target[],
  folder: string,
  repetitions: number,
  command: string,
  rate: (ms: number, fetched: number, bytes: number) => number,
): Promise<{ pair: Pair; detail: Record<string, Array<{ ms: number; fetched: number; bytes: number }>> }> {
  const sessions = await Promise.all(targets.map((target) => open(target, folder)));
  const detail: Record<string, Array<{ ms: number; fetched: number; bytes: number }>> = { ours: [], dovecot: [] };
  for (let i = 0; i < repetitions; i++) {
    for (const [index, { client }] of sessions.entries()) {
      const counter = fetchCounter();
      let bytes = 0;
      const ms = await timed(async () => {
        bytes = (await client.run(command, counter.handler)).bytes;
      });
      detail[targets[index].name].push({ ms, fetched: counter.count(), bytes });
    }
  }
  await Promise.all(sessions.map(({ client }) => client.logout()));
  const pair = Object.fromEntries(targets.map((target) => [target.name, summarize(detail[target.name].map((run) => rate(run.ms, run.fetched, run.bytes)))])) as Pair;
  return { pair, detail };
}

/** Thunderbird's header sync of the whole folder, messages/s. */
export function measureHeaderSync(targets: Target[], folder: string, repetitions: number) {
  return repeatedCommand(targets, folder, repetitions, HEADER_SYNC, (ms, fetched) => fetched / (ms / 1000));
}

/** ENVELOPE and BODYSTRUCTURE of the whole folder (a client building its message list), messages/s. */
export function measureEnvelopeFetch(targets: Target[], folder: string, repetitions: number) {
  return repeatedCommand(targets, folder, repetitions, 'FETCH 1:* (ENVELOPE BODYSTRUCTURE)', (ms, fetched) => fetched / (ms / 1000));
}

/** Every message's flags (a client's resync of a folder it has cached), messages/s. */
export function measureFlagsFetch(targets: Target[], folder: string, repetitions: number) {
  return repeatedCommand(targets, folder, repetitions, 'UID FETCH 1:* (FLAGS)', (ms, fetched) => fetched / (ms / 1000));
}

/** Every body of the folder, MB/s of response bytes. */
export function measureBodyFetch(targets: Target[], folder: string, repetitions: number) {
  return repeatedCommand(targets, folder, repetitions, 'FETCH 1:* BODY.PEEK[]', (ms, _fetched, bytes) => bytes / MB / (ms / 1000));
}

export const SEARCHES: Array<{ key: string; criteria: string }> = [
  { key: 'SUBJECT', criteria: 'SUBJECT "Thread 42:"' },
  { key: 'FROM', criteria: 'FROM "carol"' },
  // Words of the generated mail: in 4 of 10 messages; the index can spare only the other 6 reads.
  { key: 'TEXT', criteria: 'TEXT "vacation holiday"' },
  // A phrase few messages hold (one thread's subject, quoted in its replies): what the index is for.
  { key: 'TEXT rare', criteria: 'TEXT "Thread 42:"' },
];

/** Bodies searched: the TEXT row of SEARCHES again, on our server with store.searchIndex off (every message read). */
export const SCAN_SEARCHES = SEARCHES.filter((search) => search.key.startsWith('TEXT'));

/** SEARCH latency in ms per criterion, with the hit counts (both servers must agree). */
export async function measureSearch(targets: Target[], folder: string, repetitions: number, searches = SEARCHES) {
  const sessions = await Promise.all(targets.map((target) => open(target, folder)));
  const result: Record<string, { pair: Pair; hits: Record<string, number> }> = {};
  for (const search of searches) {
    const runs: Record<string, number[]> = { ours: [], dovecot: [] };
    const hits: Record<string, number> = {};
    for (let i = 0; i < repetitions; i++) {
      for (const [index, { client }] of sessions.entries()) {
        const collector = searchCollector();
        runs[targets[index].name].push(await timed(async () => void (await client.run(`SEARCH ${search.criteria}`, collector.handler))));
        hits[targets[index].name] = collector.hits();
      }
    }
    result[search.key] = { pair: { ours: summarize(runs.ours), dovecot: summarize(runs.dovecot) }, hits };
  }
  await Promise.all(sessions.map(({ client }) => client.logout()));
  return result;
}

export interface ConcurrencyRun {
  commands: number;
  seconds: number;
  commandsPerSecond: number;
  p99: number;
  p50: number;
}

/**
 * `clients` sessions at once, each alternating an incremental header sync (the newest 100 messages)
 * and a fetch of one random message's body, for `seconds`.
 */
async function concurrentLoad(target: Target, folder: string, clients: number, seconds: number, seed: number): Promise<ConcurrencyRun> {
  const sessions = await openMany(clients, () => open(target, folder));
  const latencies: number[] = [];
  let random = seed;
  const nextRandom = () => {
    random = (random * 1103515245 + 12345) % 2147483648;
    return random / 2147483648;
  };
  const started = process.hrtime.bigint();
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    sessions.map(async ({ client, uidNext }, index) => {
      for (let op = index; Date.now() < deadline; op++) {
        const command = op % 2 === 0
          ? `UID FETCH ${Math.max(1, uidNext - 100)}:* ${HEADER_FIELDS}`
          : `UID FETCH ${1 + Math.floor(nextRandom() * Math.max(1, uidNext - 1))} BODY.PEEK[]`;
        latencies.push(await timed(async () => void (await client.run(command))));
      }
    }),
  );
  const elapsed = msSince(started) / 1000;
  await Promise.all(sessions.map(({ client }) => client.logout()));
  return { commands: latencies.length, seconds: elapsed, commandsPerSecond: latencies.length / elapsed, p99: percentile(latencies, 0.99), p50: percentile(latencies, 0.5) };
}

export async function measureConcurrency(targets: Target[], folder: string, clients: number, seconds: number, repetitions: number) {
  const runs: Record<string, ConcurrencyRun[]> = { ours: [], dovecot: [] };
  for (let i = 0; i < repetitions; i++) {
    for (const target of targets) runs[target.name].push(await concurrentLoad(target, folder, clients, seconds, 1000 + i));
  }
  return {
    throughput: { ours: summarize(runs.ours.map((run) => run.commandsPerSecond)), dovecot: summarize(runs.dovecot.map((run) => run.commandsPerSecond)) } as Pair,
    p99: { ours: summarize(runs.ours.map((run) => run.p99)), dovecot: summarize(runs.dovecot.map((run) => run.p99)) } as Pair,
    runs,
  };
}
