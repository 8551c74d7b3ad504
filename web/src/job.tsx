// Tag job dialog: run `tag` on the dataset from the UI (model, thresholds, overwrite/append), follow
// progress over Server-Sent Events (rate, ETA), cancel, and update gallery items as results land. The
// dialog can be closed while the job runs (editing goes on); reopened or after a reload it re-attaches to
// the running job (GET /api/jobs/current; the event stream replays from the start).
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, ImageDetail, Item, JobEndEvent, JobItemEvent, JobProgress, JobReport, JobSummary, TagJobParams, get, post } from './api';
import { afterChange, refreshHistory, refreshJob } from './actions';
import { Dialog } from './dialog';
import { effectiveTrigger, errorText, gallery, state, update } from './store';

// The model choice is remembered in this browser (localStorage) for the next job.
const remembered = (key: string, fallback: string) => localStorage.getItem('tagmetry.job.' + key) ?? fallback;
const remember = (key: string, value: string) => localStorage.setItem('tagmetry.job.' + key, value);

// The path and caption state of each selected image: from the gallery's loaded pages, else asked for.
async function selectedImages(ids: number[]): Promise<{ path: string; has_caption: boolean }[]> {
  const out: { path: string; has_caption: boolean }[] = [];
  for (let i = 0; i < ids.length; i += 16) {
    const part = await Promise.all(
      ids.slice(i, i + 16).map(async (id): Promise<Item | ImageDetail> => {
        const at = gallery.indexOf(id);
        const it = at >= 0 ? gallery.get(at) : undefined;
        return it ?? get<ImageDetail>(`/api/image/${id}`);
      }),
    );
    out.push(...part.map((p) => ({ path: p.path, has_caption: p.has_caption })));
  }
  return out;
}

interface Model {
  name: string;
  cached: boolean;
  in_database?: boolean;
}
type Progress = JobProgress;

function eta(sec: number | null) {
  if (sec === null || !isFinite(sec) || sec < 0) return '–';
  if (sec < 60) return Math.round(sec) + ' s';
  const m = Math.floor(sec / 60);
  return m < 60 ? `${m} min ${Math.round(sec % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function JobDialog() {
  const [models, setModels] = useState<Model[]>([]);
  const [source, setSourceState] = useState<'name' | 'dir'>(remembered('source', 'name') === 'dir' ? 'dir' : 'name');
  const [model, setModelState] = useState(remembered('model', ''));
  const [modelDir, setModelDirState] = useState(remembered('modelDir', state.session?.model_dir ?? ''));
  const setSource = (v: 'name' | 'dir') => (remember('source', v), setSourceState(v));
  const setModel = (v: string) => (remember('model', v), setModelState(v));
  const setModelDir = (v: string) => (remember('modelDir', v), setModelDirState(v));
  const selected = [...state.selection];
  const [onlySelected, setOnlySelected] = useState(selected.length > 0);
  const trigger = effectiveTrigger();
  const [addTrigger, setAddTrigger] = useState(remembered('addTrigger', '1') === '1');
  // Overwrite asks first, naming how many captions it would replace.
  const [confirming, setConfirming] = useState<number | null>(null);
  const [general, setGeneral] = useState('');
  const [character, setCharacter] = useState('');
  const [mode, setMode] = useState<'skip' | 'append' | 'overwrite'>('skip');
  const [precision, setPrecision] = useState<NonNullable<TagJobParams['precision']>>('fp32');
  const [notes, setNotes] = useState<string[]>([]);
  const [job, setJob] = useState<number | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [jobState, setJobState] = useState('');
  const [report, setReport] = useState<JobReport | null>(null);
  const [recent, setRecent] = useState<{ id: number; path: string; outcome: string }[]>([]);
  const [err, setErr] = useState('');
  const es = useRef<EventSource | null>(null);

  useEffect(() => {
    get<{ models: Model[]; default: string }>('/api/models')
      .then((r) => {
        setModels(r.models ?? []);
        if (!localStorage.getItem('tagmetry.job.model')) setModelState(r.default ?? r.models?.[0]?.name ?? '');
      })
      .catch(() => setSourceState('dir'));
    // Re-attach to a job that is already running (started before a reload, or before the dialog closed).
    get<JobSummary>('/api/jobs/current')
      .then((j) => {
        if (j.id === null || (j.state !== 'running' && j.state !== 'cancelling')) return;
        setJob(j.id);
        setJobState(j.state);
        follow(j.id);
      })
      .catch(() => {});
    return () => es.current?.close();
  }, []);

  const follow = (id: number) => {
    const src = new EventSource(`/api/jobs/${id}/events`);
    es.current = src;
    src.addEventListener('progress', (e) => setProgress(JSON.parse((e as MessageEvent).data)));
    src.addEventListener('note', (e) => {
      const n = JSON.parse((e as MessageEvent).data);
      if (typeof n.message === 'string') setNotes((all) => [...all, n.message]);
    });
    src.addEventListener('item', (e) => {
      const it: JobItemEvent = JSON.parse((e as MessageEvent).data);
      if (typeof it.caption === 'string' && it.id !== null) {
        gallery.patch(it.id, { caption: it.caption, version: it.version, has_caption: true, ...(it.tags ? { tags: it.tags } : {}) });
      }
      if (it.outcome !== 'skipped') setRecent((r) => [{ id: it.id ?? -1, path: it.path, outcome: it.outcome }, ...r].slice(0, 6));
    });
    src.addEventListener('end', (e) => {
      const d: JobEndEvent = JSON.parse((e as MessageEvent).data);
      setJobState(d.state);
      setReport(d.report ?? null);
      if (d.error) setErr(d.error);
      src.close();
      refreshJob();
      afterChange();
      refreshHistory();
    });
    src.onerror = async () => {
      // The stream closed without an end event (server restart, network): ask for the final state.
      if (src.readyState !== EventSource.CLOSED) return;
      try {
        const j = await get<JobSummary>(`/api/jobs/${id}`);
        setJobState(j.state);
        setReport(j.report ?? null);
        if (j.error) setErr(j.error);
      } catch {
        /* keep what we have */
      }
    };
  };

  const start = async (confirmed = false) => {
    setErr('');
    const body: Partial<TagJobParams> = {};
    let images: { path: string; has_caption: boolean }[] | null = null;
    if (onlySelected && selected.length) {
      try {
        images = await selectedImages(selected);
      } catch (e) {
        return setErr('The selection: ' + errorText(e));
      }
      body.image = images.map((i) => i.path);
    }
    if (mode === 'overwrite' && !confirmed) {
      setConfirming(images ? images.filter((i) => i.has_caption).length : state.session?.captions ?? 0);
      return;
    }
    setConfirming(null);
    if (trigger && addTrigger) body.trigger = trigger;
    if (source === 'name') body.model = model;
    else body.model_dir = modelDir;
    if (general) body.general_threshold = Number(general);
    if (character) body.character_threshold = Number(character);
    if (mode === 'append') body.append = true;
    if (mode === 'overwrite') body.overwrite = true;
    if (precision !== 'fp32') body.precision = precision;
    try {
      const r = await post<{ job: number }>('/api/jobs/tag', body as TagJobParams);
      setJob(r.job);
      setJobState('running');
      update({ runningJob: r.job });
      setProgress(null);
      setReport(null);
      setRecent([]);
      setNotes([]);
      follow(r.job);
    } catch (e) {
      setErr(errorText(e));
      // Another tab started a job meanwhile: show that one (it can be followed and cancelled here).
      if (e instanceof ApiError && e.status === 409) {
        const j = await get<JobSummary>('/api/jobs/current').catch(() => null);
        if (j && j.id !== null) {
          setJob(j.id);
          setJobState(j.state);
          update({ runningJob: j.id });
          follow(j.id);
        }
      }
    }
  };

  const cancel = async () => {
    if (job === null) return;
    try {
      const r = await post<{ state: string }>(`/api/jobs/${job}/cancel`);
      // The answer carries the state at that moment (still running while the current batch ends).
      setJobState(['done', 'failed', 'cancelled'].includes(r.state) ? r.state : 'cancelling');
    } catch (e) {
      setErr(errorText(e));
    }
  };

  const running = jobState === 'running' || jobState === 'cancelling';
  const pct = progress && progress.total > 0 ? (100 * progress.done) / progress.total : 0;
  const close = () => {
    es.current?.close();
    update({ jobOpen: false });
  };

  return (
    <Dialog label="Tag images" onClose={close}>
        <h2>Tag images with a model</h2>
        <fieldset disabled={running}>
          <div class="seg" role="radiogroup" aria-label="Model source">
            <button aria-pressed={source === 'name'} onClick={() => setSource('name')}>Model name</button>
            <button aria-pressed={source === 'dir'} onClick={() => setSource('dir')}>Model folder</button>
          </div>
          {source === 'name' ? (
            <label>
              Model
              <input type="text" aria-label="Model name" list="tm-models" value={model} onInput={(e) => setModel((e.target as HTMLInputElement).value)} />
              <datalist id="tm-models">
                {models.map((m) => <option key={m.name} value={m.name}>{m.cached ? 'downloaded' : 'will download'}</option>)}
              </datalist>
            </label>
          ) : (
            <label>
              Model folder (model.onnx + labels)
              <input type="text" aria-label="Model folder" value={modelDir} placeholder="/path/to/model" onInput={(e) => setModelDir((e.target as HTMLInputElement).value)} />
            </label>
          )}
          <div class="row">
            <label>
              General threshold
              <input type="number" step={0.01} min={0} max={1} aria-label="Job general threshold" placeholder="model's" value={general} onInput={(e) => setGeneral((e.target as HTMLInputElement).value)} />
            </label>
            <label>
              Character threshold
              <input type="number" step={0.01} min={0} max={1} aria-label="Job character threshold" placeholder="model's" value={character} onInput={(e) => setCharacter((e.target as HTMLInputElement).value)} />
            </label>
          </div>
          <div class="seg" role="radiogroup" aria-label="Existing captions">
            <button aria-pressed={mode === 'skip'} onClick={() => setMode('skip')}>Keep existing</button>
            <button aria-pressed={mode === 'append'} onClick={() => setMode('append')}>Append</button>
            <button aria-pressed={mode === 'overwrite'} onClick={() => setMode('overwrite')}>Overwrite (.bak kept)</button>
          </div>
          {selected.length > 0 && (
            <label class="check">
              <input type="checkbox" checked={onlySelected} onChange={(e) => setOnlySelected((e.target as HTMLInputElement).checked)} />
              Only the {selected.length} selected image{selected.length === 1 ? '' : 's'}
            </label>
          )}
          {trigger && (
            <label class="check">
              <input type="checkbox" checked={addTrigger} onChange={(e) => {
                const on = (e.target as HTMLInputElement).checked;
                remember('addTrigger', on ? '1' : '0');
                setAddTrigger(on);
              }} />
              Put the trigger “{trigger}” first in new captions
            </label>
          )}
          <label>
            Precision
            <select aria-label="Precision" value={precision} onChange={(e) => setPrecision((e.target as HTMLSelectElement).value as 'fp32' | 'fp16' | 'int8')}>
              <option value="fp32">fp32 (exact)</option>
              <option value="fp16">fp16 (faster on GPU; built once, agreement checked on your images)</option>
              <option value="int8">int8 (faster on CPU; built once, agreement checked on your images)</option>
            </select>
          </label>
        </fieldset>
        {jobState && (
          <div class="job-progress">
            <progress aria-label="Tagging progress" max={progress?.total || 1} value={progress?.done ?? 0} />
            <p class="small">
              {progress ? `${progress.done} / ${progress.total} (${pct.toFixed(0)}%)` : 'Starting…'}
              {progress && progress.rate > 0 && ` · ${progress.rate.toFixed(1)} img/s · ETA ${eta(progress.eta_seconds)}`}
              {' · '}<span aria-label="Job state">{jobState}</span>
            </p>
            {notes.map((n, i) => <p key={i} class="note small" role="status">{n}</p>)}
            <ul class="recent small">
              {recent.map((r) => <li key={r.id}><a href={'#/image/' + r.id}>{r.path}</a> <span class="muted">{r.outcome}</span></li>)}
            </ul>
            {report && <JobReportView report={report} />}
          </div>
        )}
        {confirming !== null && (
          <div class="confirm" role="alert">
            <p>
              Overwrite the captions of {confirming} image{confirming === 1 ? '' : 's'}? A <code>.bak</code> copy of each is
              kept, and Undo reverts the whole job.
            </p>
            <div class="ed-actions">
              <span class="grow" />
              <button onClick={() => setConfirming(null)}>Back</button>
              <button class="primary" data-autofocus onClick={() => start(true)}>Overwrite {confirming} caption{confirming === 1 ? '' : 's'}</button>
            </div>
          </div>
        )}
        {err && <p class="error" role="alert">{err}</p>}
        <div class="ed-actions">
          <span class="grow" />
          {running ? (
            <>
              <button onClick={close} title="The job keeps running; reopen it from the header">Close</button>
              <button onClick={cancel} disabled={jobState === 'cancelling'}>Cancel job</button>
            </>
          ) : (
            <>
              <button onClick={close}>Close</button>
              <button class="primary" onClick={() => start()} disabled={confirming !== null}>{jobState ? 'Run again' : 'Start tagging'}</button>
            </>
          )}
        </div>
    </Dialog>
  );
}

function JobReportView({ report }: { report: JobReport }) {
  const shown: (keyof JobReport)[] = ['images', 'tagged', 'appended', 'overwritten', 'skipped_existing', 'reused',
    'failed', 'seconds', 'model_name', 'device', 'provider'];
  const entries = shown
    .map((k) => [k, report[k]] as const)
    .filter(([, v]) => (typeof v === 'number' && v !== 0) || (typeof v === 'string' && v));
  return (
    <dl class="report small">
      {entries.slice(0, 12).map(([k, v]) => (
        <>
          <dt key={k + 't'}>{k.replace(/_/g, ' ')}</dt>
          <dd key={k + 'd'}>{typeof v === 'number' && !Number.isInteger(v) ? (v as number).toFixed(2) : String(v)}</dd>
        </>
      ))}
    </dl>
  );
}
