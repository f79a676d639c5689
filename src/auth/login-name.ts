/**
 * Login names with a day suffix (DESIGN §5 "One day per login"): `alice#2026-11-23` logs in as
 * `alice` and shows only that day's snapshot. The password is always checked for the account part.
 */
import { type DayLabel, isDayLabel } from '../snapshots/day-label.js';

export interface LoginName {
  /** The mail account whose password is checked on the live server. */
  account: string;
  /** A snapshot day `YYYY-MM-DD`, or null for a session that sees every day. */
  day: DayLabel | null;
}

/** Longer than any real address plus a day suffix; longer names are noise or an attack. */
const MAX_LOGIN_LENGTH = 512;

/** Space and control characters never belong in a login name; they would also confuse logs. */
const UNSAFE_CHARACTER = /[\x00-\x20\x7f]/;

/**
 * Splits a login name into account and optional day. Returns null for input that cannot be a
 * login: empty parts (`#2026-11-23`, `alice#`), more than one separator, a day that is not a real
 * calendar date, whitespace or control characters, or an absurd length.
 * An empty separator turns day suffixes off: the whole name is the account.
 */
export function parseLoginName(login: string, separator: string): LoginName | null {
  if (login.length === 0 || login.length > MAX_LOGIN_LENGTH || UNSAFE_CHARACTER.test(login)) return null;
  if (separator === '') return { account: login, day: null };
  const parts = login.split(separator);
  if (parts.length === 1) return { account: login, day: null };
  if (parts.length !== 2) return null;
  const [account, day] = parts as [string, string];
  if (account === '' || !isDayLabel(day)) return null;
  return { account, day };
}
