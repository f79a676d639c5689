// RFC 3501 §6.2.2 AUTHENTICATE with PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login; some
// Outlook versions use nothing else), with SASL-IR (RFC 4959).
import { arg, bad, defineCommand, no, type CommandResult } from '../command.js';
import type { Session } from '../session.js';
import { completeLogin, logLoginResult, PRIVACY_REQUIRED, type LoginMechanism } from './login.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MECHANISMS: LoginMechanism[] = ['PLAIN', 'LOGIN'];
/** The challenges of SASL LOGIN, "Username:" and "Password:", as every server sends them. */
const USERNAME_PROMPT = Buffer.from('Username:').toString('base64');
const PASSWORD_PROMPT = Buffer.from('Password:').toString('base64');

class Refusal {
  constructor(readonly result: CommandResult) {}
}

/** One client response: the initial response if given, else an answer to `challenge`; decoded. */
async function response(session: Session, challenge: string, initial?: string): Promise<Buffer> {
  let text = initial;
  if (text === undefined) {
    await session.continuation(challenge);
    const reply = await session.readLine();
    if (reply === null) throw new Refusal(bad('Connection closed during authentication'));
    text = reply.trim();
  }
  if (text === '*') throw new Refusal(bad('Authentication cancelled'));
  if (text === '=') return Buffer.alloc(0);
  if (!BASE64.test(text)) throw new Refusal(bad('Invalid base64 in authentication response'));
  return Buffer.from(text, 'base64');
}

async function plain(session: Session, initialResponse: string | undefined): Promise<CommandResult> {
  const parts = (await response(session, '', initialResponse)).toString('utf8').split('\0');
  if (parts.length !== 3) return bad('Malformed PLAIN authentication message');
  const [authzid, user, password] = parts;
  // Users may log in only as themselves; impersonation is for the snapshotter's master user.
  if (authzid && authzid !== user) {
    logLoginResult(session, 'PLAIN', user, 'AUTHORIZATIONFAILED');
    return no('AUTHORIZATIONFAILED', 'Logging in as another user is not allowed');
  }
  return completeLogin(session, 'PLAIN', user, password);
}

async function login(session: Session, initialResponse: string | undefined): Promise<CommandResult> {
  const user = (await response(session, USERNAME_PROMPT, initialResponse)).toString('utf8');
  const password = (await response(session, PASSWORD_PROMPT)).toString('utf8');
  return completeLogin(session, 'LOGIN', user, password);
}

export const authenticate = defineCommand({
  name: 'AUTHENTICATE',
  states: ['not-authenticated'],
  args: [arg.keyword, arg.optional(arg.astring)],
  async run(session, [mechanism, initialResponse]) {
    const known = MECHANISMS.find((candidate) => candidate === mechanism);
    if (!known) return no('CANNOT', `Unsupported mechanism ${mechanism.slice(0, 30)}; use PLAIN or LOGIN`);
    // The user is still inside the base64 response: logged as unknown rather than decoded early.
    if (!session.plaintextAuthAllowed) {
      logLoginResult(session, known, '', 'PRIVACYREQUIRED');
      return PRIVACY_REQUIRED;
    }
    try {
      return known === 'PLAIN' ? await plain(session, initialResponse) : await login(session, initialResponse);
    } catch (error) {
      if (error instanceof Refusal) return error.result;
      throw error;
    }
  },
});
