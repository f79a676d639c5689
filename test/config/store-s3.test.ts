/** `store.s3` (DESIGN §4): every key from YAML or `MTM_STORE_S3_*`, bad values named, the secret never echoed. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'mtm-config-s3-'));

function yamlFile(text: string): string {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

test('unset, store.s3 has its defaults and an empty bucket (blobs stay local)', () => {
  expect(loadConfig(yamlFile(''), {}).store.s3).toEqual({ endpoint: '', region: 'us-east-1', bucket: '', prefix: '', accessKeyId: '', secretAccessKey: '', forcePathStyle: true });
});

test('every key is read from YAML and overridden by MTM_STORE_S3_*, credentials kept as exact strings', () => {
  const file = yamlFile('store:\n  s3:\n    endpoint: http://127.0.0.1:9000\n    bucket: from-file\n    forcePathStyle: true\n');
  const env = {
    MTM_STORE_S3_ENDPOINT: 'https://s3.example',
    MTM_STORE_S3_REGION: 'eu-west-3',
    MTM_STORE_S3_BUCKET: 'mtm',
    MTM_STORE_S3_PREFIX: 'tenant/a',
    MTM_STORE_S3_ACCESS_KEY_ID: '0123',
    MTM_STORE_S3_SECRET_ACCESS_KEY: 'yes',
    MTM_STORE_S3_FORCE_PATH_STYLE: 'false',
  };
  expect(loadConfig(file, env).store.s3).toEqual({ endpoint: 'https://s3.example', region: 'eu-west-3', bucket: 'mtm', prefix: 'tenant/a', accessKeyId: '0123', secretAccessKey: 'yes', forcePathStyle: false });
});

test.each([
  ['endpoint', 'MTM_STORE_S3_ENDPOINT', 'ftp://s3.example'],
  ['endpoint', 'MTM_STORE_S3_ENDPOINT', 'not a url'],
  ['bucket', 'MTM_STORE_S3_BUCKET', 'a/b'],
  ['prefix', 'MTM_STORE_S3_PREFIX', 'tenant/../other'],
  ['forcePathStyle', 'MTM_STORE_S3_FORCE_PATH_STYLE', 'sometimes'],
])('an invalid store.s3.%s (%s=%s) is refused by name, without echoing the secret', (key, name, value) => {
  const secret = 'secret-access-key-never-shown';
  let error: unknown = null;
  try {
    loadConfig(yamlFile(''), { [name]: value, MTM_STORE_S3_SECRET_ACCESS_KEY: secret });
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as Error).message).toContain(`store.s3.${key}`);
  expect((error as Error).message).not.toContain(secret);
});

test('unknown keys under store.s3 are refused by name', () => {
  expect(() => loadConfig(yamlFile('store:\n  s3:\n    secretKey: x\n'), {})).toThrow(/store\.s3.*secretKey/);
});
