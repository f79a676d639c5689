/** The one RFC 822 lexer (src/mail/rfc822-lexer.ts), read against Dovecot 2.3's rfc822-parser answers. */
import fc from 'fast-check';
import { isAtext, Rfc822Lexer } from '../../src/mail/rfc822-lexer.js';

function quoted(input: string): { content: string; closed: boolean; rest: string } {
  const lexer = new Rfc822Lexer(input);
  const { content, closed } = lexer.quotedString();
  return { content, closed, rest: input.slice(lexer.pos) };
}

test('quoted strings: escapes removed, folds unfolded, a backslash before a line break kept', () => {
  expect(quoted('"')).toEqual({ content: '', closed: false, rest: '' });
  expect(quoted('""')).toEqual({ content: '', closed: true, rest: '' });
  expect(quoted('"foo"')).toEqual({ content: 'foo', closed: true, rest: '' });
  expect(quoted('""foo')).toEqual({ content: '', closed: true, rest: 'foo' });
  expect(quoted('"\\""')).toEqual({ content: '"', closed: true, rest: '' });
  expect(quoted('"\\\\"')).toEqual({ content: '\\', closed: true, rest: '' });
  expect(quoted('"\\\\foo\\\\foo\\\\"')).toEqual({ content: '\\foo\\foo\\', closed: true, rest: '' });
  expect(quoted('"foo\n bar"')).toEqual({ content: 'foo bar', closed: true, rest: '' });
  expect(quoted('"foo\n\t\t bar"')).toEqual({ content: 'foo\t\t bar', closed: true, rest: '' });
  expect(quoted('"foo\\\n bar"')).toEqual({ content: 'foo\\ bar', closed: true, rest: '' });
  expect(quoted('"foo\\\r\n bar"')).toEqual({ content: 'foo\\ bar', closed: true, rest: '' });
  // an unclosed string keeps the text before its last escape or fold (as Dovecot appends) and uses the value up
  expect(quoted('"abc\\')).toEqual({ content: '', closed: false, rest: '' });
  expect(quoted('"a\\"b')).toEqual({ content: 'a', closed: false, rest: '' });
});

test('comments nest, are skipped with blanks, and leave their text behind', () => {
  const lexer = new Rfc822Lexer(' \t\r\n(a (nested) \\) comment) atom');
  expect(lexer.lwsp()).toBe(1);
  expect(lexer.lastComment).toBe('a (nested) ) comment');
  expect(lexer.atext()).toBe('atom');
  expect(lexer.lwsp()).toBe(0);
  const unclosed = new Rfc822Lexer('(never (closed)');
  expect(unclosed.lwsp()).toBe(-1);
  expect(unclosed.atEnd).toBe(true);
});

test('MIME tokens stop at tspecials and blanks; atoms take every non-ASCII char', () => {
  const lexer = new Rfc822Lexer('text/plain;x');
  expect(lexer.mimeToken()).toBe('text');
  expect(lexer.peek()).toBe('/');
  for (const char of '()<>@,;:\\".[] \t') expect([char, isAtext(char)]).toEqual([char, false]);
  for (const char of "aZ09!#$%&'*+-/=?^_`{|}~\u00e9\u00ff") expect([char, isAtext(char)]).toEqual([char, true]);
  expect(isAtext('')).toBe(false);
});

test('any input: steps answer -1, 0 or 1, the cursor only moves forward, nothing throws', () => {
  const piece = fc.constantFrom('(', ')', '"', '\\', ' ', '\r', '\n', 'a', '/', ';', '=', 'é');
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 60 }).map((p) => p.join('')), (input) => {
      const lexer = new Rfc822Lexer(input);
      for (let guard = 0; guard <= input.length + 1 && !lexer.atEnd; guard++) {
        const before = lexer.pos;
        expect([-1, 0, 1]).toContain(lexer.lwsp());
        if (lexer.peek() === '"') lexer.quotedString();
        else if (lexer.mimeToken() === '' && lexer.atext() === '' && !lexer.atEnd) lexer.pos++;
        expect(lexer.pos).toBeGreaterThanOrEqual(before);
        expect(lexer.pos).toBeLessThanOrEqual(input.length);
      }
      expect(lexer.atEnd).toBe(true);
    }),
  );
});

test('hostile input costs linear time', () => {
  for (const hostile of ['('.repeat(200_000), '"\\'.repeat(200_000), '(\\'.repeat(200_000)]) {
    const started = process.hrtime.bigint();
    const lexer = new Rfc822Lexer(hostile);
    lexer.lwsp();
    if (lexer.peek() === '"') lexer.quotedString();
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(2000);
  }
});
