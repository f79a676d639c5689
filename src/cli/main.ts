#!/usr/bin/env node
/** `mtm` — Mail Time Machine's single executable (DESIGN §3). */
import { Command } from 'commander';
import { registerDoctor } from './commands/doctor.js';
import { registerExport } from './commands/export.js';
import { registerList } from './commands/list.js';
import { registerPrune } from './commands/prune.js';
import { registerRestore } from './commands/restore.js';
import { registerServe } from './commands/serve.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerStore } from './commands/store.js';
import { registerVerify } from './commands/verify.js';

const program = new Command();
program
  .name('mtm')
  .description('Mail Time Machine: nightly read-only snapshots of every mailbox, served back over IMAP')
  .showHelpAfterError();
registerServe(program);
registerSnapshot(program);
registerList(program);
registerPrune(program);
registerVerify(program);
registerRestore(program);
registerExport(program);
registerDoctor(program);
registerStore(program);
await program.parseAsync(process.argv);
