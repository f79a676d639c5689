/** The snapshot engine against the real Dovecot, into the embedded store (SQLite + files). */
import { describeSnapshotEngine } from './snapshot-engine.suite.js';

describeSnapshotEngine({ account: 'engine-alice' });
