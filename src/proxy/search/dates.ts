/**
 * Dates as SEARCH and SORT compare them. RFC 3501 compares days "disregarding time and timezone";
 * like Dovecot we compare the wall-clock time — INTERNALDATE in the server's local time zone, the
 * Date: header in its own zone (read by mail/dates.ts) — against UTC midnight of the requested day.
 */

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
