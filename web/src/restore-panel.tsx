/** Restore: choose what and where, see the preview, Confirm restore, then follow the job live. */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiFailure, type Preview, type RestoreBody, type RestoreJob } from './api';
import { formatBytes, t } from './strings';

export interface RestoreChoice { uids?: number[] }

type Scope = 'messages' | 'folder' | 'subfolders' | 'account';

export function RestorePanel({ account, day, folder, choice, onClose }: { account: string; day: string; folder: string; choice: RestoreChoice; onClose: () => void }) {
  const [scope, setScope] = useState<Scope>(choice.uids ? 'messages' : 'folder');
  const [mode, setMode] = useState<'merge' | 'separate'>('merge');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [denial, setDenial] = useState<{ message: string; advice?: string } | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [job, setJob] = useState<RestoreJob | null>(null);
  const [busy, setBusy] = useState(false);

  const body = (): RestoreBody => {
    if (scope === 'messages') return { day, folder, uids: choice.uids, mode };
    if (scope === 'folder') return { day, folder, mode };
    if (scope === 'subfolders') return { day, folder, subfolders: true, mode };
    return { day, mode };
  };
  const refused = (failure: unknown) => {
    const error = failure as ApiFailure;
    setDenial({ message: error.message, advice: typeof error.body?.advice === 'string' ? error.body.advice : undefined });
  };

  const askPreview = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setDenial(null);
    setPreview(null);
    try {
      setPreview((await api.preview(account, body())).preview);
    } catch (failure) {
      refused(failure);
    } finally {
      setBusy(false);
    }
  };
  const confirm = async () => {
    setBusy(true);
    setDenial(null);
    try {
      setJobId((await api.submit(account, body())).jobId);
    } catch (failure) {
      refused(failure);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (!jobId) return;
    let stopped = false;
    const poll = async () => {
      try {
        const next = await api.job(account, jobId);
        if (stopped) return;
        setJob(next);
        if (!['done', 'failed', 'denied', 'interrupted'].includes(next.status)) setTimeout(poll, 700);
      } catch (failure) {
        if (!stopped) refused(failure);
      }
    };
    void poll();
    return () => {
      stopped = true;
    };
  }, [account, jobId]);

  const scopes: Array<[Scope, string]> = [
    ...(choice.uids ? [['messages', t.scopeMessages(choice.uids.length)] as [Scope, string]] : []),
    ['folder', t.scopeFolder(folder)],
    ['subfolders', t.scopeSubfolders(folder)],
    ['account', t.scopeAccount],
  ];
  const locked = preview !== null || jobId !== null;
  return (
    <section class="restore" aria-labelledby="restore-title">
      <h3 id="restore-title">{t.restoreTitle} <small>{day}</small></h3>
      <form onSubmit={askPreview}>
        <fieldset disabled={locked}>
          <legend>{t.scope}</legend>
          {scopes.map(([value, label]) => (
            <label key={value} class="choice"><input type="radio" name="scope" value={value} checked={scope === value} onChange={() => setScope(value)} /> {label}</label>
          ))}
        </fieldset>
        <fieldset disabled={locked}>
          <legend>{t.mode}</legend>
          <label class="choice"><input type="radio" name="mode" value="merge" checked={mode === 'merge'} onChange={() => setMode('merge')} /> {t.modeMerge}</label>
          <label class="choice"><input type="radio" name="mode" value="separate" checked={mode === 'separate'} onChange={() => setMode('separate')} /> {t.modeSeparate(day)}</label>
        </fieldset>
        {!locked && <button type="submit" disabled={busy}>{t.preview}</button>}
        <button type="button" onClick={onClose}>{t.cancel}</button>
      </form>
      {denial && (
        <div role="alert" class="error">
          <strong>{t.restoreDenied}:</strong> {denial.message}{denial.advice ? ` — ${denial.advice}` : ''}
        </div>
      )}
      {preview && (
        <div class="preview" aria-label={t.preview}>
          <p>{t.previewSummary(preview)}</p>
          <table>
            <thead><tr><th scope="col">{t.previewColumns.source}</th><th scope="col">{t.previewColumns.target}</th><th scope="col">{t.previewColumns.messages}</th><th scope="col">{t.previewColumns.present}</th><th scope="col">{t.previewColumns.bytes}</th></tr></thead>
            <tbody>
              {preview.folders.map((entry) => (
                <tr key={entry.source}><td>{entry.source}</td><td>{entry.target}</td><td>{entry.messages}</td><td>{entry.alreadyPresent}</td><td>{formatBytes(entry.bytesToRestore)}</td></tr>
              ))}
            </tbody>
          </table>
          {!jobId && <button type="button" class="primary" disabled={busy} onClick={confirm}>{t.confirmRestore}</button>}
        </div>
      )}
      {job && (
        <div class="job" aria-live="polite">
          <p>{t.restoreStatus(job.status)}</p>
          <progress aria-label={t.progress} max={100} value={job.progress.percent}>{job.progress.percent}%</progress> <span class="percent">{job.progress.percent} %</span>
          {job.status === 'done' && job.result && <p>{t.restoreDone(job.result.restored, job.result.alreadyPresent)}</p>}
          {job.reason && <p role="alert" class="error">{job.reason}</p>}
        </div>
      )}
    </section>
  );
}
