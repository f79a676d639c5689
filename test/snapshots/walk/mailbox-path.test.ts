/** The INBOX rule and the parents a folder path implies: one definition, checked on generated paths. */
import fc from 'fast-check';
import { canonicalFolderPath, isWithinFolder, leafName, withParents } from '../../../src/snapshots/walk/index.js';

/** Any case of "inbox", e.g. "iNbOx". */
const inboxSpelling = fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }).map((upper) => [...'inbox'].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));
const segment = fc.oneof(
  fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes('/')),
  fc.constantFrom('Archive', '2025', 'Entwürfe', 'Café', 'Reçus', 'Inboxes', 'INBOX2', 'xINBOX', 'inbox', 'İnbox', 'ınbox'),
);
const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('/'));

test('any case of inbox as the first element is INBOX; the rest of the path is kept as written', () => {
  fc.assert(
    fc.property(inboxSpelling, fc.array(segment, { maxLength: 3 }), (inbox, rest) => {
      const written = [inbox, ...rest].join('/');
      expect(canonicalFolderPath(written)).toBe(['INBOX', ...rest].join('/'));
    }),
  );
});

test('a path whose first element is not inbox in some case is left exactly as written', () => {
  fc.assert(
    fc.property(path, (written) => {
      const first = written.split('/')[0];
      fc.pre(first.replace(/[A-Z]/g, (c) => c.toLowerCase()) !== 'inbox');
      expect(canonicalFolderPath(written)).toBe(written);
    }),
  );
  // `ınbox` (dotless ı) upper-cases to INBOX in JavaScript; it, and the look-alikes, name their own folder.
  for (const lookalike of ['İnbox', 'ınbox', 'Inboxes', 'INBOX2', 'xinbox', 'Archive/inbox']) expect(canonicalFolderPath(lookalike)).toBe(lookalike);
});

test('canonicalising twice changes nothing', () => {
  fc.assert(fc.property(fc.oneof(path, inboxSpelling), (written) => expect(canonicalFolderPath(canonicalFolderPath(written))).toBe(canonicalFolderPath(written))));
});

test('every path is selectable, and every proper prefix not itself a folder is a \\Noselect parent', () => {
  fc.assert(
    fc.property(fc.uniqueArray(path, { maxLength: 8 }), (paths) => {
      const tree = withParents(paths);
      const expected = new Map<string, boolean>();
      for (const p of paths) {
        const segments = p.split('/');
        for (let depth = 1; depth < segments.length; depth++) {
          const parent = segments.slice(0, depth).join('/');
          if (!paths.includes(parent)) expected.set(parent, false);
        }
      }
      for (const p of paths) expected.set(p, true);
      expect(new Map([...tree].sort())).toEqual(new Map([...expected].sort()));
    }),
  );
});

test('a folder is within itself and its ancestors, whatever the case of INBOX, and nowhere else', () => {
  expect(isWithinFolder('INBOX/Receipts/2025', 'inbox')).toBe(true);
  expect(isWithinFolder('inbox/Receipts', 'INBOX/Receipts')).toBe(true);
  expect(isWithinFolder('Archive', 'Archive')).toBe(true);
  expect(isWithinFolder('Archive2', 'Archive')).toBe(false);
  expect(isWithinFolder('Archive', 'Archive/2025')).toBe(false);
  fc.assert(
    fc.property(path, path, (a, b) => {
      const expected = canonicalFolderPath(a) === canonicalFolderPath(b) || canonicalFolderPath(a).startsWith(`${canonicalFolderPath(b)}/`);
      expect(isWithinFolder(a, b)).toBe(expected);
    }),
  );
});

test('the leaf of a path is its last element', () => {
  expect(leafName('Café/Reçus')).toBe('Reçus');
  expect(leafName('INBOX')).toBe('INBOX');
});
