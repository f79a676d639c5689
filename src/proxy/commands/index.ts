/** Every command module the dispatcher knows; one file per command (or per family). */
import type { Command } from '../command.js';
import { authenticate } from './authenticate.js';
import { cancelupdate } from './cancelupdate.js';
import { capability } from './capability.js';
import { close, unselect } from './close.js';
import { compress } from './compress.js';
import { copy, uidCopy } from './copy.js';
import { enable } from './enable.js';
import { fetch, uidFetch } from './fetch.js';
import { id } from './id.js';
import { idle } from './idle.js';
import { list, lsub } from './list.js';
import { login } from './login.js';
import { logout } from './logout.js';
import { move, uidMove } from './move.js';
import { namespace } from './namespace.js';
import { check, noop } from './noop.js';
import { readOnlyCommands } from './read-only.js';
import { getacl, listrights, myrights } from './rights.js';
import { search, uidSearch } from './search.js';
import { examine, select } from './select.js';
import { sort, uidSort } from './sort.js';
import { starttls } from './starttls.js';
import { status } from './status.js';
import { thread, uidThread } from './thread.js';

// The specs are checked by the dispatcher, which passes matching values: the element types erase safely.
export const commands = [
  capability, noop, check, logout, id, enable, namespace, starttls, compress, login, authenticate,
  list, lsub, status, select, examine, close, unselect, idle, myrights, getacl, listrights,
  fetch, uidFetch, search, uidSearch, sort, uidSort, cancelupdate, thread, uidThread,
  copy, uidCopy, move, uidMove, ...readOnlyCommands,
] as unknown as Command[];
