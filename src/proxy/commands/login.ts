// RFC 3501 §6.2.3 LOGIN — the password is checked by the LoginService (normally the live server).
import { arg, defineCommand, no, ok, type CommandResult } from '../command.js';
import type { Session } from '../session.js';

export const PRIVACY_REQUIRED = no('PRIVACYREQUIRED', 'Use STARTTLS or the TLS port before sending a password');

/** Shared by LOGIN and AUTHENTICATE: asks the LoginService and moves the session on. */
export async function completeLogin(session: Session, user: string, password: string): Promise<CommandResult> {
  if (!user || user.length > 320 || password.length > 1024) return no('AUTHENTICATIONFAILED', 'Invalid credentials');
  const result = await session.settings.loginService.login(user, password, session.remoteAddress);
  if (!result.ok) {
    session.log.info({ user, code: result.code }, 'login refused');
    return no(result.code, result.text);
  }
  session.loggedIn(result.account, result.view);
  session.log.info('logged in');
  return ok('Logged in; snapshots are read-only', `CAPABILITY ${session.capabilities().join(' ')}`);
}

export const login = defineCommand({
  name: 'LOGIN',
  states: ['not-authenticated'],
  args: [arg.astring, arg.astring],
  async run(session, [user, password]) {
    if (!session.plaintextAuthAllowed) return PRIVACY_REQUIRED;
    return completeLogin(session, user, password);
  },
});
