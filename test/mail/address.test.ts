/** The RFC 5322 address-list parser (src/mail/address.ts): ENVELOPE's and SEARCH's one reading of an address header. */
import fc from 'fast-check';
import { isGroupStart, parseAddressList } from '../../src/mail/address.js';
import type { EnvelopeAddress } from '../../src/mail/structure.js';

const mailbox = (name: string | null, local: string | null, domain: string | null, route: string | null = null): EnvelopeAddress => ({ name, route, mailbox: local, domain });
const groupEnd = mailbox(null, null, null);

test('well-formed forms: addr-spec, name-addr, quoted and comment names, routes, literals, groups', () => {
  const cases: Array<[string, EnvelopeAddress[] | null]> = [
    ['user@domain', [mailbox(null, 'user', 'domain')]],
    ['<user@domain>', [mailbox(null, 'user', 'domain')]],
    ['Display Name <user@domain>', [mailbox('Display Name', 'user', 'domain')]],
    ['"Display \\"Q\\" Name" <user@domain>', [mailbox('Display "Q" Name', 'user', 'domain')]],
    ['user@domain (Display Name)', [mailbox('Display Name', 'user', 'domain')]],
    ['<@route1,@route2:user@domain>', [mailbox(null, 'user', 'domain', '@route1,@route2')]],
    ['user@[1.2.3.4]', [mailbox(null, 'user', '[1.2.3.4]')]],
    ['group: a@b, Name <c@d>;', [mailbox(null, 'group', null), mailbox(null, 'a', 'b'), mailbox('Name', 'c', 'd'), groupEnd]],
    ['group:;', [mailbox(null, 'group', null), groupEnd]],
    // encoded words stay encoded: decoding is the reader's business
    ['=?utf-8?q?J=C3=B6rg?= <j@x>', [mailbox('=?utf-8?q?J=C3=B6rg?=', 'j', 'x')]],
    ['', null],
  ];
  for (const [value, expected] of cases) expect([value, parseAddressList(value)]).toEqual([value, expected]);
});

test('broken forms come out filled in, as Dovecot fills them', () => {
  const cases: Array<[string, EnvelopeAddress[]]> = [
    ['user', [mailbox(null, 'user', 'MISSING_DOMAIN')]],
    ['"quoted"', [mailbox('quoted', 'MISSING_MAILBOX', 'MISSING_DOMAIN')]],
    ['a@b, , c@d', [mailbox(null, 'a', 'b'), mailbox(null, 'MISSING_MAILBOX', 'MISSING_DOMAIN'), mailbox(null, 'c', 'd')]],
    ['Name <user@>', [mailbox('Name', 'user', 'SYNTAX_ERROR')]],
    ['Name <user>', [mailbox('Name', 'user', 'MISSING_DOMAIN')]],
    ['Name <user@domain', [mailbox('Name', 'user', 'SYNTAX_ERROR')]],
    ['@domain', [mailbox(null, 'MISSING_MAILBOX', 'domain')]],
    ['a@b.', [mailbox(null, 'a', 'MISSING_DOMAIN')]],
    ['.user@domain', [mailbox(null, '.user', 'domain')]],
  ];
  for (const [value, expected] of cases) expect([value, parseAddressList(value)]).toEqual([value, expected]);
});

const atom = fc.stringMatching(/^[a-z0-9][a-z0-9.+_-]{0,10}[a-z0-9]$/).filter((text) => !text.includes('..'));
const domain = fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 1, maxLength: 3 }).map((labels) => labels.join('.'));
const displayName = fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,15}[A-Za-z]$/).filter((text) => !text.includes('  '));

test('a list of well-formed addresses, with or without names, reads back as written', () => {
  const address = fc.record({ name: fc.option(displayName, { nil: null }), local: atom, domain });
  fc.assert(
    fc.property(fc.array(address, { minLength: 1, maxLength: 5 }), (list) => {
      const header = list.map((a) => (a.name ? `"${a.name}" <${a.local}@${a.domain}>` : `${a.local}@${a.domain}`)).join(', ');
      expect(parseAddressList(header)).toEqual(list.map((a) => mailbox(a.name, a.local, a.domain)));
    }),
  );
});

test('any input: no throw, mailbox and domain filled outside groups, every group closed', () => {
  const piece = fc.constantFrom('a', 'b.c', '@', '<', '>', '(', ')', '"', '\\', ',', ';', ':', ' ', '\n', '[', ']', '.', 'é');
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 50 }).map((p) => p.join('')), (value) => {
      const list = parseAddressList(value) ?? [];
      let open = 0;
      for (const address of list) {
        if (isGroupStart(address)) open++;
        else if (address.mailbox === null && address.domain === null) open--;
        else {
          expect(address.mailbox).not.toBeNull();
          expect(address.domain).not.toBeNull();
        }
        expect(open === 0 || open === 1).toBe(true);
      }
      expect(open).toBe(0);
    }),
  );
});

test('hostile headers cost linear time', () => {
  for (const hostile of ['('.repeat(100_000), 'a@b, '.repeat(20_000), '<'.repeat(100_000), 'g:'.repeat(50_000), '"'.repeat(100_001)]) {
    const started = process.hrtime.bigint();
    parseAddressList(hostile);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(3000);
  }
});
