/**
 * The web interface: sign in, pick a day, a folder, a message; see what changed; download; restore.
 * One screen with three panes (days, folders, content) that stack on a phone. Everything it shows
 * comes from the HTTP API (api.ts); every text from strings.ts.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiFailure, setSessionHandlers, type Folder, type TimelineDay } from './api';
import { FolderView } from './folder-view';
import { t } from './strings';

interface Session { account: string; csrfToken: string }

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState('');

  useEffect(() => {
    api.session().then(setSession, () => setSession(null));
  }, []);
  useEffect(() => {
    if (session) setSessionHandlers(session.csrfToken, () => {
      setNotice(t.sessionEnded);
      setSession(null);
    });
  }, [session]);

  if (session === undefined) return <p class="loading">{t.loading}</p>;
  if (session === null) return <SignIn notice={notice} onSignedIn={(s) => { setNotice(''); setSession(s); }} />;
  return <Browser account={session.account} onSignOut={async () => {
    await api.signOut().catch(() => undefined);
    setSession(null);
  }} />;
}

function SignIn({ onSignedIn, notice }: { onSignedIn: (session: Session) => void; notice: string }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(notice);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const session = await api.signIn(username, password);
      setPassword('');
      onSignedIn(session);
    } catch (failure) {
      const refusal = failure as ApiFailure;
      setError(refusal.code === 'unauthorized' ? t.wrongCredentials : refusal.message);
      setPassword('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>{t.appName}</h1>
      <form onSubmit={submit} aria-describedby="signin-hint">
        <h2>{t.signInTitle}</h2>
        <p id="signin-hint">{t.signInHint}</p>
        <label for="username">{t.username}</label>
        <input id="username" name="username" autoComplete="username" required value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
        <label for="password">{t.password}</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        {error && <p role="alert" class="error">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? t.signingIn : t.signIn}</button>
      </form>
    </main>
  );
}

interface FolderEntry extends Folder { depth: number; leaf: string; deletedSince: boolean }

/** The day's folders in hierarchy order, each marked when the latest snapshot no longer has it. */
function folderTree(folders: Folder[], latest: Folder[] | null): FolderEntry[] {
  const latestNames = latest ? new Set(latest.map((folder) => folder.name)) : null;
  // INBOX first, then level by level, so that a folder's children follow it directly.
  const bySegments = (a: Folder, b: Folder): number => {
    const left = a.name.split('/');
    const right = b.name.split('/');
    for (let i = 0; i < Math.min(left.length, right.length); i++) {
      if (left[i] !== right[i]) return left[i] === 'INBOX' ? -1 : right[i] === 'INBOX' ? 1 : left[i].localeCompare(right[i]);
    }
    return left.length - right.length;
  };
  const sorted = [...folders].sort(bySegments);
  const names = new Set(folders.map((folder) => folder.name));
  return sorted.map((folder) => {
    const parts = folder.name.split('/');
    // Under its parent, a folder shows its own name; without a parent in the list, its whole path.
    const parent = parts.slice(0, -1).join('/');
    const nested = parts.length > 1 && names.has(parent);
    return { ...folder, depth: nested ? parts.length - 1 : 0, leaf: nested ? parts[parts.length - 1] : folder.name, deletedSince: latestNames !== null && !latestNames.has(folder.name) };
  });
}

function Browser({ account, onSignOut }: { account: string; onSignOut: () => void }) {
  const [days, setDays] = useState<TimelineDay[] | null>(null);
  const [day, setDay] = useState<string | null>(null);
  const [folders, setFolders] = useState<FolderEntry[] | null>(null);
  const [folder, setFolder] = useState<string | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    api.timeline(account).then((answer) => {
      setDays(answer.days);
    }, (failure: ApiFailure) => setError(failure.message));
  }, [account]);

  useEffect(() => {
    if (!day || !days) return;
    setFolders(null);
    const latest = days[0]?.day;
    // A slower answer for the day picked before must not replace this day's tree.
    let current = true;
    Promise.all([api.folders(account, day), latest && latest !== day ? api.folders(account, latest) : Promise.resolve(null)]).then(
      ([answer, latestAnswer]) => current && setFolders(folderTree(answer.folders, latestAnswer ? latestAnswer.folders : null)),
      (failure: ApiFailure) => current && setError(failure.message),
    );
    return () => {
      current = false;
    };
  }, [account, day, days]);

  return (
    <div class="browser">
      <header class="top">
        <h1>{t.appName}</h1>
        <span class="who">{t.signedInAs(account)}</span>
        <button type="button" onClick={onSignOut}>{t.signOut}</button>
      </header>
      {error && <p role="alert" class="error">{error}</p>}
      <div class="panes">
        <nav class="days" aria-label={t.days}>
          <h2>{t.days}</h2>
          {days && days.length === 0 && <p>{t.noDays}</p>}
          <ul>
            {(days ?? []).map((entry) => (
              <li key={entry.day}>
                <button type="button" class={entry.day === day ? 'current' : ''} aria-current={entry.day === day ? 'date' : undefined} onClick={() => { setDay(entry.day); setFolder(null); }}>
                  <span class="day">{t.dayLabel(entry.day, entry.messages)}</span>
                  <span class="change">{t.dayChange(entry.appeared, entry.disappeared)}</span>
                </button>
              </li>
            ))}
          </ul>
        </nav>
        {day && (
          <nav class="folders" aria-label={t.folders}>
            <h2>{t.folders} <small>{day}</small></h2>
            {!folders && <p>{t.loading}</p>}
            <ul>
              {(folders ?? []).map((entry) => (
                <li key={entry.name} style={{ paddingLeft: `${entry.depth}rem` }}>
                  <button type="button" class={entry.name === folder ? 'current' : ''} aria-current={entry.name === folder ? 'page' : undefined} title={entry.name} onClick={() => setFolder(entry.name)}>
                    <span class="name">{entry.leaf}</span> <span class="count">{t.folderCount(entry.messages)}</span>
                    {!entry.subscribed && <span class="tag">{t.unsubscribed}</span>}
                    {entry.deletedSince && <span class="tag warn">{t.deletedSince}</span>}
                  </button>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <main class="content">
          {day && folder ? <FolderView key={`${day}/${folder}`} account={account} day={day} folder={folder} /> : <p class="hint">{day ? t.pickFolder : t.pickDay}</p>}
        </main>
      </div>
    </div>
  );
}
