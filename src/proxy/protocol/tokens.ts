/**
 * The parsed form of an IMAP command's arguments (RFC 3501 §9 grammar, loosely): what the parser
 * produces and what command modules consume. One representation for every command.
 */
export type Token = AtomToken | StringToken | ListToken;

/** An atom: NIL, numbers, flags, sequence sets, keywords like BODY.PEEK… */
export interface AtomToken {
  type: 'atom';
  value: string;
  /**
   * For fetch attributes and search/section syntax such as `BODY.PEEK[HEADER.FIELDS (From)]<0.100>`:
   * `value` is `BODY.PEEK`, `section` holds the tokens inside the brackets (here the atom
   * `HEADER.FIELDS` and a list), `partial` the `<start.length>` (length undefined for `<start>`).
   */
  section?: Token[];
  partial?: { start: number; length?: number };
}

/** A quoted string or a literal ({n} / {n+}); raw bytes, never decoded by the parser. */
export interface StringToken {
  type: 'string';
  value: Buffer;
  literal: boolean;
}

export interface ListToken {
  type: 'list';
  items: Token[];
}

export interface ParsedCommand {
  tag: string;
  /** Upper-cased; `UID FETCH` etc. are folded into one name with a space. */
  name: string;
  args: Token[];
}
