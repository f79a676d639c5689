/** One folder of one day: its message list, a message, "What changed", and the restore panel. */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiFailure, emlUrl, mboxUrl, partUrl, type MessageList, type MessageView, type Summary, type WhatChanged } from './api';
import { RestorePanel, type RestoreChoice } from './restore-panel';
import { sanitizeMail, textDocument } from './sanitize';
import { formatBytes, formatDate, t } from './strings';

const PAGE = 100;

interface Props { account: string; day: string; folder: string }

type Pane = { kind: 'list' } | { kind: 'message'; uid: number } | { kind: 'changes' } | { kind: 'restore'; choice: RestoreChoice; back: Pane };

export function sender(summary: Summary): string {
  const first = summary.from[0];
  return first ? first.name || first.address || t.unknownSender : t.unknownSender;
}

export function FolderView({ account, day, folder }: Props) {
  const [pane, setPane] = useState<Pane>({ kind: 'list' });
  const [selection, setSelection] = useState<Set<number>>(new Set());
  const openRestore = (choice: RestoreChoice) => setPane({ kind: 'restore', choice, back: pane });
  return (
    <section aria-label={folder}>
      <h2 class="folder-title">{folder} <small>{day}</small></h2>
      <div class="toolbar" role="toolbar" aria-label={folder}>
        {pane.kind !== 'list' && <button type="button" onClick={() => setPane({ kind: 'list' })}>{t.back}</button>}
        <button type="button" aria-pressed={pane.kind === 'changes'} onClick={() => setPane({ kind: 'changes' })}>{t.whatChanged}</button>
        <a class="button" href={mboxUrl(account, day, folder, pane.kind === 'list' ? [...selection].sort((a, b) => a - b) : [])} download>{t.downloadMbox}</a>
        {pane.kind === 'list' && (
          <button type="button" onClick={() => openRestore(selection.size > 0 ? { uids: [...selection].sort((a, b) => a - b) } : {})}>{t.restore}</button>
        )}
        {pane.kind === 'list' && selection.size > 0 && <span>{t.selected(selection.size)}</span>}
      </div>
      {pane.kind === 'list' && <MessageTable account={account} day={day} folder={folder} selection={selection} setSelection={setSelection} onOpen={(uid) => setPane({ kind: 'message', uid })} />}
      {pane.kind === 'message' && <MessagePane account={account} day={day} folder={folder} uid={pane.uid} onRestore={() => openRestore({ uids: [pane.uid] })} />}
      {pane.kind === 'changes' && <ChangesPane account={account} day={day} folder={folder} onOpen={(uid) => setPane({ kind: 'message', uid })} onRestore={(uids) => openRestore({ uids })} />}
      {pane.kind === 'restore' && <RestorePanel account={account} day={day} folder={folder} choice={pane.choice} onClose={() => setPane(pane.back)} />}
    </section>
  );
}

function MessageTable({ account, day, folder, selection, setSelection, onOpen }: Props & { selection: Set<number>; setSelection: (s: Set<number>) => void; onOpen: (uid: number) => void }) {
  // Received (INTERNALDATE) needs no header reads: a 50,000-message folder opens at once.
  const [sort, setSort] = useState('arrival');
  const [order, setOrder] = useState('desc');
  const [query, setQuery] = useState('');
  const [typed, setTyped] = useState('');
  const [offset, setOffset] = useState(0);
  const [list, setList] = useState<MessageList | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    setList(null);
    // Answers can arrive out of order (a sort by subject takes longer than the next page): only the
    // answer to the latest request is shown.
    let current = true;
    api.messages(account, day, folder, { sort, order, q: query, offset, limit: PAGE }).then(
      (answer) => current && setList(answer),
      (failure: ApiFailure) => current && setError(failure.message),
    );
    return () => {
      current = false;
    };
  }, [account, day, folder, sort, order, query, offset]);

  const toggle = (uid: number) => {
    const next = new Set(selection);
    if (next.has(uid)) next.delete(uid);
    else next.add(uid);
    setSelection(next);
  };
  return (
    <div>
      <form class="listbar" role="search" onSubmit={(e) => { e.preventDefault(); setOffset(0); setQuery(typed.trim()); }}>
        <label for="q">{t.search}</label>
        <input id="q" type="search" placeholder={t.searchPlaceholder} value={typed} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} />
        <button type="submit">{t.searchButton}</button>
        {query && <button type="button" onClick={() => { setTyped(''); setQuery(''); setOffset(0); }}>{t.clearSearch}</button>}
        <label for="sort">{t.sortBy}</label>
        <select id="sort" value={sort} onChange={(e) => { setSort((e.target as HTMLSelectElement).value); setOffset(0); }}>
          {Object.entries(t.sortKeys).map(([key, label]) => <option key={key} value={key}>{label}</option>)}
        </select>
        <label for="order">{t.order}</label>
        <select id="order" value={order} onChange={(e) => { setOrder((e.target as HTMLSelectElement).value); setOffset(0); }}>
          <option value="desc">{t.descending}</option>
          <option value="asc">{t.ascending}</option>
        </select>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      {!list && !error && <p>{t.loading}</p>}
      {list && list.total === 0 && <p>{t.empty}</p>}
      {list && list.total > 0 && (
        <>
          <table class="messages">
            <thead>
              <tr>
                <th scope="col"><span class="visually-hidden">{t.columns.select}</span></th>
                <th scope="col">{t.columns.from}</th>
                <th scope="col">{t.columns.subject}</th>
                <th scope="col">{t.columns.date}</th>
                <th scope="col">{t.columns.size}</th>
              </tr>
            </thead>
            <tbody>
              {list.messages.map((message) => (
                <tr key={message.uid} class={message.flags.includes('\\Seen') ? '' : 'unseen'}>
                  <td><input type="checkbox" aria-label={t.selectMessage(message.subject ?? t.noSubject)} checked={selection.has(message.uid)} onChange={() => toggle(message.uid)} /></td>
                  <td class="from">{sender(message)}</td>
                  <td class="subject">
                    {/* The link is the .eml: a click opens the message here, "Save link as…" downloads it. */}
                    <a href={emlUrl(account, day, folder, message.uid)} title={t.saveHint} onClick={(e) => { e.preventDefault(); onOpen(message.uid); }}>{message.subject || t.noSubject}</a>
                    {message.attachment && <span class="clip" title={t.attachment} aria-label={t.attachment}>📎</span>}
                    {message.flags.filter((flag) => flag !== '\\Seen').map((flag) => <span key={flag} class="tag">{flag.replace(/^\\/, '')}</span>)}
                  </td>
                  <td class="date">{formatDate(message.date ?? message.internalDate)}</td>
                  <td class="size">{formatBytes(message.size)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="pager">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>{t.previous}</button>
            <span>{t.range(offset + 1, Math.min(offset + PAGE, list.total), list.total)}</span>
            <button type="button" disabled={offset + PAGE >= list.total} onClick={() => setOffset(offset + PAGE)}>{t.next}</button>
          </div>
        </>
      )}
    </div>
  );
}

function addressLine(list: { name: string | null; address: string | null }[]): string {
  return list.map((entry) => (entry.name ? `${entry.name} <${entry.address ?? ''}>` : entry.address ?? '')).join(', ');
}

function MessagePane({ account, day, folder, uid, onRestore }: Props & { uid: number; onRestore: () => void }) {
  const [message, setMessage] = useState<MessageView | null>(null);
  const [error, setError] = useState('');
  const [allowRemote, setAllowRemote] = useState(false);
  const [cid, setCid] = useState<Map<string, string>>(new Map());
  const [source, setSource] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    api.message(account, day, folder, uid).then(async (view) => {
      const images = new Map<string, string>();
      for (const part of view.parts) {
        if (part.contentId && part.type.startsWith('image/')) images.set(part.contentId, await api.dataUrl(partUrl(account, day, folder, uid, part.part, true)));
      }
      if (!current) return;
      setCid(images);
      setMessage(view);
    }, (failure: ApiFailure) => current && setError(failure.message));
    return () => {
      current = false;
    };
  }, [account, day, folder, uid]);

  if (error) return <p role="alert" class="error">{error}</p>;
  if (!message) return <p>{t.loading}</p>;
  const safe = message.html !== null ? sanitizeMail(message.html, { allowRemote, cid }) : null;
  const document = safe ? safe.document : textDocument(message.text ?? '');
  const attachments = message.parts.filter((part) => !(part.inline && part.contentId && cid.has(part.contentId)));
  return (
    <article class="message" aria-label={message.summary.subject ?? t.noSubject}>
      <h3>{message.summary.subject || t.noSubject}</h3>
      <dl class="headers">
        <dt>{t.from}</dt><dd>{addressLine(message.summary.from)}</dd>
        {message.to.length > 0 && <><dt>{t.to}</dt><dd>{addressLine(message.to)}</dd></>}
        {message.cc.length > 0 && <><dt>{t.cc}</dt><dd>{addressLine(message.cc)}</dd></>}
        <dt>{t.date}</dt><dd>{formatDate(message.summary.date ?? message.summary.internalDate)}</dd>
      </dl>
      <div class="toolbar">
        <a class="button" href={emlUrl(account, day, folder, uid)} download>{t.downloadEml}</a>
        <button type="button" onClick={onRestore}>{t.restore}</button>
        <button type="button" aria-expanded={source !== null} onClick={async () => setSource(source === null ? await api.source(emlUrl(account, day, folder, uid)) : null)}>
          {source === null ? t.viewSource : t.hideSource}
        </button>
      </div>
      {message.tooLarge && <p class="note">{t.tooLarge}</p>}
      {message.truncated && !message.tooLarge && <p class="note">{t.truncated}</p>}
      {safe && safe.blockedRemote > 0 && !allowRemote && (
        <p class="note">{t.remoteBlocked(safe.blockedRemote)} <button type="button" onClick={() => setAllowRemote(true)}>{t.showRemote}</button></p>
      )}
      {source !== null ? (
        <pre class="source" tabIndex={0}>{source}</pre>
      ) : (
        <iframe class="body" title={t.messageBody} sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer" srcdoc={document} />
      )}
      {attachments.length > 0 && (
        <section aria-label={t.attachments}>
          <h4>{t.attachments}</h4>
          <ul class="attachments">
            {attachments.map((part) => (
              <li key={part.part}><a href={partUrl(account, day, folder, uid, part.part)} download={part.filename ?? undefined}>{part.filename}</a> <small>{part.type}, {formatBytes(part.size)}</small></li>
            ))}
          </ul>
        </section>
      )}
    </article>
  );
}

function ChangesPane({ account, day, folder, onOpen, onRestore }: Props & { onOpen: (uid: number) => void; onRestore: (uids: number[]) => void }) {
  const [changes, setChanges] = useState<WhatChanged | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let current = true;
    api.changes(account, day, folder).then((answer) => current && setChanges(answer), (failure: ApiFailure) => current && setError(failure.message));
    return () => {
      current = false;
    };
  }, [account, day, folder]);
  return (
    <section class="changes" aria-labelledby="changes-title">
      <h3 id="changes-title">{t.whatChanged}</h3>
      {error && <p role="alert" class="error">{error}</p>}
      {!changes && !error && <p>{t.loading}</p>}
      {changes && (
        <>
          {!changes.liveFolderExists && <p class="note">{t.folderGoneLive}</p>}
          {changes.gone.length === 0 ? <p>{t.nothingGone}</p> : <p>{t.whatChangedIntro(day, folder)}</p>}
          {changes.gone.length > 0 && (
            <table class="messages">
              <thead><tr><th scope="col">{t.columns.from}</th><th scope="col">{t.columns.subject}</th><th scope="col">{t.columns.date}</th><th scope="col">{t.columns.size}</th></tr></thead>
              <tbody>
                {changes.gone.map((message) => (
                  <tr key={message.uid}>
                    <td class="from">{sender(message)}</td>
                    <td class="subject"><a href="#" onClick={(e) => { e.preventDefault(); onOpen(message.uid); }}>{message.subject || t.noSubject}</a></td>
                    <td class="date">{formatDate(message.date ?? message.internalDate)}</td>
                    <td class="size">{formatBytes(message.size)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p>{t.newSince(changes.newSince)}</p>
          {changes.gone.length > 0 && <button type="button" onClick={() => onRestore(changes.gone.map((message) => message.uid))}>{t.restoreThese}</button>}
        </>
      )}
    </section>
  );
}

