// RFC 3501 §6.2.3 LOGIN — the password is checked by the LoginService (normally the live server).
import { arg, defineCommand, no, ok, type CommandResult } from '../command.js';
import type { Session } from '../session.js';

export const PRIVACY_REQUIRED = no('PRIVACYREQUIRED', 'Use STARTTLS or the TLS port before sending a password');

export type LoginMechanism = 'LOGIN' | 'PLAIN';

/**
 * One info line per login attempt: who, how, and the outcome (`ok` or the response code). The
 * login name is logged as the client sent it; the password never is.
 */
export function logLoginResult(session: Session, mechanism: LoginMechanism, user: string, result: string): void {
  session.log.info({ account: user.slice(0, 320), mechanism, result }, result === 'ok' ? 'login succeeded' : 'login refused');
}

/** Shared by LOGIN and AUTHENTICATE: asks the LoginService and moves the session on. */
export async function completeLogin(session: Session, mechanism: LoginMechanism, user: string, password: string): Promise<CommandResult> {
  if (!user || user.length > 320 || password.length > 1024) {
    logLoginResult(session, mechanism, user, 'AUTHENTICATIONFAILED');
    return no('AUTHENTICATIONFAILED', 'Invalid credentials');
  }
  const result = await session.settings.loginService.login(user, password, session.remoteAddress, session.remotePort, session.log);
  if (!result.ok) {
    logLoginResult(session, mechanism, user, result.code);
    return no(result.code, result.text);
  }
  logLoginResult(session, mechanism, result.account, 'ok');
  session.loggedIn(result.account, result.view);
  return ok('Logged in; snapshots are read-only', `CAPABILITY ${session.capabilities().join(' ')}`);
}

export const login = defineCommand({
  name: 'LOGIN',
  states: ['not-authenticated'],
  args: [arg.astring, arg.astring],
  async run(session, [user, password]) {
    if (!session.plaintextAuthAllowed) {
      logLoginResult(session, 'LOGIN', user, 'PRIVACYREQUIRED');
      return PRIVACY_REQUIRED;
    }
    return completeLogin(session, 'LOGIN', user, password);
  },
});
