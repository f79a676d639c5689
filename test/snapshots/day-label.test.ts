/** Day labels: one parser for `YYYY-MM-DD`, the day of an instant in a time zone, day arithmetic. */
import { addDays, dayIn, isDayLabel, parseDayLabel } from '../../src/snapshots/day-label.js';

describe('day labels', () => {
  test.each(['2026-11-23', '2028-02-29', '2000-02-29', '1999-12-31', '2026-01-01'])('%s is a day', (text) => {
    expect(isDayLabel(text)).toBe(true);
    expect(parseDayLabel(text)).toBe(text);
  });

  test.each(['2026-02-29', '1900-02-29', '2026-13-01', '2026-00-10', '2026-11-31', '2026-11-00', '26-11-23', '2026-1-5', '2026-11-23T00:00', ' 2026-11-23', '', 'today'])(
    '"%s" is not a day, and the error says what is expected',
    (text) => {
      expect(isDayLabel(text)).toBe(false);
      expect(() => parseDayLabel(text)).toThrow(/YYYY-MM-DD/);
    },
  );

  test('the day of an instant depends on the configured time zone', () => {
    const instant = new Date('2026-11-23T23:30:00Z');
    expect(dayIn('UTC', instant)).toBe('2026-11-23');
    expect(dayIn('Europe/Berlin', instant)).toBe('2026-11-24');
    expect(dayIn('America/New_York', instant)).toBe('2026-11-23');
    expect(dayIn('Pacific/Kiritimati', new Date('2026-12-31T10:00:00Z'))).toBe('2027-01-01');
    expect(dayIn('America/Los_Angeles', new Date('2027-01-01T07:59:59Z'))).toBe('2026-12-31');
    expect(isDayLabel(dayIn('Asia/Kolkata'))).toBe(true);
  });

  test('adding days crosses months, years and leap days', () => {
    expect(addDays('2026-11-23', 1)).toBe('2026-11-24');
    expect(addDays('2026-11-30', 1)).toBe('2026-12-01');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2026-03-10', -14)).toBe('2026-02-24');
    expect(addDays('2026-11-23', 0)).toBe('2026-11-23');
    // Daylight-saving changes do not shift calendar arithmetic.
    expect(addDays('2026-03-29', 1)).toBe('2026-03-30');
    expect(addDays('2026-10-25', -1)).toBe('2026-10-24');
  });

  test('labels sort in calendar order as plain strings (retention relies on it)', () => {
    const days = ['2027-01-02', '2026-12-31', '2026-02-01', '2026-10-15'];
    expect([...days].sort()).toEqual(['2026-02-01', '2026-10-15', '2026-12-31', '2027-01-02']);
  });
});
