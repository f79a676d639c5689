/** The public surface of src/snapshots/view: the read-only snapshot namespace IMAP and the web interface serve. */
export { snapshotViewFactory, SNAPSHOTS_ROOT, type RestoreRequester } from './snapshot-view.js';
