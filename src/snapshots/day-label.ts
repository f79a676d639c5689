/** A snapshot day's name, `YYYY-MM-DD`: one type and one parser for every place that takes one. */
export type DayLabel = string;

const PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isDayLabel(text: string): text is DayLabel {
  const match = PATTERN.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text;
}

export function parseDayLabel(text: string): DayLabel {
  if (!isDayLabel(text)) throw new Error(`"${text}" is not a day (expected YYYY-MM-DD, a real calendar date)`);
  return text;
}

/** The calendar day of `instant` in an IANA time zone. */
export function dayIn(timeZone: string, instant: Date = new Date()): DayLabel {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
  const value = (type: string) => parts.find((part) => part.type === type)?.value ?? '';
  return `${value('year')}-${value('month')}-${value('day')}`;
}

export function addDays(day: DayLabel, count: number): DayLabel {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + count);
  return date.toISOString().slice(0, 10);
}
