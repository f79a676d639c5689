/**
 * The configuration contract (DESIGN §4): YAML, `MTM_*` environment overrides for every key,
 * errors that name the key, unknown keys refused, and secrets never echoed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configKeyPaths, envNameFor, loadConfig, resolveConfigPath } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'mtm-config-test-'));
let counter = 0;

function yamlFile(text: string): string {
  const file = join(dir, `config-${counter++}.yaml`);
  writeFileSync(file, text);
  return file;
}

function loadError(file: string | undefined, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    loadConfig(file, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('the config was accepted');
}

const BASE = `
upstream:
  host: mail.example.net
  port: 143
snapshot:
  accounts: [alice, bob]
  auth:
    mode: master
    masterUser: admin
    masterPassword: base-secret-pw
  retentionDays: 15
store:
  path: /var/lib/mtm
`;

describe('YAML and defaults', () => {
  test('values from the file are read, and every other key has its default', () => {
    const config = loadConfig(yamlFile(BASE), {});
    expect(config.upstream).toMatchObject({ host: 'mail.example.net', port: 143, tls: 'none' });
    expect(config.snapshot.accounts).toEqual(['alice', 'bob']);
    expect(config.snapshot.auth).toEqual({ mode: 'master', masterUser: 'admin', masterPassword: 'base-secret-pw' });
    expect(config.snapshot.retentionDays).toBe(15);
    expect(config.snapshot.timezone).toBe('UTC');
    expect(config.snapshot.schedule).toBe('0 0 * * *');
    expect(config.store.path).toBe('/var/lib/mtm');
    expect(config.server.port).toBe(1143);
    expect(config.http.port).toBe(8025);
  });

  test('an empty file is a valid embedded configuration', () => {
    const config = loadConfig(yamlFile(''), {});
    expect(config.snapshot.retentionDays).toBe(15);
    expect(config.store.path).toBe('./data');
  });

  test('-c wins over $MTM_CONFIG, which wins over config/default.yaml', () => {
    expect(resolveConfigPath('a.yaml', { MTM_CONFIG: 'b.yaml' })).toBe('a.yaml');
    expect(resolveConfigPath(undefined, { MTM_CONFIG: 'b.yaml' })).toBe('b.yaml');
    expect(resolveConfigPath(undefined, {})).toBe('config/default.yaml');
    const viaEnv = loadConfig(undefined, { MTM_CONFIG: yamlFile('snapshot:\n  retentionDays: 9\n') });
    expect(viaEnv.snapshot.retentionDays).toBe(9);
  });

  test('a named config file that does not exist is an error naming it', () => {
    expect(loadError(join(dir, 'nowhere.yaml')).message).toContain('nowhere.yaml');
  });

  test('the shipped config/default.yaml is valid', () => {
    const config = loadConfig('config/default.yaml', {});
    expect(config.snapshot.retentionDays).toBe(15);
  });
});

describe('MTM_* environment overrides', () => {
  test('upper-snake names of camelCase keys override the file, with YAML scalar typing', () => {
    const config = loadConfig(yamlFile(BASE), {
      MTM_UPSTREAM_PORT: '993',
      MTM_UPSTREAM_TLS: 'implicit',
      MTM_SNAPSHOT_RETENTION_DAYS: '3',
      MTM_SNAPSHOT_FETCH_BATCH_SIZE: '25',
      MTM_SNAPSHOT_ACCOUNTS: '[carol, dave]',
      MTM_SERVER_ALLOW_PLAINTEXT_AUTH: 'true',
      MTM_STORE_PATH: '/srv/mtm',
    });
    expect(config.upstream.port).toBe(993);
    expect(config.upstream.tls).toBe('implicit');
    expect(config.upstream.host).toBe('mail.example.net');
    expect(config.snapshot.retentionDays).toBe(3);
    expect(config.snapshot.fetchBatchSize).toBe(25);
    expect(config.snapshot.accounts).toEqual(['carol', 'dave']);
    expect(config.server.allowPlaintextAuth).toBe(true);
    expect(config.store.path).toBe('/srv/mtm');
  });

  test('overrides also create sections the file does not have', () => {
    const config = loadConfig(yamlFile(''), { MTM_HTTP_PORT: '9000', MTM_REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(config.http.port).toBe(9000);
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
  });

  test('every schema key has an environment name', () => {
    const names = configKeyPaths().map(envNameFor);
    expect(names).toEqual(expect.arrayContaining([
      'MTM_UPSTREAM_HOST', 'MTM_SNAPSHOT_RETENTION_DAYS', 'MTM_SNAPSHOT_AUTH_MASTER_PASSWORD', 'MTM_SNAPSHOT_ACCOUNTS_FILE', 'MTM_SERVER_TLS_CERT', 'MTM_HTTP_PORT',
    ]));
    expect(new Set(names).size).toBe(names.length);
  });

  test('a password that looks like a number or a list stays the exact string', () => {
    const config = loadConfig(yamlFile(BASE), { MTM_SNAPSHOT_AUTH_MASTER_PASSWORD: '0123456' });
    expect(config.snapshot.auth.masterPassword).toBe('0123456');
    const listy = loadConfig(yamlFile(BASE), { MTM_SNAPSHOT_AUTH_MASTER_PASSWORD: '[not: a list' });
    expect(listy.snapshot.auth.masterPassword).toBe('[not: a list');
  });

  test('unrelated environment variables are ignored', () => {
    const config = loadConfig(yamlFile(BASE), { MTM_NOT_A_KEY: 'x', HOME: '/root' });
    expect(config.upstream.port).toBe(143);
  });
});

describe('invalid configuration', () => {
  test('an invalid value names the key, from the file or from the environment', () => {
    expect(loadError(yamlFile(`${BASE}server:\n  port: 70000\n`)).message).toMatch(/server\.port/);
    expect(loadError(yamlFile(BASE), { MTM_SNAPSHOT_RETENTION_DAYS: 'fifteen' }).message).toMatch(/snapshot\.retentionDays/);
    expect(loadError(yamlFile(BASE), { MTM_SNAPSHOT_RETENTION_DAYS: '0' }).message).toMatch(/snapshot\.retentionDays/);
    expect(loadError(yamlFile(BASE), { MTM_UPSTREAM_TLS: 'sometimes' }).message).toMatch(/upstream\.tls/);
    expect(loadError(yamlFile(BASE), { MTM_SNAPSHOT_TIMEZONE: 'Mars/Olympus' }).message).toMatch(/snapshot\.timezone/);
    expect(loadError(yamlFile(BASE), { MTM_SNAPSHOT_SCHEDULE: 'every night' }).message).toMatch(/snapshot\.schedule/);
  });

  test('every problem is reported, not just the first', () => {
    const message = loadError(yamlFile(`${BASE}http:\n  port: -1\n`), { MTM_UPSTREAM_PORT: 'x' }).message;
    expect(message).toMatch(/http\.port/);
    expect(message).toMatch(/upstream\.port/);
  });

  test('unknown keys are rejected by name, at any depth', () => {
    expect(loadError(yamlFile(`${BASE}upstrem:\n  host: x\n`)).message).toMatch(/upstrem/);
    expect(loadError(yamlFile(BASE.replace('  retentionDays: 15', '  retentionDay: 15'))).message).toMatch(/snapshot.*retentionDay\b/);
    expect(loadError(yamlFile(BASE.replace('masterUser: admin', 'masterUser: admin\n    masterPasswrd: x'))).message).toMatch(/snapshot\.auth.*masterPasswrd/);
  });

  test('cross-key rules name the missing key', () => {
    expect(loadError(yamlFile('snapshot:\n  accounts: [alice]\n')).message).toMatch(/snapshot\.auth\.masterUser/);
    expect(loadError(yamlFile('snapshot:\n  auth:\n    mode: accounts\n')).message).toMatch(/snapshot\.accountsFile/);
  });

  test('a section of the wrong shape is named, not a crash', () => {
    expect(loadError(yamlFile('snapshot: 5\n')).message).toMatch(/snapshot: .*object/);
    expect(loadError(yamlFile('snapshot:\n  auth: off\n')).message).toMatch(/snapshot\.auth: /);
  });

  test('the top level must be a mapping', () => {
    expect(loadError(yamlFile('- a\n- b\n')).message).toMatch(/top level/);
  });

  test.each([
    ['a password of the wrong type', `${BASE.replace('masterPassword: base-secret-pw', 'masterPassword: 987654321987')}`, '987654321987'],
    ['a misspelt password key', `${BASE.replace('masterPassword: base-secret-pw', 'masterPassword: base-secret-pw\n    masterPasword: typo-secret-pw')}`, 'typo-secret-pw'],
    ['a YAML syntax error on the password line', BASE.replace('masterPassword: base-secret-pw', 'masterPassword: "quoted-secret-pw" trailing'), 'quoted-secret-pw'],
    ['a nested mapping in the password', BASE.replace('masterPassword: base-secret-pw', 'masterPassword: colon-secret: pw'), 'colon-secret'],
  ])('%s is reported without the password value', (_what, text, secret) => {
    const error = loadError(yamlFile(text));
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain('base-secret-pw');
  });

  test('a YAML syntax error still says where it is', () => {
    const error = loadError(yamlFile(BASE.replace('masterPassword: base-secret-pw', 'masterPassword: "quoted-secret-pw" trailing')));
    expect(error.message).toMatch(/line 10\b/);
  });

  test('an invalid value elsewhere does not echo the password from the environment', () => {
    const error = loadError(yamlFile(BASE), { MTM_SNAPSHOT_AUTH_MASTER_PASSWORD: 'env-secret-pw', MTM_UPSTREAM_PORT: 'nope' });
    expect(error.message).toMatch(/upstream\.port/);
    expect(error.message).not.toContain('env-secret-pw');
  });
});
