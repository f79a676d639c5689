/**
 * Issue 15 acceptance, demo: `npm run demo` (its built program, dist/cli/demo.js) serves the web
 * interface, prints its address, and the demo account signs in there and sees its days.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { freePort } from '../../src/testbed/dovecot.js';
import { launchChromium } from '../fixtures/browser.js';

let demo: ChildProcess;
let browser: Browser;
let output = '';

beforeAll(async () => {
  const env = { ...process.env, MTM_DEMO_IMAP_PORT: String(await freePort()), MTM_DEMO_HTTP_PORT: String(await freePort()) };
  demo = spawn(process.execPath, [resolve('dist/cli/demo.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  demo.stdout!.on('data', (chunk) => (output += chunk));
  demo.stderr!.on('data', (chunk) => (output += chunk));
  await new Promise<void>((done, fail) => {
    const poll = setInterval(() => {
      if (/Press Ctrl-C to stop/.test(output)) {
        clearInterval(poll);
        done();
      }
    }, 100);
    demo.once('exit', (code) => {
      clearInterval(poll);
      fail(new Error(`the demo exited (${code}): ${output}`));
    });
  });
  browser = await launchChromium();
}, 180000);

afterAll(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) {
    demo.kill('SIGTERM');
    await new Promise((done) => demo.once('exit', done));
  }
});

test('the demo prints the web address, and demo/demo signs in there and sees its days', async () => {
  const address = /Web interface: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
  expect(address).toBeDefined();
  const days = /Snapshot days: (.*)/.exec(output)![1].split(', ').map((day) => day.trim());
  expect(days).toHaveLength(3);
  const page = await browser.newPage();
  await page.goto(address!);
  await page.getByLabel('Username').fill('demo');
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const dayButtons = page.getByRole('navigation', { name: 'Days' }).getByRole('button');
  await dayButtons.first().waitFor();
  const texts = await dayButtons.allTextContents();
  expect(days.every((day) => texts.some((text) => text.includes(day)))).toBe(true);
  await page.getByRole('button', { name: new RegExp(days[2]) }).click();
  await page.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: /^INBOX/ }).click();
  await page.getByRole('table').getByRole('row').nth(1).waitFor();
  await page.close();
});
