// RFC 3501 §6.2.2 AUTHENTICATE, PLAIN only (RFC 4616), with SASL-IR (RFC 4959).
import { arg, bad, defineCommand, no } from '../command.js';
import { completeLogin, logLoginResult, PRIVACY_REQUIRED } from './login.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const authenticate = defineCommand({
  name: 'AUTHENTICATE',
  states: ['not-authenticated'],
  args: [arg.keyword, arg.optional(arg.astring)],
  async run(session, [mechanism, initialResponse]) {
    if (mechanism !== 'PLAIN') return no('CANNOT', `Unsupported mechanism ${mechanism.slice(0, 30)}; use PLAIN`);
    // The user is still inside the base64 response: logged as unknown rather than decoded early.
    if (!session.plaintextAuthAllowed) {
      logLoginResult(session, 'PLAIN', '', 'PRIVACYREQUIRED');
      return PRIVACY_REQUIRED;
    }
    let response = initialResponse;
    if (response === undefined) {
      await session.continuation('');
      const reply = await session.readLine();
      if (reply === null) return bad('Connection closed during authentication');
      response = reply.trim();
    }
    if (response === '*') return bad('Authentication cancelled');
    if (response === '=') response = '';
    if (!BASE64.test(response)) return bad('Invalid base64 in authentication response');
    const parts = Buffer.from(response, 'base64').toString('utf8').split('\0');
    if (parts.length !== 3) return bad('Malformed PLAIN authentication message');
    const [authzid, user, password] = parts;
    // Users may log in only as themselves; impersonation is for the snapshotter's master user.
    if (authzid && authzid !== user) {
      logLoginResult(session, 'PLAIN', user, 'AUTHORIZATIONFAILED');
      return no('AUTHORIZATIONFAILED', 'Logging in as another user is not allowed');
    }
    return completeLogin(session, 'PLAIN', user, password);
  },
});
