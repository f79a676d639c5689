/** The tagged answer a command ends with (RFC 3501 §7.1): OK, NO or BAD, an optional response code, a text. */
export interface CommandResult {
  status: 'OK' | 'NO' | 'BAD';
  code?: string;
  text: string;
  /** Runs after the tagged response is on the wire (STARTTLS, COMPRESS switch the transport here). */
  after?: () => Promise<void>;
}

export const ok = (text: string, code?: string): CommandResult => ({ status: 'OK', code, text });
export const no = (code: string | undefined, text: string): CommandResult => ({ status: 'NO', code, text });
export const bad = (text: string, code?: string): CommandResult => ({ status: 'BAD', code, text });
