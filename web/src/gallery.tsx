// Virtualised image grid: only the rows in view (plus one above and below) are in the DOM, and only
// their pages of items are fetched, so 100,000 images scroll as smoothly as 100. Each cell shows the file
// name, size and status badges (gallery_tools.tsx); V opens the large view of the current image. Screen
// readers get the grid's size, each row's and cell's position, the selection and the keyboard cursor
// (aria-rowcount / aria-rowindex, aria-multiselectable, aria-selected, aria-activedescendant).
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Item, thumbUrl } from './api';
import { brokenReason, noteBroken, onBrokenChange } from './image_errors';
import { gallery, state, update, useStore } from './store';
import { Lightbox, badgesOf, baseName, formatBytes } from './gallery_tools';
import { isKey } from './keys';

const MIN_CELL = 176;
const ROW_H = 236;

function useGalleryData() {
  const [, setTick] = useState(0);
  useEffect(() => gallery.subscribe(() => setTick((t) => t + 1)) as () => void, []);
  useEffect(() => onBrokenChange(() => setTick((t) => t + 1)), []);
}

function firstLine(caption: string) {
  const nl = caption.indexOf('\n');
  return nl < 0 ? caption : caption.slice(0, nl);
}

// Opens the editor on the image at gallery index `index` (when loaded).
export function openAt(index: number) {
  const item = gallery.get(index);
  if (item) update({ current: index, editorId: item.id });
}

export function Gallery() {
  const s = useStore();
  useGalleryData();
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 600, width: 800 });
  const lastShift = useRef<number | null>(null);
  const [large, setLarge] = useState<number | null>(null);
  // The editor keeps an image's unsaved edits when it closes or moves on (its unmount, in the same
  // commit as this render): render once more afterwards so the cell shows its "unsaved" badge.
  const [, setDraftTick] = useState(0);
  useEffect(() => setDraftTick((t) => t + 1), [s.editorId]);

  useLayoutEffect(() => {
    const el = scroller.current!;
    const measure = () => setView({ top: el.scrollTop, height: el.clientHeight, width: el.clientWidth });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    // The grid takes the keyboard on load (arrows, Enter) unless something else already has focus.
    if (!document.activeElement || document.activeElement === document.body) el.focus({ preventScroll: true });
    return () => ro.disconnect();
  }, []);

  const total = Math.max(0, gallery.total);
  const cols = Math.max(1, Math.floor(view.width / MIN_CELL));
  const cellW = view.width / cols;
  const rows = Math.ceil(total / cols);
  const firstRow = Math.max(0, Math.floor(view.top / ROW_H) - 1);
  const lastRow = Math.min(rows - 1, Math.ceil((view.top + view.height) / ROW_H) + 1);
  const viewFirst = Math.floor(view.top / ROW_H);
  const viewLast = Math.floor((view.top + view.height - 1) / ROW_H);

  // A new filter starts at the top.
  useEffect(() => {
    const el = scroller.current;
    if (el && el.scrollTop > 0) el.scrollTop = 0;
  }, [s.filter]);

  useEffect(() => {
    gallery.ensure(firstRow * cols, (lastRow + 1) * cols - 1);
  }, [firstRow, lastRow, cols, gallery.total]);

  // Keeps the keyboard cursor in view.
  const scrollToIndex = (index: number) => {
    const el = scroller.current;
    if (!el) return;
    const row = Math.floor(index / cols);
    const top = row * ROW_H;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_H > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_H - el.clientHeight;
  };

  // Opening or closing the editor (or resizing) re-flows the grid: keep the cursor's cell in view.
  const editorOpen = s.editorId !== null;
  useEffect(() => {
    scrollToIndex(state.current);
  }, [cols, editorOpen]);

  const moveTo = (index: number, open = false) => {
    if (total === 0) return;
    const i = Math.max(0, Math.min(total - 1, index));
    update({ current: i });
    scrollToIndex(i);
    const item = gallery.get(i);
    if (item && (open || state.editorId !== null)) update({ editorId: item.id });
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const pageRows = Math.max(1, Math.floor(view.height / ROW_H));
    const c = s.current;
    let handled = true;
    switch (e.key) {
      case 'ArrowRight': moveTo(c + 1); break;
      case 'ArrowLeft': moveTo(c - 1); break;
      case 'ArrowDown': moveTo(c + cols); break;
      case 'ArrowUp': moveTo(c - cols); break;
      case 'PageDown': moveTo(c + cols * pageRows); break;
      case 'PageUp': moveTo(c - cols * pageRows); break;
      case 'Home': moveTo(0); break;
      case 'End': moveTo(total - 1); break;
      case 'Enter': moveTo(c, true); break;
      case ' ': {
        const item = gallery.get(c);
        if (item) toggleSelect(item.id);
        break;
      }
      default:
        if (isKey(e, 'gallery-large') && gallery.get(c)) setLarge(c);
        else handled = false;
    }
    if (handled) e.preventDefault();
  };

  const toggleSelect = (id: number) => {
    const sel = new Set(state.selection);
    if (sel.has(id)) sel.delete(id);
    else sel.add(id);
    update({ selection: sel });
  };

  const onCellClick = (e: MouseEvent, index: number, item: Item) => {
    scroller.current?.focus({ preventScroll: true });
    if (e.ctrlKey || e.metaKey) {
      toggleSelect(item.id);
      update({ current: index });
      lastShift.current = index;
      return;
    }
    if (e.shiftKey && lastShift.current !== null) {
      const sel = new Set(state.selection);
      const [a, b] = [Math.min(lastShift.current, index), Math.max(lastShift.current, index)];
      for (let i = a; i <= b; i++) {
        const it = gallery.get(i);
        if (it) sel.add(it.id);
      }
      update({ selection: sel, current: index });
      return;
    }
    lastShift.current = index;
    update({ current: index, editorId: item.id });
  };

  const rowEls = [];
  for (let r = firstRow; r <= lastRow; r++) {
    const cells = [];
    for (let c = 0; c < cols; c++) {
      const index = r * cols + c;
      if (index >= total) break;
      const item = gallery.get(index);
      const selected = item ? s.selection.has(item.id) : false;
      const badges = item ? badgesOf(item) : [];
      const cls =
        'cell' + (index === s.current ? ' current' : '') + (selected ? ' selected' : '') +
        (item && item.id === s.editorId ? ' open' : '');
      cells.push(
        <div
          key={index}
          role="gridcell"
          id={'gcell-' + index}
          class={cls}
          style={{ width: cellW + 'px' }}
          aria-colindex={c + 1}
          aria-selected={selected}
          aria-label={item ? item.path : 'loading'}
          aria-describedby={badges.length ? 'gbadges-' + index : undefined}
          data-id={item?.id}
          onClick={item ? (e) => onCellClick(e as MouseEvent, index, item) : undefined}
        >
          <div class="thumb">
            {badges.length > 0 && (
              <span class="badges" id={'gbadges-' + index}>
                {badges.map((b) => <span key={b.kind + b.label} class={'badge b-' + b.kind} title={b.title}>{b.label}</span>)}
              </span>
            )}
            {item && (
              <button class="zoom-btn" tabIndex={-1} aria-label={`Large view of ${item.path}`} title="Large view (V)"
                onClick={(e) => {
                  e.stopPropagation();
                  update({ current: index });
                  setLarge(index);
                }}>⤢</button>
            )}
            {item && brokenReason(item.id) !== undefined && (
              <p class="thumb-error" role="img" aria-label={`${item.path}: cannot decode`}>cannot decode: {brokenReason(item.id)}</p>
            )}
            {item && brokenReason(item.id) === undefined && (
              <img
                onError={() => noteBroken(item.id)}
                src={thumbUrl(item.id)}
                alt=""
                draggable={false}
                // Rows in view load first; the row kept above and below the view waits for its turn.
                loading={r >= viewFirst && r <= viewLast ? 'eager' : 'lazy'}
                {...{ fetchpriority: r >= viewFirst && r <= viewLast ? 'high' : 'low' }}
              />
            )}
          </div>
          {item && (
            <div class="meta" title={item.path}>
              <span class="fname">{baseName(item.path)}</span>
              {item.size != null && <span class="fsize">{formatBytes(item.size)}</span>}
            </div>
          )}
          <div class={'cap' + (item && !item.has_caption ? ' none' : '') + (item?.error ? ' error' : '')} title={item?.error ?? item?.caption}>
            {item ? (item.error ? '⚠ ' + item.error : item.has_caption ? firstLine(item.caption) || '(empty caption)' : '(no caption)') : ''}
          </div>
        </div>,
      );
    }
    rowEls.push(
      <div role="row" key={r} aria-rowindex={r + 1} class="grid-row" style={{ top: r * ROW_H + 'px', height: ROW_H + 'px' }}>
        {cells}
      </div>,
    );
  }

  return (
    <>
    <div
      ref={scroller}
      class="gallery"
      role="grid"
      aria-label="Gallery"
      aria-rowcount={rows}
      aria-colcount={cols}
      aria-multiselectable="true"
      aria-activedescendant={total > 0 && Math.floor(s.current / cols) >= firstRow && Math.floor(s.current / cols) <= lastRow
        ? 'gcell-' + s.current : undefined}
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget as HTMLDivElement;
        setView((v) => ({ ...v, top: el.scrollTop }));
      }}
      onKeyDown={onKeyDown}
    >
      <div class="grid-space" style={{ height: rows * ROW_H + 'px' }}>
        {rowEls}
      </div>
      {gallery.total === 0 && <p class="empty">No images match.</p>}
    </div>
      {large !== null && (
        <Lightbox index={large} onClose={(i) => {
          setLarge(null);
          moveTo(i);
          scroller.current?.focus({ preventScroll: true });
        }} />
      )}
    </>
  );
}
