/**
 * Issue 6: docker is not available here, so the compose file and the Dockerfiles are checked as
 * text — services, builds, ports, volumes, healthchecks — and the config compose mounts into mtm
 * must pass mtm's own validation and agree with the demo Dovecot it talks to.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { validateConfig } from '../../src/config/load.js';

interface Service {
  build?: string | { context: string; dockerfile?: string };
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string };
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;

/** `host:container[:mode]` → the host path resolved against the project root. */
function mounts(service: Service): { source: string; target: string; readOnly: boolean }[] {
  return (service.volumes ?? []).map((entry) => {
    const [source, target, mode] = entry.split(':');
    return { source, target, readOnly: mode === 'ro' };
  });
}

function mountOf(service: Service, target: string) {
  const mount = mounts(service).find((m) => m.target === target);
  if (!mount) throw new Error(`nothing is mounted at ${target}`);
  return mount;
}

/** Dockerfile instructions, continuation lines joined. */
function instructions(file: string): { op: string; args: string }[] {
  const text = readFileSync(file, 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

describe('docker-compose.yml', () => {
  test('has the three services: mtm built from the Dockerfile, redis and the demo dovecot', () => {
    expect(Object.keys(services).sort()).toEqual(['dovecot', 'mtm', 'redis']);
    const mtmBuild = services.mtm.build as { context: string; dockerfile?: string };
    expect(resolve(mtmBuild.context, mtmBuild.dockerfile ?? 'Dockerfile')).toBe(resolve('Dockerfile'));
    expect(services.redis.image).toMatch(/^redis:\d/);
    const dovecotBuild = services.dovecot.build as { context: string; dockerfile?: string };
    expect(existsSync(resolve(dovecotBuild.context, dovecotBuild.dockerfile ?? 'Dockerfile'))).toBe(true);
  });

  test('publishes IMAP and HTTP of mtm and keeps the store, Redis data and demo mail on named volumes', () => {
    expect(services.mtm.ports).toEqual(expect.arrayContaining(['1143:1143', '8025:8025']));
    expect(mountOf(services.mtm, '/var/lib/mtm').source).toBe('mtm-data');
    expect(mountOf(services.redis, '/data').source).toBe('redis-data');
    expect(Object.keys(compose.volumes).sort()).toEqual(['dovecot-mail', 'mtm-data', 'redis-data']);
    for (const service of Object.values(services)) {
      for (const mount of mounts(service)) {
        if (mount.source.startsWith('.')) expect(existsSync(mount.source)).toBe(true);
        else expect(compose.volumes).toHaveProperty(mount.source);
      }
    }
  });

  test('every service has a healthcheck and mtm waits for healthy redis and dovecot', () => {
    for (const [name, service] of Object.entries(services)) {
      expect([name, Array.isArray(service.healthcheck?.test) && service.healthcheck.test.length > 1]).toEqual([name, true]);
    }
    expect(services.mtm.healthcheck!.test.join(' ')).toContain('/healthz');
    expect(services.redis.healthcheck!.test).toContain('ping');
    expect(services.dovecot.healthcheck!.test.join(' ')).toContain('* OK');
    expect(services.mtm.depends_on).toEqual({ redis: { condition: 'service_healthy' }, dovecot: { condition: 'service_healthy' } });
  });

  test('the config mounted into mtm passes validation and points at the compose services', () => {
    const mount = mountOf(services.mtm, services.mtm.environment!.MTM_CONFIG);
    expect(mount.readOnly).toBe(true);
    const config = validateConfig(parse(readFileSync(mount.source, 'utf8')), mount.source);
    expect(config.upstream.host).toBe('dovecot');
    expect(config.redis.url).toBe('redis://redis:6379/0');
    expect(config.store.path).toBe('/var/lib/mtm');
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.http.host).toBe('0.0.0.0');
    expect(services.mtm.ports).toContain(`${config.server.port}:${config.server.port}`);
    expect(services.mtm.ports).toContain(`${config.http.port}:${config.http.port}`);
    // mtm logs into the demo Dovecot with the master user that compose gives it.
    expect(config.snapshot.auth).toMatchObject({
      mode: 'master',
      masterUser: services.dovecot.environment!.DOVECOT_MASTER_USER,
      masterPassword: services.dovecot.environment!.DOVECOT_MASTER_PASSWORD,
    });
    expect(config.snapshot.accounts).toEqual([services.dovecot.environment!.DOVECOT_DEMO_USER]);
    expect(services.dovecot.environment!.DOVECOT_DEMO_PASSWORD).toBe('demo');
  });

  test('the demo dovecot runs the same config file the tests use, filling every placeholder', () => {
    const mount = mountOf(services.dovecot, '/etc/mtm-dovecot/dovecot.conf');
    expect(resolve(mount.source)).toBe(resolve('config/dovecot/dovecot.conf'));
    const dockerfile = instructions(resolve((services.dovecot.build as { context: string }).context, 'Dockerfile'));
    expect(dockerfile.find((i) => i.op === 'RUN')?.args).toContain('dovecot-imapd');
    const entrypoint = readFileSync('docker/dovecot/entrypoint.sh', 'utf8');
    expect(entrypoint).toContain('/etc/mtm-dovecot/dovecot.conf');
    const settings = readFileSync('config/dovecot/dovecot.conf', 'utf8').split('\n').filter((line) => !line.trim().startsWith('#'));
    const placeholders = new Set(settings.join('\n').match(/@@[A-Z_]+@@/g));
    expect(placeholders.size).toBeGreaterThan(3);
    for (const placeholder of placeholders) expect([placeholder, entrypoint.includes(`s|${placeholder}|`)]).toEqual([placeholder, true]);
    expect(entrypoint).toMatch(/\$DEMO_USER.*\$DEMO_PASSWORD/);
    expect(entrypoint).toMatch(/exec \/usr\/sbin\/dovecot -F/);
  });
});

describe('Dockerfile', () => {
  const steps = instructions('Dockerfile');
  const stages = steps.filter((step) => step.op === 'FROM');
  const runtimeStart = steps.indexOf(stages[stages.length - 1]);
  const runtime = steps.slice(runtimeStart);

  test('builds in one stage and runs in a slim second stage that copies the build output', () => {
    expect(stages).toHaveLength(2);
    expect(stages[0].args).toMatch(/^node:20\S* AS build$/i);
    expect(stages[1].args).toMatch(/^node:20\S*-slim AS runtime$/i);
    const buildStage = steps.slice(0, runtimeStart);
    expect(buildStage.some((step) => step.op === 'RUN' && step.args.includes('npm run build'))).toBe(true);
    const copied = runtime.filter((step) => step.op === 'COPY' && step.args.startsWith('--from=build')).map((step) => step.args);
    expect(copied.join('\n')).toMatch(/\/src\/dist /);
    expect(copied.join('\n')).toMatch(/\/src\/node_modules /);
    expect(runtime.some((step) => step.op === 'RUN' && step.args.includes('npm run build'))).toBe(false);
  });

  test('runs `mtm serve` as a non-root user with the store on a volume and a /healthz healthcheck', () => {
    const user = runtime.filter((step) => step.op === 'USER').pop();
    expect(user?.args).toBeDefined();
    expect(['root', '0']).not.toContain(user!.args);
    expect(runtime.find((step) => step.op === 'RUN' && step.args.includes('useradd'))?.args).toContain(user!.args);
    expect(JSON.parse(runtime.find((step) => step.op === 'ENTRYPOINT')!.args)).toEqual(['node', '/app/dist/cli/main.js']);
    expect(JSON.parse(runtime.find((step) => step.op === 'CMD')!.args)).toEqual(['serve']);
    expect(JSON.parse(runtime.find((step) => step.op === 'VOLUME')!.args)).toEqual(['/var/lib/mtm']);
    expect(runtime.find((step) => step.op === 'ENV')!.args).toContain('MTM_STORE_PATH=/var/lib/mtm');
    const healthcheck = runtime.find((step) => step.op === 'HEALTHCHECK')!.args;
    expect(healthcheck).toMatch(/^--interval=\S+ .*CMD /);
    expect(healthcheck).toContain('/healthz');
  });

  test('.dockerignore keeps local state and dependencies out of the build context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((line) => line.trim());
    for (const entry of ['node_modules', 'dist', 'data', '.git']) expect(ignored).toContain(entry);
    expect(ignored).not.toContain('src');
  });
});
