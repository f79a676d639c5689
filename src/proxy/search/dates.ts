/**
 * Dates as SEARCH and SORT compare them. RFC 3501 compares days "disregarding time and timezone";
 * like Dovecot we compare the wall-clock time — INTERNALDATE in the server's local time zone, the
 * Date: header in its own zone — against UTC midnight of the requested day.
 */
import { replaceComments } from './text.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
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
  if (parts[index] && /^[A-Za-z]{3,}$/.test(parts[index]) && !MONTHS.includes(parts[index].slice(0, 3).toLowerCase())) index++;
  const day = Number(parts[index++]);
  const month = MONTHS.indexOf((parts[index++] ?? '').slice(0, 3).toLowerCase());
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

/** Wall-clock time (as if it were UTC) of an instant in the server's local time zone. */
export function localWallClock(instant: Date): number {
  return instant.getTime() - instant.getTimezoneOffset() * 60000;
}

const DAY = 86400000;

export function compareDay(wallClock: number, comparison: 'before' | 'on' | 'since', day: number): boolean {
  switch (comparison) {
    case 'before':
      return wallClock < day;
    case 'on':
      return wallClock >= day && wallClock < day + DAY;
    case 'since':
      return wallClock >= day;
  }
}
