/** `store.searchIndex` (issue 13): on unless turned off, in the file or by `MTM_STORE_SEARCH_INDEX`. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'mtm-config-search-index-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

test('on by default, also in config/default.yaml', () => {
  expect(loadConfig(file('empty.yaml', ''), {}).store.searchIndex).toBe(true);
  expect(loadConfig('config/default.yaml', {}).store.searchIndex).toBe(true);
});

test('turned off in the file or by MTM_STORE_SEARCH_INDEX; anything but a boolean is refused naming the key', () => {
  expect(loadConfig(file('off.yaml', 'store:\n  searchIndex: false\n'), {}).store.searchIndex).toBe(false);
  expect(loadConfig(file('empty.yaml', ''), { MTM_STORE_SEARCH_INDEX: 'false' }).store.searchIndex).toBe(false);
  expect(() => loadConfig(file('empty.yaml', ''), { MTM_STORE_SEARCH_INDEX: 'sometimes' })).toThrow(ConfigError);
  expect(() => loadConfig(file('empty.yaml', ''), { MTM_STORE_SEARCH_INDEX: 'sometimes' })).toThrow(/store\.searchIndex/);
});
