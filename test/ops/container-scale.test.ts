/**
 * Issue 14: the scale-out compose profile (docker-compose.scale.yml, over docker-compose.yml). No
 * docker here, so it is checked as text: every service it adds is in the `scale` profile with a
 * healthcheck; both mtm instances get the same PostgreSQL, bucket and Redis, which pass mtm's own
 * validation (through the same MTM_* environment mapping mtm applies) and point at the services
 * compose runs with the credentials those services are given.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { applyEnvOverrides, loadConfig, validateConfig } from '../../src/config/load.js';

interface Service {
  profiles?: string[];
  image?: string;
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const base = parse(readFileSync('docker-compose.yml', 'utf8')) as { services: Record<string, Service> };
const scale = parse(readFileSync('docker-compose.scale.yml', 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };

/** An mtm service's config as it would start: the mounted file of the quick start, then its environment. */
function configOf(name: 'mtm' | 'mtm-2') {
  const environment = { ...base.services.mtm.environment, ...scale.services[name].environment };
  const mounted = parse(readFileSync('docker/mtm/mtm.yaml', 'utf8')) as Record<string, unknown>;
  return validateConfig(applyEnvOverrides(mounted, environment), name);
}

test('every service the profile adds is in the scale profile, with a healthcheck unless it is a one-shot job', () => {
  const added = Object.keys(scale.services).filter((name) => !(name in base.services));
  expect(added.sort()).toEqual(['minio', 'minio-bucket', 'mtm-2', 'postgres']);
  for (const name of added) expect([name, scale.services[name].profiles]).toEqual([name, ['scale']]);
  for (const name of ['minio', 'mtm-2', 'postgres']) expect([name, (scale.services[name].healthcheck?.test.length ?? 0) > 1]).toEqual([name, true]);
  for (const volume of [...(scale.services['mtm-2'].volumes ?? []), ...(scale.services.postgres.volumes ?? []), ...(scale.services.minio.volumes ?? [])]) {
    const source = volume.split(':')[0];
    if (!source.startsWith('.')) expect(scale.volumes).toHaveProperty(source);
  }
});

test('both instances share PostgreSQL, the bucket and Redis, each on its own ports, once those are ready', () => {
  const first = configOf('mtm');
  const second = configOf('mtm-2');
  expect(second.store.postgres).toEqual(first.store.postgres);
  expect(second.store.s3).toEqual(first.store.s3);
  expect(second.redis).toEqual(first.redis);
  expect([first.server.port, first.http.port]).toEqual([1143, 8025]);
  expect([second.server.port, second.http.port]).toEqual([1144, 8026]);
  expect(scale.services['mtm-2'].ports).toEqual([`${second.server.port}:${second.server.port}`, `${second.http.port}:${second.http.port}`]);
  for (const name of ['mtm', 'mtm-2']) {
    expect(scale.services[name].depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, 'minio-bucket': { condition: 'service_completed_successfully' } });
  }
});

test('the store settings point at the compose services with the credentials they are given', () => {
  const { store } = configOf('mtm');
  const database = new URL(store.postgres.url);
  const postgres = scale.services.postgres.environment!;
  expect({ host: database.hostname, port: database.port, user: database.username, password: database.password, name: database.pathname.slice(1) }).toEqual({
    host: 'postgres',
    port: '5432',
    user: postgres.POSTGRES_USER,
    password: postgres.POSTGRES_PASSWORD,
    name: postgres.POSTGRES_DB,
  });
  const minio = scale.services.minio.environment!;
  expect(store.s3).toMatchObject({ endpoint: 'http://minio:9000', accessKeyId: minio.MINIO_ROOT_USER, secretAccessKey: minio.MINIO_ROOT_PASSWORD, forcePathStyle: true });
  expect(scale.services['minio-bucket'].environment).toEqual(minio);
  expect(scale.services['minio-bucket'].entrypoint!.join(' ')).toContain(`mc mb --ignore-existing store/${store.s3.bucket}`);
  // Without the profile's environment the quick start stays embedded.
  expect(loadConfig('docker/mtm/mtm.yaml', {}).store).toMatchObject({ postgres: { url: '' }, s3: { bucket: '' } });
});
