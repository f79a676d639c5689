/**
 * What a command module is (STYLE.md): a name, the session states it is valid in, the shape of its
 * arguments, and an async `run` that returns a result value. The dispatcher checks state and
 * arguments, so a module's `run` only ever sees well-formed, converted arguments.
 */
import type { ParsedCommand, Token } from './protocol/tokens.js';
import { parseSequenceSet, type SequenceSet } from '../sequence-set.js';
import { mailboxNameFromWire } from './protocol/mailbox-name.js';
import { bad, type CommandResult } from './protocol/command-result.js';
import type { Session, SessionIn, SessionState } from './session.js';

export { ok, no, bad, type CommandResult } from './protocol/command-result.js';

/**
 * An argument its grammar refuses with an answer of its own (the grammar's BAD text, or NO with a
 * code such as BADCHARSET), which the dispatcher sends as it sends every other argument BAD.
 */
export class ArgRefusal {
  constructor(readonly result: CommandResult) {}
}

export const refuseArg = (text: string): ArgRefusal => new ArgRefusal(bad(text));

/**
 * One argument position: consumes tokens from `at`, or null when they do not fit (the dispatcher
 * answers `BAD <command>: invalid or missing <label>`), or a refusal with the grammar's own answer.
 */
export interface ArgSpec<T> {
  label: string;
  take(tokens: Token[], at: number, session: Session): { value: T; next: number } | ArgRefusal | null;
}

/**
 * `run` gets the session narrowed to the declared states (the dispatcher checked them): a command
 * valid only in `selected` reads `session.phase.mailbox`, with no way to forget that check.
 */
export interface Command<A extends unknown[] = unknown[], S extends SessionState = SessionState> {
  /** Upper case; UID variants are `UID FETCH` etc. */
  name: string;
  states: S[];
  args: { [K in keyof A]: ArgSpec<A[K]> };
  run(session: SessionIn<S>, args: A, command: ParsedCommand): Promise<CommandResult>;
}

/** Declares a command with its argument types and states inferred from its declaration. */
export function defineCommand<A extends unknown[], S extends SessionState>(command: Command<A, S>): Command<A, S> {
  return command;
}

/** Text of an atom (without section) or a string token. */
export function tokenText(token: Token | undefined): string | null {
  if (!token) return null;
  if (token.type === 'string') return token.value.toString('utf8');
  if (token.type === 'atom' && !token.section && !token.partial) return token.value;
  return null;
}

function single<T>(label: string, parse: (token: Token, session: Session) => T | null): ArgSpec<T> {
  return {
    label,
    take(tokens, at, session) {
      if (at >= tokens.length) return null;
      const value = parse(tokens[at], session);
      return value === null ? null : { value, next: at + 1 };
    },
  };
}

export const arg = {
  /** atom or string, as UTF-8 text. */
  astring: single('string', (token) => tokenText(token)),
  /** A bare atom, upper-cased (keywords like DEFLATE, PLAIN). */
  keyword: single('keyword', (token) => (token.type === 'atom' && !token.section ? token.value.toUpperCase() : null)),
  /** A mailbox name, decoded from the wire form of the session (modified UTF-7 or UTF-8). */
  mailbox: single('mailbox name', (token, session) => {
    const raw = token.type === 'string' ? token.value : token.type === 'atom' && !token.section ? Buffer.from(token.value) : null;
    return raw ? mailboxNameFromWire(raw, session.utf8Enabled) : null;
  }),
  sequenceSet: single<SequenceSet>('sequence set', (token) =>
    token.type === 'atom' && !token.section ? parseSequenceSet(token.value) : null,
  ),
  list: single<Token[]>('parenthesised list', (token) => (token.type === 'list' ? token.items : null)),
  /**
   * Everything that is left, read by a grammar of its own (FETCH items, a SEARCH program,
   * LIST-EXTENDED options): a value, or a refusal the dispatcher answers.
   */
  grammar<T>(label: string, parse: (tokens: Token[], session: Session) => T | ArgRefusal): ArgSpec<T> {
    return {
      label,
      take(tokens, at, session) {
        const parsed = parse(tokens.slice(at), session);
        return parsed instanceof ArgRefusal ? parsed : { value: parsed, next: tokens.length };
      },
    };
  },
  /** `spec`, then a check of its value: a value of the refined kind, or a refusal the dispatcher answers. */
  refine<T, U>(spec: ArgSpec<T>, check: (value: T) => U | ArgRefusal): ArgSpec<U> {
    return {
      label: spec.label,
      take(tokens, at, session) {
        const taken = spec.take(tokens, at, session);
        if (!taken || taken instanceof ArgRefusal) return taken;
        const value = check(taken.value);
        return value instanceof ArgRefusal ? value : { value, next: taken.next };
      },
    };
  },
  /** Everything that is left (possibly nothing), unread: for commands that refuse whatever it is. */
  rest: { label: 'arguments', take: (tokens: Token[], at: number) => ({ value: tokens.slice(at), next: tokens.length }) } as ArgSpec<Token[]>,
  optional<T>(spec: ArgSpec<T>): ArgSpec<T | undefined> {
    return {
      label: `[${spec.label}]`,
      take(tokens, at, session) {
        if (at >= tokens.length) return { value: undefined, next: at };
        return spec.take(tokens, at, session);
      },
    };
  },
};
