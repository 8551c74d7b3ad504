// Application state shared by the pages: one small observable store (no framework dependency beyond
// Preact's hooks) and the gallery's paged item cache.
import { useEffect, useState } from 'preact/hooks';
import { Filter, Item, Session, emptyFilter, filterQuery, get } from './api';

export interface Toast {
  id: number;
  kind: 'info' | 'error';
  text: string;
  ids?: number[];
}

export interface State {
  session: Session | null;
  filter: Filter;
  selection: Set<number>;
  editorId: number | null;
  current: number; // index in the gallery of the keyboard cursor
  generation: number;
  canUndo: boolean;
  canRedo: boolean;
  tagsVersion: number; // bumped after any caption change: tag list, stats and editor re-check
  toasts: Toast[];
  jobOpen: boolean;
  runningJob: number | null; // the server's running tag job (also after a reload)
  trigger: string; // user setting (localStorage) falling back to the session's trigger
  lora: string;
  loraWeight: number;
}

type Listener = () => void;
const listeners = new Set<Listener>();

export const state: State = {
  session: null,
  filter: emptyFilter(),
  selection: new Set(),
  editorId: null,
  current: 0,
  generation: 0,
  canUndo: false,
  canRedo: false,
  tagsVersion: 0,
  toasts: [],
  jobOpen: false,
  runningJob: null,
  trigger: localStorage.getItem('tagmetry.trigger') ?? '',
  lora: localStorage.getItem('tagmetry.lora') ?? '',
  loraWeight: Number(localStorage.getItem('tagmetry.loraWeight') ?? '0.8') || 0.8,
};

// Merges `patch` into the state and re-renders the subscribers.
export function update(patch: Partial<State>) {
  Object.assign(state, patch);
  for (const l of listeners) l();
}

// Subscribes a component to the store; returns the current state.
export function useStore(): State {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return state;
}

let toastSeq = 0;
// Shows a message for a few seconds (errors stay longer).
export function toast(text: string, kind: Toast['kind'] = 'info', ids?: number[]) {
  const t: Toast = { id: ++toastSeq, kind, text, ids };
  update({ toasts: [...state.toasts, t].slice(-4) });
  setTimeout(() => update({ toasts: state.toasts.filter((x) => x !== t) }), kind === 'error' ? 9000 : 4000);
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// The trigger tag pinned first in the editor: the user's setting, else the dataset's.
export function effectiveTrigger(): string {
  return state.trigger || state.session?.trigger || '';
}

export const PAGE = 200;

interface ListResponse {
  total: number;
  offset: number;
  generation: number;
  items: Item[];
}

// Paged cache of the gallery's items for one filter. Pages are fetched on demand for the visible rows;
// refresh() refetches the pages in view (after a change elsewhere) and drops the rest.
export class GalleryData {
  total = -1;
  private pages = new Map<number, Item[]>();
  private inflight = new Set<number>();
  private key = '';
  private epoch = 0;
  private listeners = new Set<Listener>();
  private visible: [number, number] = [0, 0];
  // The order of the list: name (the dataset's), tags, edited or lint (GET /api/images?sort=).
  sort: 'name' | 'tags' | 'edited' | 'lint' = 'name';

  private readyWaiters: (() => void)[] = [];

  // Resolves once the first page of the current filter has arrived (other start-up requests wait for it,
  // so the first screen of captions is not queued behind them).
  ready(): Promise<void> {
    if (this.total >= 0) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  setFilter(f: Filter) {
    const key = filterQuery(f);
    if (key === this.key && this.total >= 0) return;
    this.key = key;
    this.epoch++;
    this.pages.clear();
    this.inflight.clear();
    this.total = -1;
    this.fetchPage(0);
  }

  setSort(sort: GalleryData['sort']) {
    if (sort === this.sort) return;
    this.sort = sort;
    this.epoch++;
    this.pages.clear();
    this.inflight.clear();
    this.total = -1;
    this.fetchPage(0);
  }

  subscribe(l: Listener) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private notify() {
    for (const l of this.listeners) l();
  }

  get(index: number): Item | undefined {
    return this.pages.get(Math.floor(index / PAGE))?.[index % PAGE];
  }

  // Makes sure the items [first, last] are loaded (fetching whole pages).
  ensure(first: number, last: number) {
    this.visible = [first, last];
    if (this.total < 0) return;
    const lastIndex = Math.min(last, this.total - 1);
    for (let p = Math.floor(Math.max(0, first) / PAGE); p <= Math.floor(lastIndex / PAGE); p++) {
      if (!this.pages.has(p)) this.fetchPage(p);
    }
    // Keep memory bounded: forget pages far from the view.
    if (this.pages.size > 60) {
      const mid = Math.floor(first / PAGE);
      for (const p of [...this.pages.keys()]) if (Math.abs(p - mid) > 20) this.pages.delete(p);
    }
  }

  private async fetchPage(p: number, keepOld = false) {
    if (this.inflight.has(p)) return;
    this.inflight.add(p);
    const epoch = this.epoch;
    try {
      const qs = (this.key ? '&' + this.key : '') + (this.sort !== 'name' ? '&sort=' + this.sort : '');
      const r = await get<ListResponse>(`/api/images?offset=${p * PAGE}&limit=${PAGE}${qs}`);
      if (epoch !== this.epoch) return;
      this.total = r.total;
      this.pages.set(p, r.items);
      this.notify();
      for (const w of this.readyWaiters.splice(0)) w();
      if (p === 0 && !keepOld) this.ensure(...this.visible);
    } catch (e) {
      if (epoch === this.epoch) toast('Gallery: ' + errorText(e), 'error');
    } finally {
      if (epoch === this.epoch) this.inflight.delete(p);
    }
  }

  // Refetches the pages in view (keeping the shown items until the new ones arrive).
  refresh() {
    const [first, last] = this.visible;
    const keep = new Set<number>();
    for (let p = Math.floor(first / PAGE); p <= Math.floor(Math.max(first, last) / PAGE); p++) keep.add(p);
    keep.add(0);
    for (const p of [...this.pages.keys()]) if (!keep.has(p)) this.pages.delete(p);
    this.inflight.clear();
    this.epoch++;
    for (const p of keep) this.fetchPage(p, true);
  }

  // Updates a loaded item in place (job results, saves), without a refetch.
  patch(id: number, patch: Partial<Item>) {
    let hit = false;
    for (const items of this.pages.values()) {
      const i = items.findIndex((x) => x.id === id);
      if (i >= 0) {
        items[i] = { ...items[i], ...patch };
        hit = true;
      }
    }
    if (hit) this.notify();
  }

  // Index of an id among the loaded items, or -1.
  indexOf(id: number): number {
    for (const [p, items] of this.pages) {
      const i = items.findIndex((x) => x.id === id);
      if (i >= 0) return p * PAGE + i;
    }
    return -1;
  }
}

export const gallery = new GalleryData();
