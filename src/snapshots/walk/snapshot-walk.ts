/**
 * The one way down a snapshot: account → days → the capture of a day → its folders → a folder by
 * name → its messages. IMAP (snapshot view), the CLI (`mtm list`, `export`, `restore`), the HTTP API
 * and restore planning all walk through here, so a day label and a folder name mean the same thing
 * on every surface. A wrong turn is a SnapshotWalkError whose message every surface shows as is,
 * each in its own form (IMAP NO, CLI exit 1 on stderr, HTTP 400/404).
 */
import { isDayLabel, type DayLabel } from '../day-label.js';
import type { Catalog, DaySummary, FolderRecord, MessageRecord } from '../store/catalog.js';
import { canonicalFolderPath, isWithinFolder, withParents } from './mailbox-path.js';

/** bad-day: not a calendar date; no-snapshot: no committed capture that day; no-folder: not in that capture. */
export type SnapshotWalkProblem = 'bad-day' | 'no-snapshot' | 'no-folder';

export class SnapshotWalkError extends Error {
  constructor(
    readonly problem: SnapshotWalkProblem,
    message: string,
    /** Where the walk stopped, for surfaces that add a hint (the CLI names the `mtm list` to run). */
    readonly where: { account: string; day?: DayLabel },
  ) {
    super(message);
    this.name = 'SnapshotWalkError';
  }
}

/** Quoted for an error message, bounded: a name may be long, or meant to be echoed somewhere. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** One committed capture: what an account's snapshot of one day is. */
export interface SnapshotCapture {
  account: string;
  day: DayLabel;
  seq: number;
}

/** The folders of one capture, found by any spelling of their path (INBOX in any case). */
export class CaptureFolders {
  private readonly byPath = new Map<string, FolderRecord>();

  constructor(readonly records: readonly FolderRecord[]) {
    for (const record of records) this.byPath.set(canonicalFolderPath(record.name), record);
  }

  get(name: string): FolderRecord | undefined {
    return this.byPath.get(canonicalFolderPath(name));
  }

  /** Canonical path → selectable, with the parents the paths imply (`\Noselect` when not a folder). */
  tree(): Map<string, boolean> {
    return withParents(this.byPath.keys());
  }

  /** The folder and every folder below it. */
  within(name: string): FolderRecord[] {
    return this.records.filter((record) => isWithinFolder(record.name, name));
  }
}

export class SnapshotWalk {
  constructor(
    private readonly catalog: Catalog,
    readonly account: string,
  ) {}

  /** A day label as a user wrote it, validated once: a real calendar date written YYYY-MM-DD. */
  day(text: string): DayLabel {
    if (!isDayLabel(text)) {
      throw new SnapshotWalkError('bad-day', `${quoted(text)} is not a day (expected YYYY-MM-DD, a real calendar date)`, { account: this.account });
    }
    return text;
  }

  days(): Promise<DaySummary[]> {
    return this.catalog.days(this.account);
  }

  /** The committed capture of every day, in day order. */
  async captures(): Promise<SnapshotCapture[]> {
    return (await this.days()).map(({ day, seq }) => ({ account: this.account, day, seq }));
  }

  /** The committed capture of a valid day, or null when there is none. */
  async findCapture(day: DayLabel): Promise<SnapshotCapture | null> {
    const seq = await this.catalog.captureForDay(this.account, day);
    return seq === null ? null : { account: this.account, day, seq };
  }

  /** The capture of the day written `dayText`; bad-day or no-snapshot otherwise. */
  async capture(dayText: string): Promise<SnapshotCapture> {
    const day = this.day(dayText);
    const capture = await this.findCapture(day);
    if (!capture) throw new SnapshotWalkError('no-snapshot', `there is no snapshot of ${this.account} for ${day}`, { account: this.account });
    return capture;
  }

  async folders(capture: SnapshotCapture): Promise<CaptureFolders> {
    return new CaptureFolders(await this.catalog.folders(this.account, capture.seq));
  }

  /** The folder called `name` (INBOX in any case) in the capture; no-folder otherwise. */
  folderIn(capture: SnapshotCapture, folders: CaptureFolders, name: string): FolderRecord {
    const folder = folders.get(name);
    if (!folder) {
      throw new SnapshotWalkError('no-folder', `there is no folder ${quoted(name)} in ${this.account}'s snapshot of ${capture.day}`, { account: this.account, day: capture.day });
    }
    return folder;
  }

  messages(capture: SnapshotCapture, folder: FolderRecord): Promise<MessageRecord[]> {
    return this.catalog.messages(this.account, capture.seq, folder.name, folder.uidValidity);
  }

  /** Day → capture → folder → messages in one step, for the surfaces that name one folder of one day. */
  async openFolder(dayText: string, name: string): Promise<{ capture: SnapshotCapture; folder: FolderRecord; messages: MessageRecord[] }> {
    const capture = await this.capture(dayText);
    const folder = this.folderIn(capture, await this.folders(capture), name);
    return { capture, folder, messages: await this.messages(capture, folder) };
  }
}
