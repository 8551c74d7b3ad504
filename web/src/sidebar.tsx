// Tag sidebar: every tag of the dataset with its count (sort by count or name, search anywhere in the
// tag or its Japanese), click to cycle a tag through AND / OR / NOT filters, and batch edits of the
// selected (or all filtered) images. Each tag's ⋯ button (or a right click) opens the tag-wide rename /
// replace / delete (tag_ops.tsx).
import { useEffect, useRef, useState } from 'preact/hooks';
import { BatchOp, BatchResponse, Filter, TagCount, filterIsEmpty, filterQuery, get, post, tagKey } from './api';
import { afterChange, refreshHistory } from './actions';
import { errorText, gallery, state, toast, update, useStore } from './store';
import { TagInput } from './tag_input';
import { TagOpsDialog } from './tag_ops';

type Mode = 'and' | 'or' | 'not' | null;

function modeOf(f: Filter, tag: string): Mode {
  const k = tagKey(tag);
  if (f.all.some((t) => tagKey(t) === k)) return 'and';
  if (f.any.some((t) => tagKey(t) === k)) return 'or';
  if (f.none.some((t) => tagKey(t) === k)) return 'not';
  return null;
}

// Sets the filter state of one tag (null removes it from the filter).
export function setTagMode(tag: string, mode: Mode) {
  const k = tagKey(tag);
  const drop = (a: string[]) => a.filter((t) => tagKey(t) !== k);
  const f = state.filter;
  const next: Filter = { ...f, all: drop(f.all), any: drop(f.any), none: drop(f.none) };
  if (mode === 'and') next.all.push(tag);
  if (mode === 'or') next.any.push(tag);
  if (mode === 'not') next.none.push(tag);
  update({ filter: next, current: 0 });
}

const NEXT: Record<string, Mode> = { null: 'and', and: 'or', or: 'not', not: null };
const ROW = 28;

export function Sidebar() {
  const s = useStore();
  const [sort, setSort] = useState<'count' | 'name'>('count');
  const [search, setSearch] = useState('');
  const [tags, setTags] = useState<TagCount[]>([]);
  const [total, setTotal] = useState(0);
  const list = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 400 });
  const [tagOp, setTagOp] = useState<TagCount | null>(null);

  useEffect(() => {
    let live = true;
    const t = setTimeout(async () => {
      try {
        await gallery.ready();
        const r = await get<{ total: number; tags: TagCount[] }>(
          `/api/tags?sort=${sort}&search=${encodeURIComponent(search)}&limit=100000`,
        );
        if (live) {
          setTags(r.tags ?? []);
          setTotal(r.total ?? r.tags?.length ?? 0);
        }
      } catch (e) {
        if (live) toast('Tags: ' + errorText(e), 'error');
      }
    }, search ? 150 : 0);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [sort, search, s.tagsVersion]);

  useEffect(() => {
    const el = list.current!;
    const ro = new ResizeObserver(() => setScroll({ top: el.scrollTop, height: el.clientHeight }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(scroll.top / ROW) - 5);
  const last = Math.min(tags.length, Math.ceil((scroll.top + scroll.height) / ROW) + 5);
  const max = tags.reduce((m, t) => Math.max(m, t.count), 1);

  return (
    <nav class="sidebar" aria-label="Tag sidebar">
      <div class="side-tools">
        <input
          type="search"
          aria-label="Search tags"
          placeholder="Search tags (髪, hair…)"
          value={search}
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
        />
        <div class="seg" role="group" aria-label="Sort tags">
          <button aria-pressed={sort === 'count'} onClick={() => setSort('count')}>Count</button>
          <button aria-pressed={sort === 'name'} onClick={() => setSort('name')}>Name</button>
        </div>
      </div>
      <p class="muted small side-count">
        {total} tag{total === 1 ? '' : 's'} · click: AND → OR → NOT → off
      </p>
      <div
        class="tag-list"
        ref={list}
        role="list"
        aria-label="Tags"
        onScroll={(e) => {
          const el = e.currentTarget as HTMLDivElement;
          setScroll({ top: el.scrollTop, height: el.clientHeight });
        }}
      >
        <div style={{ height: tags.length * ROW + 'px', position: 'relative' }}>
          {tags.slice(first, last).map((t, i) => {
            const mode = modeOf(s.filter, t.tag);
            return (
              <div role="listitem" key={t.tag} class="tag-row" style={{ top: (first + i) * ROW + 'px' }}>
                <button
                  class={'tag-btn' + (mode ? ' m-' + mode : '')}
                  aria-label={`Filter by ${t.tag}`}
                  data-mode={mode ?? 'off'}
                  title={t.ja ? `${t.tag} · ${t.ja}` : t.tag}
                  onClick={() => setTagMode(t.tag, NEXT[String(mode)])}
                  onContextMenu={(e) => {
                    e.preventDefault();
                    setTagOp(t);
                  }}
                >
                  <span class="bar" style={{ width: (100 * t.count) / max + '%' }} />
                  {mode && <span class="mode">{mode.toUpperCase()}</span>}
                  <span class={'tname cat-' + (t.category ?? 'unknown')}>{t.tag}</span>
                  {t.ja && <span class="tja" lang="ja">{t.ja}</span>}
                  <span class="tcount">{t.count}</span>
                </button>
                <button class="tag-more" aria-label={`Rename, replace or delete ${t.tag} everywhere`}
                  title="Rename, replace or delete everywhere" onClick={() => setTagOp(t)}>⋯</button>
              </div>
            );
          })}
        </div>
      </div>
      <BatchPanel />
      {tagOp && <TagOpsDialog tag={tagOp.tag} count={tagOp.count} onClose={() => setTagOp(null)} />}
    </nav>
  );
}

function BatchPanel() {
  const s = useStore();
  // The scope label follows the gallery's count (it changes when a filter's page arrives).
  const [, setTick] = useState(0);
  useEffect(() => gallery.subscribe(() => setTick((t) => t + 1)) as () => void, []);
  const [kind, setKind] = useState<BatchOp['kind']>('add');
  const [tagsText, setTagsText] = useState('');
  const [withText, setWithText] = useState('');
  const [position, setPosition] = useState<'first' | 'last' | 'index'>('first');
  const [index, setIndex] = useState(1);
  const [busy, setBusy] = useState(false);
  const n = s.selection.size;
  const filtered = Math.max(0, gallery.total);

  const selectFiltered = async () => {
    try {
      const q = filterQuery(s.filter);
      const r = await get<{ total: number; ids: number[] }>('/api/images/ids' + (q ? '?' + q : ''));
      update({ selection: new Set(r.ids) });
    } catch (e) {
      toast('Select: ' + errorText(e), 'error');
    }
  };

  const apply = async () => {
    const tags = tagsText.split(',').map((t) => t.trim()).filter(Boolean);
    if (!tags.length) {
      toast('Batch edit: enter at least one tag', 'error');
      return;
    }
    const op: BatchOp = { kind, tags };
    if (kind === 'add') {
      op.position = position;
      if (position === 'index') op.index = index;
    }
    if (kind === 'replace') op.tags = [tags[0], withText.trim()];
    const target = n > 0 ? { ids: [...s.selection] } : { filter: s.filter };
    setBusy(true);
    try {
      const r = await post<BatchResponse>('/api/batch', { ...target, op });
      const skipped = r.skipped.length;
      toast(`Batch ${kind}: ${r.changed} caption${r.changed === 1 ? '' : 's'} changed${skipped ? `, ${skipped} skipped` : ''}`,
        skipped ? 'error' : 'info', r.skipped_ids);
      afterChange();
      refreshHistory();
    } catch (e) {
      toast('Batch edit: ' + errorText(e), 'error');
    } finally {
      setBusy(false);
    }
  };

  const scope = n > 0 ? `${n} selected` : filterIsEmpty(s.filter) ? `all ${filtered} images` : `${filtered} filtered`;
  return (
    <section class="batch" aria-label="Batch edit">
      <div class="batch-sel">
        <button onClick={selectFiltered}>Select filtered</button>
        <button disabled={n === 0} onClick={() => update({ selection: new Set() })}>Clear ({n})</button>
      </div>
      <div class="batch-row">
        <select aria-label="Batch operation" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as BatchOp['kind'])}>
          <option value="add">Add</option>
          <option value="remove">Remove</option>
          <option value="replace">Replace</option>
          <option value="move_first">Move first</option>
        </select>
        <TagInput label="Batch tags" placeholder={kind === 'replace' ? 'old tag' : 'tags, comma-separated'} keepValue value={tagsText} onChange={setTagsText} onAdd={() => {}} />
      </div>
      {kind === 'replace' && (
        <input type="text" aria-label="Replace with" placeholder="new tag (empty removes)" value={withText}
          onInput={(e) => setWithText((e.target as HTMLInputElement).value)} />
      )}
      {kind === 'add' && (
        <div class="batch-row">
          <select aria-label="Position" value={position} onChange={(e) => setPosition((e.target as HTMLSelectElement).value as any)}>
            <option value="first">first</option>
            <option value="last">last</option>
            <option value="index">at index</option>
          </select>
          {position === 'index' && (
            <input type="number" min={0} aria-label="Index" value={index} onInput={(e) => setIndex(Number((e.target as HTMLInputElement).value))} />
          )}
        </div>
      )}
      <button class="primary" disabled={busy} onClick={apply} aria-label="Apply batch edit">
        Apply to {scope}
      </button>
    </section>
  );
}
