/**
 * `mtm serve` loads only what serving needs: the test Dovecot and corpus (src/testbed), the bench
 * and the demo stay in the repository and in dist/, but out of the server's process. Checked on the
 * real executable with a module-resolution hook that records every module the process loads, so a
 * dynamic import() on the serve path counts as much as a static one.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MTM_BIN, tempDir, writeConfig } from '../fixtures/mtm.js';

const DEV_ONLY = /\/dist\/(testbed|bench|demo)\//;

/** Files for `node --import`: a hook that appends each resolved file: URL to `log`. */
function moduleRecorder(dir: string, log: string): string {
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.startsWith('file:')) appendFileSync(log, resolved.url + '\\n');
  return resolved;
}
`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)}, { data: { log: ${JSON.stringify(log)} } });
`,
  );
  return pathToFileURL(register).href;
}

/** Runs node with the recorder until `ready` appears on stderr (then SIGTERM) or it exits; returns the modules loaded. */
async function loadedModules(args: string[], ready?: RegExp): Promise<{ modules: string[]; stderr: string }> {
  const dir = tempDir('load-path');
  const log = join(dir, 'loaded.txt');
  writeFileSync(log, '');
  const child = spawn(process.execPath, ['--import', moduleRecorder(dir, log), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (ready?.test(stderr)) child.kill('SIGTERM');
  });
  await new Promise((done) => child.on('close', done));
  return { modules: readFileSync(log, 'utf8').split('\n').filter(Boolean), stderr };
}

test('the recorder sees a dev-only module when one is loaded', async () => {
  const corpus = pathToFileURL(resolve('dist/testbed/corpus.js')).href;
  const { modules } = await loadedModules(['--input-type=module', '-e', `await import(${JSON.stringify(corpus)});`]);
  expect(modules.filter((url) => DEV_ONLY.test(url))).toContain(corpus);
});

test('mtm serve runs without loading src/testbed, src/bench or src/demo', async () => {
  const dir = tempDir('serve-load-path');
  const config = writeConfig(dir, [], { server: { port: 0 }, http: { port: 0 }, log: { level: 'silent' } });
  const { modules, stderr } = await loadedModules([MTM_BIN, 'serve', '-c', config], /mtm: IMAP on /);
  // It really served: the line comes after the IMAP and HTTP listeners and the scheduler started.
  expect(stderr).toMatch(/mtm: IMAP on /);
  expect(modules.some((url) => url.endsWith('/dist/service.js'))).toBe(true);
  expect(modules.filter((url) => DEV_ONLY.test(url))).toEqual([]);
});
