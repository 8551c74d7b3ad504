// Review page (#/review, #/review/TAG): one tag at a time on a grid of the images where its score is
// borderline (GET /api/review), most important tag first. Keyboard-driven: A accept, R reject, S or →
// skip, ← back, U / Ctrl+Z / Backspace undo the last decision, N next tag. Decisions are written to the
// caption through the server's journal (POST /api/review/decide) and remembered, so a retag keeps them.
// The cursor moves on at once; the requests go out in order behind it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post, thumbUrl } from './api';
import { errorText, toast } from './store';
import './review.css';

interface QueueItem {
  id: number | null;
  image: string;
  caption: string;
  score: number;
  in_caption: boolean;
  disagreement: number;
}
interface QueueTag {
  tag: string;
  category: string;
  threshold: number;
  frequency: number;
  borderline: number;
  decided: number;
  priority: number;
  items: QueueItem[];
}
interface Queue {
  model: string;
  images: number;
  margin: number;
  seconds: number;
  tags: QueueTag[];
}
type Verdict = 'accept' | 'reject';
interface Decided {
  index: number;  // card index in the current tag
  verdict: Verdict;
}

const tagFromHash = () => decodeURIComponent(location.hash.replace(/^#\/?review\/?/, '') || '');

// Requests in order, one at a time: a decision and its undo never overtake each other.
let chain: Promise<unknown> = Promise.resolve();
function enqueue<T>(fn: () => Promise<T>): Promise<T> {
  const p = chain.then(fn);
  chain = p.catch(() => undefined);
  return p;
}

export function ReviewPage() {
  const [queue, setQueue] = useState<Queue | null>(null);
  const [err, setErr] = useState('');
  const [tagName, setTagName] = useState(tagFromHash());
  const [cursor, setCursor] = useState(0);
  const [decided, setDecided] = useState<Map<number, Verdict>>(new Map());
  const stack = useRef<Decided[]>([]);
  const [pending, setPending] = useState(0);
  const pageRef = useRef<HTMLDivElement>(null);

  const load = (tag: string) =>
    get<Queue>('/api/review?max_images=120' + (tag ? '&tag=' + encodeURIComponent(tag) : ''))
      .then((q) => {
        setErr('');
        if (tag) {
          // The list on the left stays the whole queue; only the chosen tag's cards are refreshed.
          setQueue((old) => (old && old.tags.some((t) => t.tag === tag)
            ? { ...old, tags: old.tags.map((t) => (t.tag === tag ? q.tags[0] ?? { ...t, items: [] } : t)) }
            : q));
        } else {
          setQueue(q);
        }
      })
      .catch((e) => setErr(errorText(e)));

  useEffect(() => {
    load('').then(() => {
      if (tagName) load(tagName);
    });
    const onHash = () => {
      if (location.hash.startsWith('#/review')) setTagName(tagFromHash());
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const tag = queue?.tags.find((t) => t.tag === tagName) ?? queue?.tags[0] ?? null;
  // A new tag: a fresh grid.
  useEffect(() => {
    setCursor(0);
    setDecided(new Map());
    stack.current = [];
    pageRef.current?.focus();
  }, [tag?.tag]);

  useEffect(() => {
    document.querySelector(`[data-card="${cursor}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [cursor, tag?.tag]);

  const nextUndecided = (from: number, marks: Map<number, Verdict>) => {
    if (!tag) return from;
    for (let i = from + 1; i < tag.items.length; ++i) if (!marks.has(i)) return i;
    return Math.min(from + 1, tag.items.length - 1);
  };

  const decide = (verdict: Verdict) => {
    if (!tag || !tag.items[cursor]) return;
    const index = cursor;
    const item = tag.items[index];
    const marks = new Map(decided);
    marks.set(index, verdict);
    setDecided(marks);
    stack.current.push({ index, verdict });
    setCursor(nextUndecided(index, marks));
    setPending((n) => n + 1);
    enqueue(() => post<{ written: boolean }>('/api/review/decide', { image: item.image, tag: tag.tag, decision: verdict }))
      .catch((e) => {
        toast(`${item.image}: ${errorText(e)}`, 'error');
        setDecided((m) => {
          const copy = new Map(m);
          copy.delete(index);
          return copy;
        });
        stack.current = stack.current.filter((d) => d.index !== index);
      })
      .finally(() => setPending((n) => n - 1));
  };

  const undoLast = () => {
    const last = stack.current.pop();
    if (!last) {
      toast('Nothing to undo on this tag');
      return;
    }
    setDecided((m) => {
      const copy = new Map(m);
      copy.delete(last.index);
      return copy;
    });
    setCursor(last.index);
    setPending((n) => n + 1);
    enqueue(() => post('/api/review/undo'))
      .catch((e) => toast('Undo: ' + errorText(e), 'error'))
      .finally(() => setPending((n) => n - 1));
  };

  const goTag = (name: string) => {
    location.hash = '#/review/' + encodeURIComponent(name);
  };
  const nextTag = () => {
    if (!queue || !tag) return;
    const i = queue.tags.findIndex((t) => t.tag === tag.tag);
    const next = queue.tags[i + 1];
    if (next) goTag(next.tag);
  };

  const onKey = (e: KeyboardEvent) => {
    const el = e.target as HTMLElement;
    if (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA') return;
    const key = e.key.toLowerCase();
    const mod = e.ctrlKey || e.metaKey;
    let handled = true;
    if (mod && key === 'z') undoLast();  // here Ctrl+Z takes back a review decision
    else if (mod || e.altKey) handled = false;
    else if (key === 'a' || key === 'y') decide('accept');
    else if (key === 'r' || key === 'x') decide('reject');
    else if (key === 's' || key === 'arrowright' || key === ' ') setCursor((c) => Math.min(c + 1, (tag?.items.length ?? 1) - 1));
    else if (key === 'arrowleft') setCursor((c) => Math.max(c - 1, 0));
    else if (key === 'u' || key === 'backspace') undoLast();
    else if (key === 'n') nextTag();
    else handled = false;
    if (handled) {
      e.preventDefault();
      e.stopPropagation();  // keeps the app's global Ctrl+Z (journal undo) out of it
    }
  };

  if (err && !queue) return <main class="page"><p class="error">{err}</p></main>;
  if (!queue) return <main class="page"><p class="muted">Building the review queue…</p></main>;
  if (queue.tags.length === 0)
    return (
      <main class="page">
        <h1>Review</h1>
        <p class="muted">Nothing to review: no stored score lies within {queue.margin} of its threshold (or all are decided).</p>
      </main>
    );
  const done = tag ? tag.items.filter((_, i) => decided.has(i)).length : 0;
  return (
    <div class="review" ref={pageRef} tabIndex={0} onKeyDown={onKey} aria-label="Review">
      <nav class="review-tags" aria-label="Tags to review">
        <p class="muted">{queue.model}: {queue.tags.length} tags</p>
        <ul>
          {queue.tags.map((t) => (
            <li key={t.tag}>
              <button class={t.tag === tag?.tag ? 'active' : ''} aria-current={t.tag === tag?.tag ? 'true' : undefined}
                onClick={() => goTag(t.tag)} title={`priority ${t.priority.toFixed(1)}, on ${t.frequency} images`}>
                <span class="rt-name">{t.tag}</span> <span class="muted">{t.borderline}</span>
              </button>
            </li>
          ))}
        </ul>
      </nav>
      {tag && (
        <section class="review-main" aria-label={`Review ${tag.tag}`}>
          <header class="review-head">
            <h1 class="review-tag">{tag.tag}</h1>
            <span class="muted">
              threshold {tag.threshold.toFixed(2)} · {tag.borderline} borderline · {done} decided now
              {tag.decided ? ` · ${tag.decided} before` : ''}{pending > 0 ? ' · saving…' : ''}
            </span>
            <span class="grow" />
            <span class="review-keys muted">A accept · R reject · S skip · U undo · N next tag</span>
          </header>
          <ul class="review-grid" role="listbox" aria-label="Images">
            {tag.items.map((item, i) => {
              const v = decided.get(i);
              const inAfter = v ? v === 'accept' : item.in_caption;
              return (
                <li key={item.image} data-card={i} role="option" aria-selected={i === cursor}
                  class={'review-card' + (i === cursor ? ' current' : '') + (v ? ' decided ' + v : '')}
                  onClick={() => setCursor(i)}>
                  {item.id !== null && <img src={thumbUrl(item.id, 256)} alt={item.image} loading="lazy" />}
                  <div class="review-meta">
                    <span class="review-score" title="score / threshold">
                      <span class="bar"><span style={{ width: `${Math.round(item.score * 100)}%` }} /><i style={{ left: `${tag.threshold * 100}%` }} /></span>
                      {item.score.toFixed(3)}
                    </span>
                    <span class={'review-state ' + (inAfter ? 'in' : 'out')}>{v ? (v === 'accept' ? '✓ accepted' : '✗ rejected') : inAfter ? 'in caption' : 'not in caption'}</span>
                  </div>
                  <div class="review-path muted">{item.image}</div>
                </li>
              );
            })}
          </ul>
        </section>
      )}
    </div>
  );
}
