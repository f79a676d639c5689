/**
 * Routes a parsed command to its module after checking what every module declares: the session
 * state it is valid in and the shape of its arguments (grammars included: FETCH items, SEARCH
 * programs, LIST options). Wrong state or arguments get `BAD` here, so no module repeats those
 * checks. A module that throws is logged and answered, never fatal.
 */
import type { ParsedCommand } from './protocol/tokens.js';
import { ArgRefusal, bad, no, type Command, type CommandResult } from './command.js';
import { BlobDamagedError, StorageError } from './ports.js';
import type { Session } from './session.js';
import { ConnectionClosedError } from './protocol/response-writer.js';
import { commands } from './commands/index.js';

const registry = new Map<string, Command>(commands.map((command) => [command.name, command as Command]));

const STATE_WORDS: Record<string, string> = {
  'not-authenticated': 'before login',
  authenticated: 'after login',
  selected: 'with a mailbox selected',
  logout: 'during logout',
};

export async function dispatch(session: Session, parsed: ParsedCommand): Promise<CommandResult> {
  const started = process.hrtime.bigint();
  const result = await route(session, parsed);
  const name = registry.has(parsed.name) ? parsed.name : 'UNKNOWN';
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  session.settings.observer.command(name, result.status.toLowerCase() as 'ok' | 'no' | 'bad', seconds);
  // Name and outcome only: arguments may be credentials (LOGIN, AUTHENTICATE).
  session.log.trace({ command: name, tag: parsed.tag, status: result.status, code: result.code?.split(' ')[0], seconds }, 'command');
  return result;
}

async function route(session: Session, parsed: ParsedCommand): Promise<CommandResult> {
  const command = registry.get(parsed.name);
  if (!command) return bad(`Unknown command ${parsed.name.slice(0, 40)}`);
  if (!command.states.includes(session.state)) {
    const allowed = command.states.map((state) => STATE_WORDS[state]).join(' or ');
    return bad(`${command.name} is only valid ${allowed}`);
  }
  const values: unknown[] = [];
  let at = 0;
  for (const spec of command.args as Command['args']) {
    const taken = spec.take(parsed.args, at, session);
    if (!taken) return bad(`${command.name}: invalid or missing ${spec.label}`);
    if (taken instanceof ArgRefusal) return taken.result;
    values.push(taken.value);
    at = taken.next;
  }
  if (at < parsed.args.length) return bad(`${command.name}: too many arguments`);
  try {
    return await command.run(session, values, parsed);
  } catch (error) {
    if (error instanceof ConnectionClosedError) throw error;
    if (error instanceof BlobDamagedError) {
      // Not a bug in the command: the store found a message damaged (and logged it with its blob).
      session.log.error({ command: parsed.name, account: error.account, blob: error.hash }, 'command met a damaged message');
      return no('SERVERBUG', `${parsed.name} needs a message whose stored copy is damaged; the problem was logged for the administrator`);
    }
    if (error instanceof StorageError && error.kind === 'unavailable') {
      session.log.warn({ command: parsed.name, problem: error.message }, 'the store is unavailable for a command');
      return no('UNAVAILABLE', `${parsed.name} cannot be served now: the message store is not answering; try again in a few minutes`);
    }
    session.log.error({ err: error, command: parsed.name }, 'command failed');
    return bad(`${parsed.name} failed on the server; the problem was logged`, 'SERVERBUG');
  }
}

/** Names of every command the server knows (tests, CAPABILITY sanity). */
export function knownCommands(): string[] {
  return [...registry.keys()];
}
