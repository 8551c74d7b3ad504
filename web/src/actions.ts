// Actions shared by several pages: session start, undo/redo, history and the change poll.
import { ApiError, History, JobSummary, Session, UndoResponse, get, post, setToken } from './api';
import { errorText, gallery, state, toast, update } from './store';

export async function loadSession() {
  const s = await get<Session>('/api/session');
  setToken(s.token);
  update({ session: s, generation: s.generation ?? 0 });
}

// The session's image and caption counts, after images were added to or removed from the folder.
async function refreshSessionCounts() {
  try {
    const s = await get<Session>('/api/session');
    if (state.session) update({ session: { ...state.session, images: s.images, captions: s.captions } });
  } catch {
    /* the next poll tries again */
  }
}

export async function refreshHistory() {
  try {
    const h = await get<History>('/api/history');
    update({ canUndo: !!h.can_undo, canRedo: !!h.can_redo });
  } catch {
    /* history is advisory: the buttons stay as they are */
  }
}

// The open editor's undo of its own unsaved edits: returns true when it handled the undo (an unsaved
// edit was reverted, or refused because unsaved edits are open), so no saved dataset operation is undone.
let localUndo: (() => boolean) | null = null;
export function setLocalUndo(fn: (() => boolean) | null) {
  localUndo = fn;
}

// Ctrl+Z and the Undo button: the editor's unsaved edits first, then the dataset's newest operation.
export function undo() {
  if (localUndo && localUndo()) return;
  undoRedo('undo');
}

// Follows the server's running tag job (GET /api/jobs/current) so the header shows it after a reload and
// the job dialog can re-attach; polls every 2 s while one runs.
let jobPoll = 0;
export async function refreshJob() {
  clearTimeout(jobPoll);
  try {
    const j = await get<JobSummary>('/api/jobs/current');
    const running = j.id !== null && (j.state === 'running' || j.state === 'cancelling');
    update({ runningJob: running ? j.id : null });
    if (running) jobPoll = window.setTimeout(refreshJob, 2000);
  } catch {
    jobPoll = window.setTimeout(refreshJob, 5000);
  }
}

// Undoes (or redoes) the newest operation. A 409 lists the files changed since: nothing was written.
export async function undoRedo(which: 'undo' | 'redo') {
  try {
    const r = await post<UndoResponse>('/api/' + which);
    const n = r.reverted?.length ?? 0;
    const what = r.command ? `${r.command} (#${r.operation})` : `operation #${r.operation}`;
    toast(`${which === 'undo' ? 'Undid' : 'Redid'} ${what}: ${n} file${n === 1 ? '' : 's'}`);
    afterChange();
  } catch (e) {
    if (e instanceof ApiError && e.status === 409 && !e.body?.changed_ids) {
      toast(`Cannot ${which}: ${e.message}`, 'error');
    } else if (e instanceof ApiError && e.status === 409) {
      const ids: number[] = e.body?.changed_ids ?? [];
      toast(
        `Cannot ${which}: ${ids.length || 'some'} caption${ids.length === 1 ? ' was' : 's were'} changed since. Nothing was written.`,
        'error',
        ids,
      );
    } else if (e instanceof ApiError && e.status === 404) {
      toast(`Nothing to ${which}.`);
    } else {
      toast(`${which}: ${errorText(e)}`, 'error');
    }
  }
  refreshHistory();
}

// Called after anything changed captions: refetch what is in view, the tag list and the history.
export function afterChange() {
  gallery.refresh();
  update({ tagsVersion: state.tagsVersion + 1 });
}

interface Changes {
  generation: number;
  ids: number[];
  all?: boolean;
}

let polling = false;
// Polls /api/changes every 2 s so captions edited elsewhere (another tab, a script) show up.
export function startChangePoll() {
  if (polling) return;
  polling = true;
  const tick = async () => {
    try {
      const c = await get<Changes>(`/api/changes?since=${state.generation}`);
      if (c.generation !== state.generation) {
        update({ generation: c.generation });
        if (c.all || (c.ids && c.ids.length)) {
          afterChange();
          refreshHistory();
          refreshSessionCounts();
        }
      }
    } catch {
      /* server gone for a moment: try again later */
    }
    setTimeout(tick, 2000);
  };
  setTimeout(tick, 2000);
}
