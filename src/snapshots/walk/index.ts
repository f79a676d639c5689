/** The one snapshot walk (README, Architecture): day labels, folder paths, account → day → folder → messages. */
export { canonicalFolderPath, FOLDER_DELIMITER, INBOX, isWithinFolder, leafName, withParents } from './mailbox-path.js';
export { CaptureFolders, SnapshotWalk, SnapshotWalkError, type SnapshotCapture, type SnapshotWalkProblem } from './snapshot-walk.js';
