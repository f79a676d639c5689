/**
 * SEARCH/SORT argument parsing: what is accepted and how every malformed request is refused
 * (SearchError with BAD, or NO [BADCHARSET …] for an unsupported charset).
 */
import { parseSearchProgram, parseSortArguments, parseSortCriteria, SearchError, BADCHARSET_CODE, extractBaseSubject } from '../../../src/proxy/search/index.js';
import fc from 'fast-check';
import { parseAddressList, writeAddressList } from '../../../src/proxy/search/address.js';
import { MAX_SEARCH_DEPTH } from '../../../src/proxy/search/parse.js';
import { parseHeader } from '../../../src/proxy/search/message-parts.js';
import { tokenize } from './harness.js';

const parse = (text: string, esearchAllowed = true) => parseSearchProgram(tokenize(text), { uid: false, esearchAllowed });

function refusal(run: () => unknown): SearchError {
  try {
    run();
  } catch (error) {
    if (error instanceof SearchError) return error;
    throw error;
  }
  throw new Error('expected a SearchError');
}

describe('parseSearchProgram', () => {
  it('reads keys, groups, OR/NOT and sequence sets into one AND tree', () => {
    const program = parse('OR (SEEN FLAGGED) NOT KEYWORD $Work 2:* UID 5,7');
    expect(program.key).toEqual({
      kind: 'and',
      keys: [
        {
          kind: 'or',
          left: { kind: 'and', keys: [{ kind: 'flag', flag: '\\Seen' }, { kind: 'flag', flag: '\\Flagged' }] },
          right: { kind: 'not', key: { kind: 'flag', flag: '$Work' } },
        },
        { kind: 'sequence', set: [{ from: 2, to: null }] },
        { kind: 'uid', set: [{ from: 5, to: 5 }, { from: 7, to: 7 }] },
      ],
    });
    expect(program.returnOptions).toBeNull();
    expect(program.charset).toBe('UTF-8');
  });

  it('decodes string arguments as UTF-8 and keeps HEADER with an empty value', () => {
    const program = parse('CHARSET UTF-8 HEADER "X-Tag" "" BODY "Grüß"');
    expect(program.key).toEqual({
      kind: 'and',
      keys: [
        { kind: 'header', field: 'X-Tag', value: '', match: 'plain' },
        { kind: 'text', scope: 'body', value: 'Grüß' },
      ],
    });
  });

  it('parses dates with one- or two-digit days as UTC midnight', () => {
    expect(parse('SENTON 2-Feb-2026').key).toEqual({ kind: 'date', field: 'sent', comparison: 'on', day: Date.UTC(2026, 1, 2) });
    expect(parse('BEFORE "01-jan-2026"').key).toEqual({ kind: 'date', field: 'internal', comparison: 'before', day: Date.UTC(2026, 0, 1) });
  });

  it('reads RETURN options in Dovecot order and treats RETURN () as ALL', () => {
    expect(parse('RETURN (COUNT MIN) ALL').returnOptions).toEqual(['MIN', 'COUNT']);
    expect(parse('RETURN () SEEN').returnOptions).toEqual(['ALL']);
  });

  it('refuses charsets other than UTF-8 and US-ASCII with NO [BADCHARSET]', () => {
    const error = refusal(() => parse('CHARSET ISO-8859-1 BODY x'));
    expect(error.status).toBe('NO');
    expect(error.code).toBe(BADCHARSET_CODE);
    expect(BADCHARSET_CODE).toBe('BADCHARSET (UTF-8 US-ASCII)');
    expect(parse('CHARSET us-ascii BODY x').charset).toBe('US-ASCII');
  });

  it.each([
    ['', 'no key at all'],
    ['FOO', 'unknown key'],
    ['SINCE 31-Feb-2026', 'impossible date'],
    ['SINCE 2026-02-01', 'ISO date'],
    ['BEFORE', 'missing date'],
    ['LARGER abc', 'non-numeric size'],
    ['LARGER 99999999999', 'size beyond 32 bits'],
    ['UID 0:5', 'UID zero'],
    ['UID', 'missing UID set'],
    ['OR SEEN', 'OR with one operand'],
    ['NOT', 'NOT without operand'],
    ['HEADER Subject', 'HEADER without value'],
    ['KEYWORD', 'missing keyword'],
    ['KEYWORD (x)', 'list as keyword'],
    ['()', 'empty group'],
    ['SUBJECT (a b)', 'list as string'],
    ['CHARSET', 'CHARSET without name'],
    ['RETURN (SAVE) ALL', 'unsupported RETURN option'],
    ['RETURN ALL', 'RETURN without list'],
    ['"SEEN"', 'quoted key'],
    ['1:2:3', 'malformed sequence set'],
  ])('answers BAD for %j (%s)', (text) => {
    const error = refusal(() => parse(text));
    expect(error.status).toBe('BAD');
    expect(error.message.length).toBeGreaterThan(5);
  });

  it('refuses RETURN when ESEARCH is not allowed', () => {
    expect(refusal(() => parse('RETURN (MIN) ALL', false)).status).toBe('BAD');
  });
});

describe('parseSortCriteria / parseSortArguments', () => {
  it('reads REVERSE as a modifier of the next criterion', () => {
    expect(parseSortCriteria(tokenize('(REVERSE DATE subject DISPLAYFROM)')[0])).toEqual([
      { key: 'DATE', reverse: true },
      { key: 'SUBJECT', reverse: false },
      { key: 'DISPLAYFROM', reverse: false },
    ]);
  });

  it.each(['()', '(REVERSE)', '(REVERSE REVERSE DATE)', '(COLOR)', 'DATE'])('answers BAD for criteria %s', (text) => {
    expect(refusal(() => parseSortCriteria(tokenize(text)[0])).status).toBe('BAD');
  });

  it('requires a charset and search keys after the criteria', () => {
    expect(parseSortArguments(tokenize('(SIZE) UTF-8 SEEN'), { uid: true }).program).toMatchObject({ uid: true, charset: 'UTF-8' });
    expect(refusal(() => parseSortArguments(tokenize('(SIZE) UTF-8'), { uid: false })).status).toBe('BAD');
    expect(refusal(() => parseSortArguments(tokenize('(SIZE) KOI8-R ALL'), { uid: false })).code).toBe(BADCHARSET_CODE);
  });
});

describe('extractBaseSubject (RFC 5256 §2.1)', () => {
  it.each([
    ['Re: hello', 'HELLO', true],
    ['RE: [list] Re: Thread topic (fwd)', 'THREAD TOPIC', true],
    ['[fwd: Re: inner]', 'INNER', true],
    ['[only blob]', '[ONLY BLOB]', false],
    ['  Fw:   spaced   out  ', 'SPACED OUT', true],
    ['=?UTF-8?Q?Re=3A_caf=C3=A9?=', 'CAFE\u0301', true],
    ['plain', 'PLAIN', false],
  ])('%j → %j', (subject, base, isReply) => {
    expect(extractBaseSubject(subject)).toEqual({ base, isReplyOrForward: isReply });
  });
});

describe('hostile input', () => {
  const words = ['OR', 'NOT', 'SEEN', '(', ')', 'HEADER', 'BODY', 'UID', '1:*', '*', '"x"', 'SINCE', '1-Jan-2026', 'LARGER', '5', 'CHARSET', 'RETURN', '()', 'KEYWORD', '$a', '""'];

  it('refuses any jumble of search words with a SearchError, never another exception', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { maxLength: 12 }), (picked) => {
        let text = picked.join(' ');
        // keep parentheses balanced so the protocol parser hands us tokens
        const open = (text.match(/\(/g) ?? []).length - (text.match(/\)/g) ?? []).length;
        text = open > 0 ? text + ')'.repeat(open) : '('.repeat(-open) + text;
        let tokens;
        try {
          tokens = tokenize(text);
        } catch {
          return; // the protocol parser refused it first
        }
        try {
          parseSearchProgram(tokens, { uid: false, esearchAllowed: true });
        } catch (error) {
          expect(error).toBeInstanceOf(SearchError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses keys nested deeper than the bound with a SearchError (BAD), at any mix of NOT, OR and lists', () => {
    // Flat NOT / OR chains with up to 50 parenthesised levels mixed in (the command parser has
    // its own, smaller bound on parentheses).
    const nested = fc
      .tuple(fc.array(fc.constantFrom('NOT ', 'OR ALL ', 'OR (ALL) '), { minLength: MAX_SEARCH_DEPTH + 1, maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 50 }))
      .map(([flat, opens]) => {
        const prefixes: string[] = [...flat];
        for (const at of opens) prefixes.splice(at % (prefixes.length + 1), 0, 'NOT (');
        return { text: prefixes.join(''), lists: opens.length };
      });
    fc.assert(
      fc.property(nested, ({ text, lists }) => {
        const error = refusal(() => parse(`${text}ALL${')'.repeat(lists)}`));
        expect(error.status).toBe('BAD');
        expect(error.message).toMatch(/nested too deeply/);
      }),
      { numRuns: 50 },
    );
    // At the bound itself, still a program.
    expect(parse(`${'NOT '.repeat(MAX_SEARCH_DEPTH)}ALL`).key.kind).toBe('not');
  });

  it('reads any address header text without throwing or looping', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z"<>@,;:.() \\[\]=?]{0,40}$/), (text) => {
        const written = writeAddressList(parseAddressList(text));
        expect(typeof written).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });

  it('finds header fields in any bytes without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        const { fields, bodyStart } = parseHeader(buffer, 0, buffer.length);
        expect(bodyStart).toBeLessThanOrEqual(buffer.length);
        expect(Array.isArray(fields)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
