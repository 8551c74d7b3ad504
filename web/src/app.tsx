// The shell: header (pages, undo/redo, tag job, settings), hash routing, global shortcuts and toasts.
import { useEffect, useState } from 'preact/hooks';
import { filterIsEmpty } from './api';
import { loadSession, refreshHistory, refreshJob, startChangePoll, undo, undoRedo } from './actions';
import { BucketsPage } from './buckets';
import { Editor } from './editor';
import { Gallery } from './gallery';
import { GeneratePage } from './generate';
import { JaPage } from './ja';
import { JobDialog } from './job';
import { JobIndicator } from './job_indicator';
import { Shortcuts, showKeys } from './shortcuts';
import { PreviewPage } from './preview';
import { ReviewPage } from './review';
import { Settings } from './settings';
import { Sidebar, setTagMode } from './sidebar';
import { StatsPage } from './stats';
import { errorText, gallery, state, update, useStore } from './store';

type Page = 'gallery' | 'stats' | 'buckets' | 'preview' | 'ja' | 'review' | 'generate';

function parseHash(): { page: Page; image: number | null } {
  const h = location.hash.replace(/^#\/?/, '');
  const [page, arg] = h.split('/');
  if (page === 'image' && arg !== undefined && /^\d+$/.test(arg)) return { page: 'gallery', image: Number(arg) };
  if (page === 'stats' || page === 'buckets' || page === 'preview' || page === 'ja' || page === 'review' || page === 'generate') return { page, image: null };
  return { page: 'gallery', image: null };
}

function inTextField(t: EventTarget | null) {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

export function App() {
  const s = useStore();
  const [route, setRoute] = useState(parseHash());
  const [fatal, setFatal] = useState('');
  const [settingsOpen, setSettingsOpen] = useState(false);
  // Narrow screens: the tag sidebar slides over the gallery from the filter bar's "Tags" button.
  const [sideOpen, setSideOpen] = useState(false);

  useEffect(() => {
    loadSession()
      .then(() => {
        refreshHistory();
        refreshJob();
        startChangePoll();
      })
      .catch((e) => setFatal(errorText(e)));
    const onHash = () => {
      const r = parseHash();
      setRoute(r);
      if (r.image !== null) {
        const index = gallery.indexOf(r.image);
        update(index >= 0 ? { editorId: r.image, current: index } : { editorId: r.image });
      }
    };
    onHash();
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    gallery.setFilter(s.filter);
  }, [s.filter]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (mod && !e.altKey && e.key.toLowerCase() === 'z' && !inTextField(e.target)) {
        e.preventDefault();
        if (e.shiftKey) undoRedo('redo');
        else undo();
      } else if (mod && e.key.toLowerCase() === 'y' && !inTextField(e.target)) {
        e.preventDefault();
        undoRedo('redo');
      } else if (e.key === 'Escape' && !e.defaultPrevented) {
        if (state.jobOpen) return;
        if (settingsOpen) setSettingsOpen(false);
        else if (sideOpen && state.editorId === null) setSideOpen(false);
        else if (state.editorId !== null) {
          update({ editorId: null });
          if (location.hash.startsWith('#/image/')) history.replaceState(null, '', '#/gallery');
          (document.querySelector('.gallery') as HTMLElement | null)?.focus();
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [settingsOpen, sideOpen]);

  if (fatal) {
    return (
      <main class="fatal">
        <h1>Tagmetry</h1>
        <p class="error">Cannot reach the server: {fatal}</p>
        <p>Is <code>tagmetry serve</code> still running? Reload the page once it is.</p>
      </main>
    );
  }
  const sess = s.session;
  const page = route.page;
  const link = (p: Page, label: string) => (
    <a href={'#/' + p} class={page === p ? 'active' : ''} aria-current={page === p ? 'page' : undefined}>{label}</a>
  );

  return (
    <div class="app">
      <header class="top">
        {page === 'gallery' && (
          <button class="side-toggle icon" aria-controls="tag-sidebar" aria-expanded={sideOpen} aria-label="Tag list"
            title="Tag list and batch edit" onClick={() => setSideOpen(!sideOpen)}>
            {sideOpen ? '✕' : '☰'}
          </button>
        )}
        <div class="brand" title={sess?.root}>
          <strong>Tagmetry</strong> <span class="muted">{sess?.name ?? '…'}</span>
        </div>
        <nav class="pages" aria-label="Pages">
          {link('gallery', 'Gallery')}
          {link('stats', 'Stats')}
          {link('buckets', 'Buckets')}
          {link('preview', 'Preview')}
          {link('ja', 'Japanese → tags')}
          {link('review', 'Review')}
          {link('generate', 'Generate')}
        </nav>
        <span class="grow" />
        <button aria-label="Undo" title="Undo (Ctrl+Z)" disabled={!s.canUndo} onClick={() => undo()}>↶<span class="wide-only"> Undo</span></button>
        <button aria-label="Redo" title="Redo (Ctrl+Shift+Z)" disabled={!s.canRedo} onClick={() => undoRedo('redo')}>↷<span class="wide-only"> Redo</span></button>
        <JobIndicator />
        <button aria-label="Tag images…" onClick={() => update({ jobOpen: true })}>Tag<span class="wide-only"> images</span>…</button>
        <button aria-label="Settings" class="icon" onClick={() => setSettingsOpen(!settingsOpen)}>⚙</button>
        <button aria-label="Keyboard shortcuts" class="icon" title="Keyboard shortcuts (?)"
          onClick={showKeys}>?</button>
      </header>
      {settingsOpen && <Settings onClose={() => setSettingsOpen(false)} />}
      {page === 'gallery' && (
        <div class="workspace">
          <div id="tag-sidebar" class={'side-wrap' + (sideOpen ? ' open' : '')}>
            <Sidebar />
          </div>
          <section class="main" aria-label="Images">
            <FilterBar />
            <Gallery />
          </section>
          {s.editorId !== null && <Editor id={s.editorId} key={s.editorId} />}
        </div>
      )}
      {page === 'stats' && <StatsPage />}
      {page === 'buckets' && <BucketsPage />}
      {page === 'generate' && <GeneratePage />}
      {page === 'preview' && <PreviewPage />}
      {page === 'ja' && <JaPage />}
      {page === 'review' && <ReviewPage />}
      {s.jobOpen && <JobDialog />}
      <Shortcuts />
      <div class="toasts" role="status" aria-live="polite">
        {s.toasts.map((t) => (
          <div key={t.id} class={'toast ' + t.kind}>
            {t.text}
            {t.ids && t.ids.length > 0 && (
              <span class="toast-ids">
                {' '}
                {t.ids.slice(0, 8).map((id) => (
                  <a key={id} href={'#/image/' + id}>#{id}</a>
                ))}
              </span>
            )}
          </div>
        ))}
      </div>
    </div>
  );
}

function FilterBar() {
  const s = useStore();
  const [, setTick] = useState(0);
  useEffect(() => gallery.subscribe(() => setTick((t) => t + 1)) as () => void, []);
  const f = s.filter;
  const chip = (tag: string, mode: 'and' | 'or' | 'not') => (
    <span key={mode + tag} class={'fchip m-' + mode}>
      <span class="mode">{mode.toUpperCase()}</span> {tag}
      <button class="chip-x" aria-label={`Remove filter ${tag}`} onClick={() => setTagMode(tag, null)}>×</button>
    </span>
  );
  const total = gallery.total;
  return (
    <div class="filterbar">
      <span class="count" aria-label="Image count">
        {total < 0 ? '…' : filterIsEmpty(f) ? `${total} images` : `${total} of ${s.session?.images ?? '?'} images`}
      </span>
      {f.all.map((t) => chip(t, 'and'))}
      {f.any.map((t) => chip(t, 'or'))}
      {f.none.map((t) => chip(t, 'not'))}
      <span class="grow" />
      <input
        type="search"
        aria-label="Search captions"
        placeholder="Caption text…"
        value={f.text}
        onInput={(e) => update({ filter: { ...f, text: (e.target as HTMLInputElement).value }, current: 0 })}
      />
      <select aria-label="Captioned" value={f.captioned} onChange={(e) => update({ filter: { ...f, captioned: (e.target as HTMLSelectElement).value as any }, current: 0 })}>
        <option value="">all</option>
        <option value="yes">captioned</option>
        <option value="no">no caption</option>
      </select>
      {!filterIsEmpty(f) && (
        <button onClick={() => update({ filter: { all: [], any: [], none: [], text: '', captioned: '' }, current: 0 })}>Clear filters</button>
      )}
    </div>
  );
}
