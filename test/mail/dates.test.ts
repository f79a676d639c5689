/** Dates in mail (src/mail/dates.ts): INTERNALDATE, RFC 5322 Date:, asctime, IMAP search dates. */
import fc from 'fast-check';
import { formatAsctime, formatInternalDate, formatRfc5322Date, monthIndex, MONTH_NAMES, parseDateHeader, parseImapDate } from '../../src/mail/dates.js';

const instant = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((date) => new Date(Math.floor(date.getTime() / 1000) * 1000));

test('the three written forms, in UTC', () => {
  const date = new Date('2026-11-04T21:34:05Z');
  expect(formatInternalDate(date)).toBe('04-Nov-2026 21:34:05 +0000');
  expect(formatRfc5322Date(date)).toBe('Wed, 4 Nov 2026 21:34:05 +0000');
  expect(formatAsctime(date)).toBe('Wed Nov  4 21:34:05 2026');
});

test('every written date reads back to the same instant', () => {
  fc.assert(
    fc.property(instant, (date) => {
      expect(parseDateHeader(formatRfc5322Date(date))).toEqual({ time: date.getTime(), offsetMinutes: 0 });
      const internal = /^(\d\d)-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) \+0000$/.exec(formatInternalDate(date))!;
      expect(Date.UTC(Number(internal[3]), monthIndex(internal[2]), Number(internal[1]), Number(internal[4]), Number(internal[5]), Number(internal[6]))).toBe(date.getTime());
      expect(new Date(`${formatAsctime(date)} UTC`).getTime()).toBe(date.getTime());
    }),
  );
});

test('Date: headers as SEARCH reads them: zones, comments, two-digit years, no weekday', () => {
  expect(parseDateHeader('Mon, 2 Feb 2026 10:00:00 +0100 (CET)')).toEqual({ time: Date.UTC(2026, 1, 2, 9), offsetMinutes: 60 });
  expect(parseDateHeader('2 Feb 26 10:00 EST')).toEqual({ time: Date.UTC(2026, 1, 2, 15), offsetMinutes: -300 });
  expect(parseDateHeader('2 feb 99 10:00:00 GMT')?.time).toBe(Date.UTC(1999, 1, 2, 10));
  for (const broken of ['', 'yesterday', '32 Jan 2026 10:00', '2 Foo 2026 10:00', '2 Feb 2026 25:00']) expect(parseDateHeader(broken)).toBeNull();
});

test('IMAP search dates: d-Mon-yyyy, any case, real days only', () => {
  expect(parseImapDate('1-Feb-1994')).toBe(Date.UTC(1994, 1, 1));
  expect(parseImapDate('29-feb-2024')).toBe(Date.UTC(2024, 1, 29));
  for (const bad of ['29-Feb-2023', '31-Apr-2026', '0-Jan-2026', '1-Jan-26', '01-Janu-2026', '1 Jan 2026']) expect(parseImapDate(bad)).toBeNull();
  fc.assert(fc.property(instant, (date) => expect(parseImapDate(formatInternalDate(date).slice(0, 11))).toBe(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()))));
});

test('month names: twelve, found by their first three letters in any case', () => {
  MONTH_NAMES.forEach((name, index) => {
    expect(monthIndex(name.toUpperCase())).toBe(index);
    expect(monthIndex(`${name.toLowerCase()}ember`)).toBe(index);
  });
  expect(monthIndex('Foo')).toBe(-1);
});
