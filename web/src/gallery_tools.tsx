// What each gallery cell says about its image (file name, size, status badges), the gallery's sort
// order, the lint results the badges come from, and the large zoomable view of one image.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Item, get, imageUrl } from './api';
import { brokenReason } from './image_errors';
import { hasUnsavedEdits } from './editor';
import { gallery, update, useStore } from './store';
import { DuplicatesDialog } from './duplicates';
import './gallery_tools.css';

export type GallerySortKey = 'name' | 'tags' | 'edited' | 'lint';

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + ' MB';
  if (n >= 1024) return Math.round(n / 1024) + ' KB';
  return n + ' B';
}

export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

// Lint rules that mean the image itself cannot be used.
const CORRUPT_RULES = ['unreadable-image'];

export interface Badge {
  kind: 'nocap' | 'lint' | 'unsaved' | 'corrupt';
  label: string;
  title: string;
}

// The status badges of one gallery item.
export function badgesOf(item: Item): Badge[] {
  const out: Badge[] = [];
  const broken = brokenReason(item.id);
  const lint = item.lint ?? [];
  if (broken !== undefined || lint.some((r) => CORRUPT_RULES.includes(r)))
    out.push({ kind: 'corrupt', label: 'corrupt', title: broken ?? 'the image cannot be decoded' });
  if (!item.has_caption) out.push({ kind: 'nocap', label: 'no caption', title: 'no caption file' });
  if (item.error) out.push({ kind: 'corrupt', label: 'unreadable caption', title: item.error });
  const findings = lint.filter((r) => !CORRUPT_RULES.includes(r) && r !== 'missing-caption' && r !== 'unreadable-caption');
  if (findings.length) out.push({ kind: 'lint', label: `lint ${findings.length}`, title: 'Lint: ' + findings.join(', ') });
  if (hasUnsavedEdits(item.id)) out.push({ kind: 'unsaved', label: 'unsaved', title: 'unsaved edits in the editor' });
  return out;
}

// Runs the dataset's lint for the badges (the server caches it until a caption changes), then refetches
// the gallery's pages so their items carry the lint rules. Called after the first screen and, debounced,
// after changes.
let lintTimer = 0;
let lintGeneration = -1;
export function refreshLintBadges(delay = 1500) {
  clearTimeout(lintTimer);
  lintTimer = window.setTimeout(async () => {
    try {
      const r = await get<{ generation: number; images: number }>('/api/lint/images');
      if (r.generation !== lintGeneration) {
        lintGeneration = r.generation;
        gallery.refresh();
      }
    } catch {
      /* badges are advisory */
    }
  }, delay);
}

export function GallerySort() {
  const s = useStore();
  const [dups, setDups] = useState(false);
  useEffect(() => {
    // Large datasets lint for seconds: wait longer after a change.
    refreshLintBadges((s.session?.images ?? 0) > 20000 ? 10000 : 800);
  }, [s.tagsVersion]);
  return (
    <>
    <button onClick={() => setDups(true)} title="Near-duplicate images side by side">Duplicates…</button>
    {dups && <DuplicatesDialog onClose={() => setDups(false)} />}
    <select aria-label="Sort images" value={gallery.sort} onChange={(e) => {
      gallery.setSort((e.target as HTMLSelectElement).value as GallerySortKey);
      update({ current: 0 });
    }}>
      <option value="name">by name</option>
      <option value="tags">most tags</option>
      <option value="lint">most lint findings</option>
      <option value="edited">last edited</option>
    </select>
    </>
  );
}

// The large view of one gallery image: fits the window, + / − / wheel zoom, drag or arrow keys pan when
// zoomed, ← / → page through the gallery when not, 0 fits again, Escape closes (focus returns).
export function Lightbox({ index, onClose }: { index: number; onClose: (index: number) => void }) {
  const [at, setAt] = useState(index);
  const [zoom, setZoom] = useState(1);
  const [pan, setPan] = useState({ x: 0, y: 0 });
  const box = useRef<HTMLElement>(null);
  const drag = useRef<{ x: number; y: number } | null>(null);
  const item = gallery.get(at);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    box.current?.focus();
    return () => opener?.focus();
  }, []);
  useEffect(() => {
    setZoom(1);
    setPan({ x: 0, y: 0 });
  }, [at]);

  const go = (i: number) => {
    const n = Math.max(0, Math.min(gallery.total - 1, i));
    gallery.ensure(n, n);
    setAt(n);
    update({ current: n });
  };
  const zoomBy = (f: number) => setZoom((z) => Math.max(1, Math.min(16, z * f)));
  const onKey = (e: KeyboardEvent) => {
    const step = 60;
    let handled = true;
    switch (e.key) {
      case 'Escape': onClose(at); break;
      case '+': case '=': zoomBy(1.5); break;
      case '-': zoomBy(1 / 1.5); break;
      case '0': setZoom(1); setPan({ x: 0, y: 0 }); break;
      case 'ArrowLeft': zoom > 1 ? setPan((p) => ({ ...p, x: p.x + step })) : go(at - 1); break;
      case 'ArrowRight': zoom > 1 ? setPan((p) => ({ ...p, x: p.x - step })) : go(at + 1); break;
      case 'ArrowUp': setPan((p) => ({ ...p, y: p.y + step })); break;
      case 'ArrowDown': setPan((p) => ({ ...p, y: p.y - step })); break;
      case 'Tab': break; // the close button is the only other stop
      default: handled = false;
    }
    if (handled && e.key !== 'Tab') e.preventDefault();
    e.stopPropagation();
  };
  const name = item ? baseName(item.path) : '…';
  return (
    <div class="lightbox-back" onClick={(e) => e.target === e.currentTarget && onClose(at)}>
      <section class="lightbox" role="dialog" aria-modal="true" aria-label={`Large view of ${name}`} tabIndex={-1}
        ref={box} onKeyDown={onKey}
        onWheel={(e) => {
          e.preventDefault();
          zoomBy(e.deltaY < 0 ? 1.25 : 0.8);
        }}>
        <header class="lightbox-bar">
          <span class="lightbox-name">{item?.path ?? ''}</span>
          <span class="muted small">
            {at + 1} / {gallery.total} · {Math.round(zoom * 100)}% · +/− zoom, arrows pan or page, 0 fit, Esc close
          </span>
          <span class="grow" />
          <button aria-label="Zoom in" onClick={() => zoomBy(1.5)}>+</button>
          <button aria-label="Zoom out" onClick={() => zoomBy(1 / 1.5)}>−</button>
          <button aria-label="Close large view" onClick={() => onClose(at)}>✕</button>
        </header>
        <div class="lightbox-stage"
          onMouseDown={(e) => (drag.current = { x: e.clientX - pan.x, y: e.clientY - pan.y })}
          onMouseMove={(e) => drag.current && zoom > 1 && setPan({ x: e.clientX - drag.current.x, y: e.clientY - drag.current.y })}
          onMouseUp={() => (drag.current = null)}
          onMouseLeave={() => (drag.current = null)}
          onDblClick={() => (zoom > 1 ? (setZoom(1), setPan({ x: 0, y: 0 })) : setZoom(2.5))}>
          {item && (
            <img src={imageUrl(item.id)} alt={item.path} draggable={false}
              style={{ transform: `translate(${pan.x}px, ${pan.y}px) scale(${zoom})` }} />
          )}
        </div>
      </section>
    </div>
  );
}
