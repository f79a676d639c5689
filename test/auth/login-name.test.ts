import { parseLoginName } from '../../src/auth/login-name.js';

describe('parseLoginName', () => {
  test('a plain login is the account, with every day visible', () => {
    expect(parseLoginName('alice', '#')).toEqual({ account: 'alice', day: null });
    expect(parseLoginName('alice@example.com', '#')).toEqual({ account: 'alice@example.com', day: null });
  });

  test('a day suffix restricts the session to that day', () => {
    expect(parseLoginName('alice#2026-11-23', '#')).toEqual({ account: 'alice', day: '2026-11-23' });
    expect(parseLoginName('alice@example.com#2028-02-29', '#')).toEqual({ account: 'alice@example.com', day: '2028-02-29' });
  });

  test('the separator is configurable, and may be longer than one character', () => {
    expect(parseLoginName('alice+2026-11-23', '+')).toEqual({ account: 'alice', day: '2026-11-23' });
    expect(parseLoginName('alice::2026-11-23', '::')).toEqual({ account: 'alice', day: '2026-11-23' });
    // With another separator, '#' is just part of the account name.
    expect(parseLoginName('alice#2026-11-23', '+')).toEqual({ account: 'alice#2026-11-23', day: null });
  });

  test('an empty separator turns day logins off', () => {
    expect(parseLoginName('alice#2026-11-23', '')).toEqual({ account: 'alice#2026-11-23', day: null });
  });

  test.each([
    ['2026-02-30', 'February 30th'],
    ['2026-02-29', 'February 29th of a common year'],
    ['2026-13-01', 'month 13'],
    ['2026-00-10', 'month 0'],
    ['2026-11-00', 'day 0'],
    ['2026-11-31', 'November 31st'],
    ['2026-1-5', 'missing zero padding'],
    ['26-11-23', 'two-digit year'],
    ['2026/11/23', 'slashes'],
    ['2026-11-23x', 'trailing garbage'],
    ['yesterday', 'a word'],
  ])('an invalid day (%s: %s) is refused', (day) => {
    expect(parseLoginName(`alice#${day}`, '#')).toBeNull();
  });

  test('empty parts are refused', () => {
    expect(parseLoginName('#2026-11-23', '#')).toBeNull();
    expect(parseLoginName('alice#', '#')).toBeNull();
    expect(parseLoginName('#', '#')).toBeNull();
    expect(parseLoginName('', '#')).toBeNull();
  });

  test('more than one separator is refused', () => {
    expect(parseLoginName('alice#2026-11-23#2026-11-24', '#')).toBeNull();
    expect(parseLoginName('al#ice#2026-11-23', '#')).toBeNull();
    expect(parseLoginName('alice##2026-11-23', '#')).toBeNull();
  });

  test('whitespace, control characters and absurd lengths are refused', () => {
    expect(parseLoginName('alice smith', '#')).toBeNull();
    expect(parseLoginName('alice\r\nA1 LOGOUT', '#')).toBeNull();
    expect(parseLoginName('alice\0', '#')).toBeNull();
    expect(parseLoginName('a'.repeat(600), '#')).toBeNull();
  });
});
