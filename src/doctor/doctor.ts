/**
 * `mtm doctor`: checks what a deployment needs before the first night — the config, the live
 * server, the master-user impersonation, the store, Redis, the TLS files — and says for each
 * failure how to fix it. Checks that depend on a failed one are skipped, not failed twice.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError, loadConfig, resolveConfigPath } from '../config/load.js';
import type { ServerSettings, SnapshotSettings, UpstreamSettings } from '../config/settings.js';
import { describeRedisUrl } from '../coordination/redis-connection.js';
import { configuredAccounts, connectUpstream } from '../upstream/index.js';
import { probeLiveServer, probeRedis } from './probes.js';
import { checkStoreIntegrity, probeStore } from '../snapshots/store/store.js';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

/** Below this, the next nights may not fit: a first snapshot stores every message once. */
export const MIN_FREE_BYTES = 1024 ** 3;
/** A certificate closer than this to its end fails the check: renew before clients see errors. */
export const CERT_WARNING_DAYS = 14;

const pass = (name: string, detail: string): DoctorCheck => ({ name, status: 'pass', detail });
const fail = (name: string, detail: string, fix: string): DoctorCheck => ({ name, status: 'fail', detail, fix });
const skip = (name: string, detail: string): DoctorCheck => ({ name, status: 'skip', detail });

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

async function checkImpersonation(config: { upstream: UpstreamSettings; snapshot: SnapshotSettings }, liveReachable: boolean): Promise<DoctorCheck> {
  const master = config.snapshot.auth.mode === 'master';
  const name = master ? 'master-user impersonation' : 'account login';
  if (!liveReachable) return skip(name, 'skipped: the live server is not reachable');
  let accounts;
  try {
    accounts = configuredAccounts(config.snapshot);
  } catch (error) {
    return fail(name, (error as Error).message, 'fix snapshot.accountsFile (readable, one account per line)');
  }
  const account = accounts[0];
  if (!account) return fail(name, 'no accounts configured, so nothing would be snapshotted', 'set snapshot.accounts or snapshot.accountsFile');
  try {
    const client = await connectUpstream(config.upstream, account.user, account.credentials);
    await client.logout().catch(() => client.close());
    return pass(name, master ? `${config.snapshot.auth.masterUser} can log in as ${account.user}` : `${account.user} can log in`);
  } catch (error) {
    const fix = master
      ? 'check snapshot.auth.masterUser/masterPassword, and that the live server has this master user (Dovecot: a passdb with master = yes, auth_master_user_separator) and the account exists'
      : `check the password of ${account.user} in snapshot.accountsFile`;
    return fail(name, (error as Error).message, fix);
  }
}

async function checkTls(config: { server: ServerSettings }): Promise<DoctorCheck> {
  const files = config.server.tls;
  if (!files) return skip('tls', 'not configured (server.tls): clients can only use plain IMAP on server.port');
  let keyText: Buffer;
  let certText: Buffer;
  try {
    keyText = await readFile(files.key);
    certText = await readFile(files.cert);
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    return fail('tls', `cannot read ${failure.path ?? 'a TLS file'} (${failure.code ?? failure.message})`, 'check server.tls.key and server.tls.cert, and that the mtm user may read them');
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certText);
  } catch {
    return fail('tls', `${files.cert} is not a PEM certificate`, 'point server.tls.cert at the PEM certificate (full chain)');
  }
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(keyText))) {
      return fail('tls', `${files.key} is not the key of ${files.cert}`, 'use the private key the certificate was issued for');
    }
  } catch {
    return fail('tls', `${files.key} is not a PEM private key`, 'point server.tls.key at the unencrypted PEM private key');
  }
  const validTo = new Date(certificate.validTo);
  const daysLeft = Math.floor((validTo.getTime() - Date.now()) / 86_400_000);
  if (daysLeft < 0) return fail('tls', `the certificate expired on ${validTo.toISOString().slice(0, 10)}`, 'renew the certificate and restart mtm');
  if (daysLeft < CERT_WARNING_DAYS) return fail('tls', `the certificate expires in ${daysLeft} day(s), on ${validTo.toISOString().slice(0, 10)}`, 'renew the certificate now and restart mtm');
  return pass('tls', `${certificate.subject.replace(/\n/g, ', ')} valid until ${validTo.toISOString().slice(0, 10)} (${daysLeft} days)`);
}

export async function runDoctor(configPath?: string, env: NodeJS.ProcessEnv = process.env): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const file = resolveConfigPath(configPath, env);
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(configPath, env);
    checks.push(pass('config', `${file} is valid`));
  } catch (error) {
    const detail = error instanceof ConfigError ? error.message : `cannot load ${file}: ${(error as Error).message}`;
    checks.push(fail('config', detail, 'fix the keys named above (see config/default.yaml for every key)'));
    return checks;
  }

  const live = await probeLiveServer(config.upstream, config.upstream.timeoutSeconds * 1000);
  checks.push(
    live.ok
      ? pass('live server', live.detail)
      : fail('live server', live.detail, 'check upstream.host, upstream.port and upstream.tls, and that the firewall lets this host reach the IMAP port'),
  );
  checks.push(await checkImpersonation(config, live.ok));

  // The store's own probes (its directory; remote backends when configured), then its catalog.
  for (const probe of await probeStore(config.store)) {
    const name = probe.part === 'store' ? 'store permissions' : probe.part;
    checks.push(probe.ok ? pass(name, probe.detail) : fail(name, probe.detail, probe.fix ?? 'see docs/deployment.md'));
    if (probe.part !== 'store') continue;
    if (!probe.ok) checks.push(skip('store free space', 'skipped: the store is not writable'));
    else if (probe.space) {
      const { free, total } = probe.space;
      checks.push(
        free >= MIN_FREE_BYTES
          ? pass('store free space', `${gib(free)} free of ${gib(total)}`)
          : fail('store free space', `only ${gib(free)} free of ${gib(total)}`, `free space or grow the disk: keep at least ${gib(MIN_FREE_BYTES)} plus a night's new mail free (see docs/deployment.md, sizing)`),
      );
    } else checks.push(fail('store free space', `cannot read free space: ${probe.spaceProblem}`, 'check store.path'));
  }
  const catalog = await checkStoreIntegrity(config.store, { thorough: false });
  checks.push(catalog.ok ? pass('store catalog', catalog.text) : fail('store catalog', catalog.text, catalog.repair ?? 'stop mtm, repair the catalog, then run mtm verify'));

  if (config.redis.url) {
    const redis = await probeRedis(config.redis.url, 3000);
    checks.push(
      redis.ok
        ? pass('redis', redis.detail)
        : fail('redis', redis.detail, `start Redis or fix redis.url (${describeRedisUrl(config.redis.url)}); empty redis.url runs one instance without Redis`),
    );
  } else {
    checks.push(skip('redis', 'not configured (redis.url empty): login limits in memory, one instance'));
  }

  checks.push(await checkTls(config));
  return checks;
}

const MARK: Record<CheckStatus, string> = { pass: '✓', fail: '✗', skip: '-' };

export function formatChecks(checks: DoctorCheck[]): string {
  const lines = checks.flatMap((check) => {
    const [first, ...rest] = check.detail.split('\n');
    const out = [`${MARK[check.status]} ${check.name}: ${first}`, ...rest.map((line) => `    ${line}`)];
    if (check.status === 'fail' && check.fix) out.push(`    fix: ${check.fix}`);
    return out;
  });
  const failed = checks.filter((check) => check.status === 'fail').length;
  lines.push(failed === 0 ? 'All checks passed.' : `${failed} check(s) failed.`);
  return `${lines.join('\n')}\n`;
}
