/** The Content-* header parsers (src/mail/content-headers.ts) that BODYSTRUCTURE and SEARCH read parts with. */
import fc from 'fast-check';
import { parseContentType, parseDisposition, parseEncoding, parseLanguage } from '../../src/mail/content-headers.js';

test('Content-Type: case kept, comments skipped, a lone type kept, anything else broken gives ""', () => {
  const cases: Array<[string, ReturnType<typeof parseContentType>]> = [
    ['text/plain; charset="utf-8"', { type: 'text', subtype: 'plain', params: [['charset', 'utf-8']] }],
    ['TEXT/Plain ; CHARSET=us-ascii (comment)', { type: 'TEXT', subtype: 'Plain', params: [['CHARSET', 'us-ascii']] }],
    ['text', { type: 'text', subtype: '', params: [] }],
    ['text/', { type: '', subtype: '', params: [] }],
    ['/plain', { type: '', subtype: '', params: [] }],
    ['text/plain junk', { type: '', subtype: '', params: [] }],
    ['text/plain;', { type: 'text', subtype: 'plain', params: [] }],
    // Dovecot's allowance for unquoted values starting with "="
    ['multipart/mixed; boundary==_x', { type: 'multipart', subtype: 'mixed', params: [['boundary', '=_x']] }],
    // broken parameters are dropped, the rest kept
    ['a/b; x="unclosed', { type: 'a', subtype: 'b', params: [] }],
    ['a/b; a=1; ;; b=2', { type: 'a', subtype: 'b', params: [['a', '1'], ['b', '2']] }],
    ['a/b; =x', { type: 'a', subtype: 'b', params: [['', 'x']] }],
  ];
  for (const [value, expected] of cases) expect([value, parseContentType(value)]).toEqual([value, expected]);
});

test('RFC 2231 continuations are joined in order (values kept encoded); a gap leaves them apart', () => {
  expect(parseContentType("a/b; title*0*=us-ascii'en'This%20is; title*1=\"fun\"").params).toEqual([['title*', "us-ascii'en'This%20isfun"]]);
  expect(parseContentType('a/b; name*1=b; name*0=a').params).toEqual([['name', 'ab']]);
  expect(parseContentType('a/b; name*0=a; name*2=c').params).toEqual([['name*0', 'a'], ['name*2', 'c']]);
  expect(parseContentType('a/b; name*0=50%; name*1*=%41').params).toEqual([['name*', "''50%25%41"]]);
});

test('Content-Disposition, Content-Transfer-Encoding and Content-Language', () => {
  expect(parseDisposition('attachment; filename="a b.txt"')).toEqual({ value: 'attachment', params: [['filename', 'a b.txt']] });
  expect(parseDisposition('inline')).toEqual({ value: 'inline', params: [] });
  expect(parseDisposition('')).toBeNull();
  expect(parseDisposition('(comment only)')).toBeNull();
  expect(parseEncoding(' (c) BASE64 ')).toBe('BASE64');
  for (const broken of ['base64 junk', 'base64;', '']) expect(parseEncoding(broken)).toBeNull();
  expect(parseLanguage('en, de-CH')).toEqual(['en', 'de-CH']);
  expect(parseLanguage(',en')).toBeNull();
});

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`{|}~-]{1,12}$/).filter((text) => !text.includes('*'));
const quotable = fc.stringMatching(/^[ -~]{0,20}$/);

test('well-formed headers read back: tokens and quoted values, any spacing', () => {
  const param = fc.tuple(token, fc.oneof(token.map((value) => ({ written: value, value })), quotable.map((value) => ({ written: `"${value.replace(/["\\]/g, '\\$&')}"`, value }))));
  fc.assert(
    fc.property(token, token, fc.array(param, { maxLength: 4 }), fc.constantFrom('', ' ', '\n\t', ' (c) '), (type, subtype, params, blank) => {
      const header = `${type}/${subtype}${params.map(([key, value]) => `;${blank}${key}=${value.written}`).join('')}`;
      expect(parseContentType(header)).toEqual({ type, subtype, params: params.map(([key, value]) => [key, value.value]) });
    }),
  );
});

test('any input: no throw, and linear time on hostile headers', () => {
  const piece = fc.constantFrom('a', '/', ';', '=', '"', '\\', '(', ')', '*', '*0', '*1*', ' ', '\n', "'", '%');
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 60 }).map((p) => p.join('')), (value) => {
      parseContentType(value);
      parseDisposition(value);
      parseEncoding(value);
      parseLanguage(value);
    }),
  );
  for (const hostile of ['a/b' + '; x*1=y'.repeat(20_000), 'a/b' + ';'.repeat(200_000), 'a/b; x="' + '\\'.repeat(200_000), '('.repeat(200_000)]) {
    const started = process.hrtime.bigint();
    parseContentType(hostile);
    parseDisposition(hostile);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(3000);
  }
});
