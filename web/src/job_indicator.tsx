// The header's tag-job indicator: shown while the server runs a tag job (found again after a reload
// through GET /api/jobs/current, see refreshJob), with its progress; a click opens the job dialog, which
// re-attaches to the job's event stream.
import { useEffect, useState } from 'preact/hooks';
import { JobSummary, get } from './api';
import { update, useStore } from './store';

export function JobIndicator() {
  const s = useStore();
  const [summary, setSummary] = useState<JobSummary | null>(null);
  const id = s.runningJob;
  useEffect(() => {
    if (id === null) return;
    let live = true;
    let timer = 0;
    const tick = async () => {
      const j = await get<JobSummary>('/api/jobs/current').catch(() => null);
      if (!live) return;
      if (j) setSummary(j);
      timer = window.setTimeout(tick, 1000);
    };
    tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id]);
  if (id === null || s.jobOpen) return null;
  const pct = summary && summary.id === id && summary.total ? Math.floor((100 * (summary.done ?? 0)) / summary.total) : null;
  return (
    <button class="job-pill" aria-label="Tag job running" title={`Tag job ${id}: click to follow or cancel it`}
      onClick={() => update({ jobOpen: true })}>
      <span class="job-spinner" aria-hidden="true" />
      Tagging…{pct !== null ? ` ${pct}%` : ''}<span class="wide-only"> (job {id})</span>
    </button>
  );
}
