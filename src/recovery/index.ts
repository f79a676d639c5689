/**
 * The public surface of src/recovery: restoring snapshot mail into the live mailbox (plan, preview,
 * run, jobs, notices) and exporting it as .eml/mboxrd. The CLI, the HTTP API and the web interface
 * import recovery through this module only; the files behind it are recovery's own.
 */
export { RecoveryService, type DenialCode, type Denial, type Decision, type PreviewOutcome, type RecoveryServiceOptions, type RecoveryServiceSettings } from './service.js';
export { type RestoreMode, type RestoreRequest, type RestoreScope, type Requester, type RequestOrigin, REQUEST_LIMITS, RESTORED_ROOT, describeScope, folderNameProblem, requestProblem } from './request.js';
export { type RestoreJob, type JobStore, type JobStatus } from './jobs.js';
export { type RestorePreview, type RestoreResult } from './engine.js';
export { planRestore, PlanError, type RestorePlan } from './plan.js';
export { LiveMailbox } from './live-mailbox.js';
export { splitByPresence } from './message-identity.js';
export { damagedAmong, describeUids, emlStream, mboxStream } from './export.js';
export { resolveUidSet } from './snapshot-folder.js';
