import { parseCommand, frameOf } from '../../../src/proxy/protocol/parser.js';
import type { ParsedCommand, Token } from '../../../src/proxy/protocol/tokens.js';

function parse(line: string, literals: string[] = []): ParsedCommand {
  const result = parseCommand(frameOf(line, literals));
  if (!result.ok) throw new Error(result.text);
  return result.command;
}

const atom = (value: string): Token => ({ type: 'atom', value });
const quoted = (value: string): Token => ({ type: 'string', value: Buffer.from(value), literal: false });

describe('command parser', () => {
  test('upper-cases the command name and keeps the tag', () => {
    expect(parse('a1 noop')).toEqual({ tag: 'a1', name: 'NOOP', args: [] });
  });

  test('folds UID commands into one name', () => {
    const command = parse('x uid fetch 1:* (FLAGS)');
    expect(command.name).toBe('UID FETCH');
    expect(command.args).toEqual([atom('1:*'), { type: 'list', items: [atom('FLAGS')] }]);
  });

  test('reads quoted strings with escapes', () => {
    expect(parse('a LOGIN "al\\"ice" "p\\\\w d"').args).toEqual([quoted('al"ice'), quoted('p\\w d')]);
  });

  test('rejects a bad escape with the tag', () => {
    expect(parseCommand(frameOf('t7 LOGIN "a\\b" x'))).toEqual({ ok: false, tag: 't7', text: expect.stringMatching(/escape/) });
  });

  test('takes synchronising and non-synchronising literals from the frame', () => {
    const command = parse('a LOGIN {5}\r\n {6+}\r\n', ['alice', 'secret']);
    expect(command.args).toEqual([
      { type: 'string', value: Buffer.from('alice'), literal: true },
      { type: 'string', value: Buffer.from('secret'), literal: true },
    ]);
  });

  test('parses a literal inside a list', () => {
    const command = parse('a ID ("name" {3}\r\n)', ['mtm']);
    expect(command.args).toEqual([{ type: 'list', items: [quoted('name'), { type: 'string', value: Buffer.from('mtm'), literal: true }] }]);
  });

  test('parses sections and partials of fetch attributes', () => {
    const command = parse('a FETCH 1 (BODY.PEEK[HEADER.FIELDS (A B)]<0.100> BODY[] BINARY[1.2]<5> RFC822.SIZE)');
    const items = (command.args[1] as { items: Token[] }).items;
    expect(items[0]).toEqual({
      type: 'atom',
      value: 'BODY.PEEK',
      section: [atom('HEADER.FIELDS'), { type: 'list', items: [atom('A'), atom('B')] }],
      partial: { start: 0, length: 100 },
    });
    expect(items[1]).toEqual({ type: 'atom', value: 'BODY', section: [] });
    expect(items[2]).toEqual({ type: 'atom', value: 'BINARY', section: [atom('1.2')], partial: { start: 5, length: undefined } });
    expect(items[3]).toEqual(atom('RFC822.SIZE'));
  });

  test('keeps brackets of mailbox names as part of the atom', () => {
    expect(parse('a SELECT [Gmail]/Sent').args).toEqual([atom('[Gmail]/Sent')]);
  });

  test('accepts flags, wildcards and NIL as atoms', () => {
    expect(parse('a LIST "" %/*').args).toEqual([quoted(''), atom('%/*')]);
    expect(parse('a STORE 1 +FLAGS (\\Seen)').args[2]).toEqual({ type: 'list', items: [atom('\\Seen')] });
  });

  test('reports syntax errors with the tag', () => {
    for (const line of ['a FETCH 1 (FLAGS', 'a FETCH 1 BODY[TEXT', 'a LOGIN "open', 'a FETCH 1 BODY[]<x>', 'a 123']) {
      const result = parseCommand(frameOf(line));
      expect(result).toMatchObject({ ok: false, tag: 'a' });
    }
  });

  test('refuses absurdly deep nesting with a syntax error instead of exhausting the stack', () => {
    expect(parseCommand(frameOf(`a FETCH 1 ${'('.repeat(30000)}`))).toMatchObject({ ok: false, tag: 'a', text: expect.stringMatching(/nested/) });
    expect(parse(`a ID ${'('.repeat(10)}${')'.repeat(10)}`).args).toHaveLength(1);
  });

  test('has no tag to report for an invalid tag', () => {
    expect(parseCommand(frameOf('a{b NOOP'))).toMatchObject({ ok: false, tag: null });
    expect(parseCommand(frameOf('+ NOOP'))).toMatchObject({ ok: false, tag: null });
  });
});
