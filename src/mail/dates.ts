/**
 * Dates in mail: IMAP's date and date-time (RFC 3501 §9: SEARCH dates, INTERNALDATE), RFC 5322's
 * Date: header (written for the mail we compose, read as Dovecot's SEARCH reads it) and the asctime
 * form of an mbox "From " line. The only place that knows the month names.
 */
import { replaceComments } from './header-text.js';

/** English month abbreviations, as every mail date format writes them. */
export const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const WEEKDAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS_LOWER = MONTH_NAMES.map((name) => name.toLowerCase());

/** A month's index (0 = January) from the first three letters of its name, any case; -1 if none. */
export function monthIndex(name: string): number {
  return MONTHS_LOWER.indexOf(name.slice(0, 3).toLowerCase());
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const utcClock = (date: Date): string => `${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())}`;

/** RFC 3501 date-time (INTERNALDATE), in UTC: "01-Jun-2026 12:00:07 +0000". */
export function formatInternalDate(date: Date): string {
  return `${pad2(date.getUTCDate())}-${MONTH_NAMES[date.getUTCMonth()]}-${date.getUTCFullYear()} ${utcClock(date)} +0000`;
}

/** RFC 5322 date-time, in UTC: "Sun, 1 Nov 2026 12:00:07 +0000". */
export function formatRfc5322Date(date: Date): string {
  return `${WEEKDAY_NAMES[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTH_NAMES[date.getUTCMonth()]} ${date.getUTCFullYear()} ${utcClock(date)} +0000`;
}

/** C's asctime(), in UTC, as an mbox "From " line ends: "Thu Nov  4 21:34:15 2026". */
export function formatAsctime(date: Date): string {
  return `${WEEKDAY_NAMES[date.getUTCDay()]} ${MONTH_NAMES[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ${utcClock(date)} ${date.getUTCFullYear()}`;
}

/** RFC 3501 `date`: `d-Mon-yyyy` or `dd-Mon-yyyy` → UTC midnight in ms, or null. */
export function parseImapDate(text: string): number | null {
  const match = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  if (!match) return null;
  const month = monthIndex(match[2]);
  const day = Number(match[1]);
  const year = Number(match[3]);
  if (month < 0 || day < 1 || day > 31) return null;
  const value = Date.UTC(year, month, day);
  if (new Date(value).getUTCDate() !== day) return null;
  return value;
}

const ZONES: Record<string, number> = { UT: 0, GMT: 0, Z: 0, EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420 };

export interface SentDate {
  /** The instant (ms since the epoch, UTC). */
  time: number;
  /** The zone written in the header, in minutes east of UTC. */
  offsetMinutes: number;
}

/** RFC 5322 Date: value (comments allowed, day-of-week optional) → instant and zone; null if unreadable. */
export function parseDateHeader(value: string): SentDate | null {
  const text = replaceComments(value, ' ').replace(/,/g, ' ').trim();
  const parts = text.split(/\s+/);
  let index = 0;
  if (parts[index] && /^[A-Za-z]{3,}$/.test(parts[index]) && monthIndex(parts[index]) < 0) index++;
  const day = Number(parts[index++]);
  const month = monthIndex(parts[index++] ?? '');
  let year = Number(parts[index++]);
  const clock = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(parts[index++] ?? '');
  if (!Number.isInteger(day) || day < 1 || day > 31 || month < 0 || !Number.isInteger(year) || !clock) return null;
  if ((parts[index - 2] ?? '').length <= 2) year += year < 50 ? 2000 : 1900;
  else if ((parts[index - 2] ?? '').length === 3) year += 1900;
  const zoneText = parts[index] ?? '';
  let offsetMinutes = 0;
  const numeric = /^([+-])(\d{2})(\d{2})$/.exec(zoneText);
  if (numeric) {
    offsetMinutes = (numeric[1] === '-' ? -1 : 1) * (Number(numeric[2]) * 60 + Number(numeric[3]));
  } else if (zoneText.toUpperCase() in ZONES) {
    offsetMinutes = ZONES[zoneText.toUpperCase()];
  }
  const [hours, minutes, seconds] = [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0)];
  if (hours > 23 || minutes > 59 || seconds > 60) return null;
  const wallClock = Date.UTC(year, month, day, hours, minutes, seconds);
  return { time: wallClock - offsetMinutes * 60000, offsetMinutes };
}
