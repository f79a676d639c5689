/**
 * The HTTP API as the web interface calls it (docs/http-api.md). The session cookie travels by
 * itself; state-changing requests add the session's CSRF token in a header. Errors come back as
 * ApiFailure with the server's words for the user.
 */
import { t } from './strings';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface Address { name: string | null; address: string | null }
export interface Summary {
  uid: number;
  size: number;
  flags: string[];
  internalDate: string;
  from: Address[];
  subject: string | null;
  date: string | null;
  attachment?: boolean;
}
export interface TimelineDay { day: string; folders: number; messages: number; bytes: number; appeared: number | null; disappeared: number | null }
export interface Folder { name: string; messages: number; bytes: number; subscribed: boolean; specialUse: string | null }
export interface MessageList { total: number; offset: number; messages: Summary[] }
export interface PartInfo { part: string; type: string; filename: string | null; contentId: string | null; size: number; inline: boolean }
export interface MessageView {
  tooLarge?: boolean;
  summary: Summary;
  to: Address[];
  cc: Address[];
  text: string | null;
  html: string | null;
  truncated: boolean;
  parts: PartInfo[];
}
export interface WhatChanged { gone: Summary[]; newSince: number; liveFolderExists: boolean; liveFolder: string }
export interface PreviewFolder { source: string; target: string; exists: boolean; messages: number; bytes: number; alreadyPresent: number; bytesToRestore: number }
export interface Preview { messages: number; bytes: number; alreadyPresent: number; toRestore: number; bytesToRestore: number; foldersToCreate: number; folders: PreviewFolder[] }
export interface RestoreJob {
  id: string;
  status: string;
  progress: { done: number; total: number; percent: number; folder?: string };
  result: { restored: number; alreadyPresent: number; failed: number } | null;
  reason: string | null;
}
export interface RestoreBody { day: string; folder?: string; uids?: number[]; subfolders?: boolean; mode: 'merge' | 'separate' }

let csrfToken = '';
/** Called when the server says the session is gone. */
let onSignedOut: () => void = () => undefined;

export function setSessionHandlers(token: string, signedOut: () => void): void {
  csrfToken = token;
  onSignedOut = signedOut;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiFailure(0, 'offline', t.offline);
  }
  if (response.status === 204) return undefined as T;
  const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    if (response.status === 401 && json.error === 'session-expired') onSignedOut();
    throw new ApiFailure(response.status, String(json.error ?? 'error'), String(json.message ?? t.errorGeneric), json);
  }
  return json as T;
}

const enc = encodeURIComponent;

export function accountPath(account: string): string {
  return `/api/v1/accounts/${enc(account)}`;
}
export function folderPath(account: string, day: string, folder: string): string {
  return `${accountPath(account)}/days/${enc(day)}/folders/${enc(folder)}`;
}
export function emlUrl(account: string, day: string, folder: string, uid: number): string {
  return `${folderPath(account, day, folder)}/messages/${uid}.eml`;
}
export function mboxUrl(account: string, day: string, folder: string, uids: number[] = []): string {
  return `${folderPath(account, day, folder)}.mbox${uids.length ? `?uids=${uids.join(',')}` : ''}`;
}
export function partUrl(account: string, day: string, folder: string, uid: number, part: string, inline = false): string {
  return `${folderPath(account, day, folder)}/messages/${uid}/parts/${part}${inline ? '?inline=1' : ''}`;
}

export const api = {
  session: () => request<{ account: string; csrfToken: string }>('GET', '/api/v1/session'),
  signIn: (username: string, password: string) => request<{ account: string; csrfToken: string }>('POST', '/api/v1/session', { username, password }),
  signOut: () => request<void>('DELETE', '/api/v1/session'),
  timeline: (account: string) => request<{ days: TimelineDay[] }>('GET', `${accountPath(account)}/timeline`),
  folders: (account: string, day: string) => request<{ folders: Folder[] }>('GET', `${accountPath(account)}/days/${enc(day)}/folders`),
  messages: (account: string, day: string, folder: string, options: { sort: string; order: string; q: string; offset: number; limit: number }) =>
    request<MessageList>(
      'GET',
      `${folderPath(account, day, folder)}/messages?${new URLSearchParams({ sort: options.sort, order: options.order, q: options.q, offset: String(options.offset), limit: String(options.limit) })}`,
    ),
  message: (account: string, day: string, folder: string, uid: number) => request<MessageView>('GET', `${folderPath(account, day, folder)}/messages/${uid}`),
  changes: (account: string, day: string, folder: string) => request<WhatChanged>('GET', `${folderPath(account, day, folder)}/changes`),
  preview: (account: string, body: RestoreBody) => request<{ preview: Preview }>('POST', `${accountPath(account)}/restores/preview`, body),
  submit: (account: string, body: RestoreBody) => request<{ jobId: string; statusUrl: string }>('POST', `${accountPath(account)}/restores`, body),
  job: (account: string, id: string) => request<RestoreJob>('GET', `${accountPath(account)}/restores/${enc(id)}`),
  source: async (url: string): Promise<string> => {
    const response = await fetch(url, { credentials: 'same-origin' });
    if (!response.ok) throw new ApiFailure(response.status, 'error', t.errorGeneric);
    return response.text();
  },
  /** A cid: image as a data: URL, so the frame (which has no origin and no cookie) can show it. */
  dataUrl: async (url: string): Promise<string> => {
    const response = await fetch(url, { credentials: 'same-origin' });
    if (!response.ok) return '';
    const blob = await response.blob();
    return new Promise((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.onerror = () => resolve('');
      reader.readAsDataURL(blob);
    });
  },
};
