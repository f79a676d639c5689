import { PassThrough } from 'node:stream';
import { CommandReader, type Frame } from '../../../src/proxy/protocol/command-reader.js';

function reader(limits = { maxLineBytes: 100, maxLiteralBytes: 50 }) {
  const input = new PassThrough();
  const continuations: number[] = [];
  let frames = 0;
  const commandReader = new CommandReader(input, limits, async () => {
    continuations.push(frames);
  });
  const next = async (): Promise<Frame | null> => {
    const frame = await commandReader.readCommand();
    frames++;
    return frame;
  };
  return { input, continuations, next, commandReader };
}

const text = (frame: Frame | null) =>
  frame?.kind === 'command' ? { lines: frame.lines.map(String), literals: frame.literals.map(String) } : frame;

describe('command framing', () => {
  test('reassembles a command and its literal split across many chunks', async () => {
    const { input, next, continuations } = reader();
    const wire = 'a1 LOGIN {5}\r\nalice "pw"\r\n';
    const frame = next();
    for (const char of wire) input.write(char);
    expect(text(await frame)).toEqual({ lines: ['a1 LOGIN {5}', ' "pw"'], literals: ['alice'] });
    expect(continuations).toEqual([0]);
  });

  test('sends no continuation for a non-synchronising literal', async () => {
    const { input, next, continuations } = reader();
    input.write('a1 LOGIN {5+}\r\nalice {2+}\r\npw\r\n');
    expect(text(await next())).toEqual({ lines: ['a1 LOGIN {5+}', ' {2+}', ''], literals: ['alice', 'pw'] });
    expect(continuations).toEqual([]);
  });

  test('serves pipelined commands one at a time, in order', async () => {
    const { input, next } = reader();
    input.write('a NOOP\r\nb NOOP\r\n\r\nc NOOP\n');
    expect(text(await next())).toEqual({ lines: ['a NOOP'], literals: [] });
    expect(text(await next())).toEqual({ lines: ['b NOOP'], literals: [] });
    expect(text(await next())).toEqual({ lines: ['c NOOP'], literals: [] });
  });

  test('refuses an over-long line with its tag and stays in sync', async () => {
    const { input, next } = reader();
    input.write(`t1 NOOP ${'x'.repeat(150)}\r\nt2 NOOP\r\n`);
    expect(await next()).toMatchObject({ kind: 'refused', tag: 't1', status: 'BAD' });
    expect(text(await next())).toEqual({ lines: ['t2 NOOP'], literals: [] });
  });

  test('refuses an over-size synchronising literal without a continuation', async () => {
    const { input, next, continuations } = reader();
    input.write('t1 APPEND INBOX {51}\r\nt2 NOOP\r\n');
    expect(await next()).toMatchObject({ kind: 'refused', tag: 't1', status: 'NO', code: 'TOOBIG' });
    expect(continuations).toEqual([]);
    expect(text(await next())).toEqual({ lines: ['t2 NOOP'], literals: [] });
  });

  test('discards an over-size non-synchronising literal, even split across chunks', async () => {
    const { input, next } = reader();
    const frame = next();
    input.write('t1 APPEND INBOX {60+}\r\n');
    input.write('y'.repeat(30));
    input.write(`${'y'.repeat(30)} {3+}\r\nabc\r\nt2 NOOP\r\n`);
    expect(await frame).toMatchObject({ kind: 'refused', tag: 't1', status: 'NO' });
    expect(text(await next())).toEqual({ lines: ['t2 NOOP'], literals: [] });
  });

  test('counts all literals of a command against the literal limit', async () => {
    const { input, next } = reader();
    input.write(`t1 X {30+}\r\n${'a'.repeat(30)} {30+}\r\n${'b'.repeat(30)}\r\nt2 NOOP\r\n`);
    expect(await next()).toMatchObject({ kind: 'refused', tag: 't1' });
    expect(text(await next())).toEqual({ lines: ['t2 NOOP'], literals: [] });
  });

  test('an over-long line that announces a literal+ skips that literal too', async () => {
    const { input, next } = reader();
    input.write(`t1 X ${'z'.repeat(200)} {4+}\r\nDATA\r\nt2 NOOP\r\n`);
    expect(await next()).toMatchObject({ kind: 'refused', tag: 't1', status: 'BAD' });
    expect(text(await next())).toEqual({ lines: ['t2 NOOP'], literals: [] });
  });

  test('reads a raw line for IDLE and AUTHENTICATE without interpreting it', async () => {
    const { input, commandReader, continuations } = reader();
    input.write('DONE {5}\r\n');
    expect(String((await commandReader.readRawLine())?.bytes)).toBe('DONE {5}');
    expect(continuations).toEqual([]);
  });

  test('returns null at the end of the stream', async () => {
    const { input, next } = reader();
    input.end('a1 NOO');
    expect(await next()).toBeNull();
  });
});
