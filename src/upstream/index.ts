/**
 * The one adapter to the live IMAP server: connection settings, credentials (master user or per
 * account), folder-name mapping, login checks, and sessions behind the UpstreamSession interface.
 */
export { configuredAccounts, credentialsFor, type AccountCredentials, type AccountSettings, type SnapshotAccount } from './accounts.js';
export { connectUpstream, upstreamConnector } from './connection.js';
export { describeUpstreamError, UpstreamError } from './errors.js';
export { liveFolderPath, storeFolderName } from './folder-names.js';
export {
  DEFAULT_VERIFY_TIMEOUT_MS, originatingClient, verifyWithLiveServer,
  type ClientOrigin, type LiveServer, type Verification, type VerificationResult, type VerifyPassword,
} from './login-check.js';
export type {
  AppendItem, FolderStatus, LiveFolderEntry, MessageIdHeader, MessageSource, MessageSummary, Quota, UpstreamConnector, UpstreamSession,
} from './session.js';
