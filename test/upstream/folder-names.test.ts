/** Live folder paths ↔ store names: "/" in the store whatever the live server's delimiter. */
import fc from 'fast-check';
import { liveFolderPath, storeFolderName } from '../../src/upstream/index.js';

const delimiter = fc.constantFrom('.', '\\', '|', ':');

test('a live path survives the trip to a store name and back, "/" inside a segment included', () => {
  fc.assert(
    fc.property(delimiter, fc.array(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }), (delim, raw) => {
      // A segment cannot contain the live delimiter; U+2215 is what "/" inside a segment becomes.
      const segments = raw.map((segment) => segment.replaceAll(delim, '_').replaceAll('\u2215', '_'));
      const live = segments.join(delim);
      const stored = storeFolderName(live, delim);
      expect(stored.split('/')).toHaveLength(segments.length);
      expect(liveFolderPath(stored, delim)).toBe(live);
    }),
  );
});

test('with "/" or no delimiter, names are kept as they are', () => {
  fc.assert(
    fc.property(fc.string(), fc.constantFrom('/', null, undefined, ''), (name, delim) => {
      expect(storeFolderName(name, delim)).toBe(name);
      expect(liveFolderPath(name, delim)).toBe(name);
    }),
  );
});

test('a dot-delimited hierarchy becomes a slash hierarchy', () => {
  expect(storeFolderName('INBOX.Archive.2025/26', '.')).toBe('INBOX/Archive/2025\u221526');
  expect(liveFolderPath('INBOX/Archive/2025\u221526', '.')).toBe('INBOX.Archive.2025/26');
});
