import fc from 'fast-check';
import { filterHeaderText } from '../../../src/proxy/fetch/render.js';

/** The straightforward filter (slice, trim, lower-case every field name), as the fast path must answer. */
function referenceFilter(header: Buffer, fields: string[], not: boolean, emptyHeaderExists: boolean, blankFollows: boolean): string {
  const wanted = new Set(fields.map((field) => field.toLowerCase()));
  const text = header.toString('latin1');
  let out = '';
  let keep = false;
  let blank = '';
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline + 1;
    const first = text.charCodeAt(start);
    if (first === 10 || (first === 13 && end - start === 2 && newline >= 0)) {
      blank = '\r\n';
      break;
    }
    if ((first === 32 || first === 9) && start > 0) {
      if (keep) out += text.slice(start, end);
    } else {
      const colon = text.indexOf(':', start);
      const nameEnd = colon >= 0 && colon < end ? colon : newline >= 0 ? (text.charCodeAt(newline - 1) === 13 && newline - 1 >= start ? newline - 1 : newline) : end;
      keep = wanted.has(text.slice(start, nameEnd).replace(/[ \t]+$/, '').toLowerCase()) !== not;
      if (keep) out += text.slice(start, end);
    }
    start = end;
  }
  if ((emptyHeaderExists && text.length === 0) || blankFollows) blank = '\r\n';
  return `${out}${not ? blank : '\r\n'}`;
}

const names = ['Subject', 'SUBJECT', 'From', 'X-Priority', 'Ümlaut', 'to', 'Cc', 'a', ''];
const piece = fc.oneof(
  fc.constantFrom(...names),
  fc.constantFrom(':', ' ', '\t', '\r\n', '\n', '\r', ' :', 'x'),
  fc.string({ maxLength: 6 }),
  fc.integer({ min: 0, max: 255 }).map((code) => String.fromCharCode(code)),
);
const header = fc.array(piece, { maxLength: 40 }).map((pieces) => Buffer.from(pieces.join(''), 'latin1'));
const fields = fc.array(fc.oneof(fc.constantFrom(...names), fc.constantFrom('İ', 'subject ', 'ümlaut'), fc.string({ maxLength: 5 })), { minLength: 1, maxLength: 6 });

describe('filterHeaderText', () => {
  test('answers as the straightforward filter does, on generated headers and field lists', () => {
    fc.assert(
      fc.property(header, fields, fc.boolean(), fc.boolean(), fc.boolean(), (bytes, list, not, emptyHeaderExists, blankFollows) => {
        expect(filterHeaderText(bytes, list, not, emptyHeaderExists, blankFollows)).toBe(referenceFilter(bytes, list, not, emptyHeaderExists, blankFollows));
      }),
      { numRuns: 5000 },
    );
  });
});
