/** Login verification against the live IMAP server: the public surface of src/auth. */
export { LiveLoginService, type LiveLoginOptions, type ViewFactory, type AuthLogger } from './live-login-service.js';
export { verifyWithLiveServer, originatingClient, type ClientOrigin, type LiveServer, type Verification, type VerificationResult, type VerifyPassword } from '../upstream/index.js';
export { parseLoginName, type LoginName } from './login-name.js';
export { FailureLimits, DEFAULT_FAILURE_LIMITS, type FailureLimit, type FailureLimitsOptions, type LimitVerdict, type LimitCheck, type LimitRefusal, type LoginLimits, type Reservation, type AttemptOutcome } from './failure-limits.js';
export { SuccessCache } from './success-cache.js';
