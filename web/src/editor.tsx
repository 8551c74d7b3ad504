// Tag editor panel for one image: chips in caption order (drag or Alt+arrows to reorder, click to edit,
// × to remove), autocomplete, model probabilities, a live threshold slider over the stored scores, the
// trigger pinned first, a raw-text mode for multi-line captions, and save with conflict resolution.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { originText, useProvenance } from './provenance';
import { ApiError, ImageDetail, get, imageUrl, put, splitTags, tagKey, thumbUrl } from './api';
import { refreshHistory, setLocalUndo } from './actions';
import { brokenReason, noteBroken, onBrokenChange } from './image_errors';
import { errorText, effectiveTrigger, gallery, state, toast, update, useStore } from './store';
import { TagInput } from './tag_input';
import { ConflictView, mergeCaptions } from './conflict';
import { isKey } from './keys';
import { takeAddTagFocus } from './shortcuts';
import { useTagCategories } from './tag_categories';
import './workflow.css';
import { DEFAULT_CHARACTER_THRESHOLD, DEFAULT_GENERAL_THRESHOLD } from './generated/operations';

interface Draft {
  tags: string[];
  rest: string | null; // text after the first line ('\n' excluded); null: single-line caption
  version: string; // version the edit started from
  baseText: string; // the caption text of that version (the conflict view's common ancestor)
}
// Unsaved edits per image, kept while the user looks at other images.
const drafts = new Map<number, Draft>();
// Set by next/previous image when the cursor was in Add tag: the next editor puts it there again.
let focusAddTagAfterMove = false;
// Whether the open editor has unsaved edits (the drafts map holds the other images').
let liveDirty = false;

// A reload or closing the tab asks first when edits are unsaved.
window.addEventListener('beforeunload', (e) => {
  if (liveDirty || drafts.size > 0) {
    e.preventDefault();
    e.returnValue = '';
  }
});

// One step of the editor's local undo: the tags and other lines before an unsaved edit.
interface Snapshot {
  tags: string[];
  rest: string | null;
  dirty: boolean;
}

interface Conflict {
  current: { caption: string; version: string };
  yours: string;
}

function splitCaption(caption: string, sep: string): { tags: string[]; rest: string | null } {
  const nl = caption.indexOf('\n');
  return nl < 0
    ? { tags: splitTags(caption, sep), rest: null }
    : { tags: splitTags(caption.slice(0, nl), sep), rest: caption.slice(nl + 1) };
}

// Moves the trigger (when present) to the front.
function pinTrigger(tags: string[], trigger: string): string[] {
  if (!trigger) return tags;
  const k = tagKey(trigger);
  const i = tags.findIndex((t) => tagKey(t) === k);
  return i <= 0 ? tags : [tags[i], ...tags.slice(0, i), ...tags.slice(i + 1)];
}

// Writes a tag the way this caption spells tags (spaces when it uses spaces instead of underscores).
function spellLike(tag: string, tags: string[]): string {
  const spaces = tags.some((t) => t.includes(' ')) && !tags.some((t) => t.length > 3 && t.includes('_'));
  return spaces && tag.length > 3 ? tag.replace(/_/g, ' ') : tag;
}

export function Editor({ id }: { id: number }) {
  const s = useStore();
  const sep = s.session?.separator ?? ', ';
  const trigger = effectiveTrigger();
  const [detail, setDetail] = useState<ImageDetail | null>(null);
  const [tags, setTags] = useState<string[]>([]);
  const [rest, setRest] = useState<string | null>(null);
  const [base, setBase] = useState('');
  const [baseText, setBaseText] = useState('');
  const [dirty, setDirty] = useState(false);
  const [raw, setRaw] = useState(false);
  const [rawText, setRawText] = useState('');
  const [editing, setEditing] = useState(-1);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [stale, setStale] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState('');
  const dragFrom = useRef(-1);
  const [dragOver, setDragOver] = useState(-1);
  const undoStack = useRef<Snapshot[]>([]);
  const focusChip = useRef<number | null>(null);
  const [, setBrokenTick] = useState(0);
  useEffect(() => onBrokenChange(() => setBrokenTick((t) => t + 1)), []);
  liveDirty = dirty;
  useEffect(() => () => {
    liveDirty = false;
  }, []);

  const load = (d: ImageDetail, keepDraft: boolean) => {
    setDetail(d);
    const draft = keepDraft ? drafts.get(d.id) : undefined;
    if (draft) {
      setTags(draft.tags);
      setRest(draft.rest);
      setBase(draft.version);
      setBaseText(draft.baseText);
      setDirty(true);
      setStale(draft.version !== d.version);
    } else {
      const p = splitCaption(d.has_caption ? d.caption : '', sep);
      setTags(p.tags);
      setRest(p.rest);
      setBase(d.version);
      setBaseText(d.has_caption ? d.caption : '');
      setDirty(false);
      setStale(false);
    }
    setRaw(false);
    setEditing(-1);
    setConflict(null);
    undoStack.current = [];
  };

  useEffect(() => {
    let live = true;
    setDetail(null);
    setError('');
    get<ImageDetail>(`/api/image/${id}`)
      .then((d) => live && load(d, true))
      .catch((e) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, [id]);

  // Remember unsaved work when switching images or closing the panel.
  const latest = useRef<Draft | null>(null);
  latest.current = dirty ? { tags: raw ? splitCaption(rawText, sep).tags : tags, rest: raw ? splitCaption(rawText, sep).rest : rest, version: base, baseText } : null;
  useEffect(() => () => {
    if (latest.current) drafts.set(id, latest.current);
    else drafts.delete(id);
  }, [id]);

  // After a change anywhere: reload when untouched, warn when edited here too.
  useEffect(() => {
    if (!detail || s.tagsVersion === 0) return;
    let live = true;
    get<ImageDetail>(`/api/image/${id}`)
      .then((d) => {
        if (!live || d.version === base) return;
        if (!dirty) load(d, false);
        else {
          setDetail(d);
          setStale(true);
        }
      })
      .catch((e) => {
        // Gone from the folder meanwhile: say so (saving would fail). Other errors: keep what is shown.
        if (live && e instanceof ApiError && e.status === 404) setError(errorText(e));
      });
    return () => {
      live = false;
    };
  }, [s.tagsVersion]);

  // T (shortcuts.tsx) or next/previous image from Add tag: the cursor goes to Add tag once it is shown.
  useEffect(() => {
    if (!detail) return;
    if (focusAddTagAfterMove) {
      focusAddTagAfterMove = false;
      document.querySelector<HTMLInputElement>('.editor input[aria-label="Add tag"]')?.focus();
    }
    takeAddTagFocus();
  }, [detail !== null]);

  const shown = pinTrigger(tags, trigger);
  const categories = useTagCategories(shown);
  const origins = useProvenance(id, base);
  const scoreOf = useMemo(() => {
    const m = new Map<string, number>();
    for (const t of detail?.scores?.tags ?? []) m.set(tagKey(t.tag), t.score);
    return m;
  }, [detail]);

  const edit = (next: string[]) => {
    undoStack.current.push({ tags, rest, dirty });
    setTags(next);
    setDirty(true);
  };

  // Ctrl+Z (and Undo) while this editor has unsaved edits reverts the last of them, never a saved
  // operation of the dataset; with unsaved edits it cannot revert step by step, it refuses.
  const undoLocal = useRef<() => boolean>(() => false);
  undoLocal.current = () => {
    const prev = raw ? undefined : undoStack.current.pop();
    if (prev) {
      setTags(prev.tags);
      setRest(prev.rest);
      setDirty(prev.dirty);
      setEditing(-1);
      toast('Undid an unsaved edit');
      return true;
    }
    if (dirty) {
      toast('This caption has unsaved edits: save or revert them before undoing saved changes', 'error');
      return true;
    }
    return false;
  };
  useEffect(() => {
    setLocalUndo(() => undoLocal.current());
    return () => setLocalUndo(null);
  }, []);

  // Keyboard operations on a chip keep the focus on it (or on its neighbour), so keys repeat. A layout
  // effect: the focus moves before the browser handles the next key.
  useLayoutEffect(() => {
    const k = focusChip.current;
    if (k === null) return;
    focusChip.current = null;
    const chips = document.querySelectorAll<HTMLElement>('.editor .chips .chip-text');
    const el = chips[Math.min(k, chips.length - 1)] ?? document.querySelector<HTMLElement>('.editor input[aria-label="Add tag"]');
    el?.focus();
  });
  const compose = (t = shown, r = rest) => t.join(sep) + (r === null ? '' : '\n' + r);
  const text = raw ? rawText : compose();

  // Adds every tag of one entry ("a, b, c" gives three), leaving out those already in the caption.
  const addTags = (list: string[]) => {
    const next = [...shown];
    const dup: string[] = [];
    for (const t of list) {
      const tag = spellLike(t, next);
      if (next.some((x) => tagKey(x) === tagKey(tag))) dup.push(tag);
      else next.push(tag);
    }
    if (dup.length) toast(`${dup.map((d) => `"${d}"`).join(', ')} ${dup.length === 1 ? 'is' : 'are'} already in the caption`);
    if (next.length !== shown.length) edit(next);
  };
  const removeAt = (i: number) => edit(shown.filter((_, j) => j !== i));
  const move = (from: number, to: number) => {
    if (from === to || to < 0 || to >= shown.length) return;
    const next = [...shown];
    const [t] = next.splice(from, 1);
    next.splice(to, 0, t);
    edit(pinTrigger(next, trigger));
  };
  // A chip edited into "a, b" becomes two chips; into a tag the caption already has, it is refused.
  const commitEdit = (i: number, value: string) => {
    setEditing(-1);
    const parts = splitTags(value, sep);
    if (!parts.length) return removeAt(i);
    if (parts.length === 1 && parts[0] === shown[i]) return;
    const others = shown.filter((_, j) => j !== i);
    const fresh: string[] = [];
    const dup: string[] = [];
    for (const p of parts) {
      if ([...others, ...fresh].some((x) => tagKey(x) === tagKey(p))) dup.push(p);
      else fresh.push(p);
    }
    if (dup.length) toast(`${dup.map((d) => `"${d}"`).join(', ')} ${dup.length === 1 ? 'is' : 'are'} already in the caption`, 'error');
    if (!fresh.length) return;
    edit([...shown.slice(0, i), ...fresh, ...shown.slice(i + 1)]);
  };

  const setRawMode = (on: boolean) => {
    if (on) setRawText(compose());
    else {
      const p = splitCaption(rawText, sep);
      setTags(p.tags);
      setRest(p.rest);
    }
    setRaw(on);
  };

  const saved = (r: { version: string; caption: string; tags?: string[] }) => {
    const p = splitCaption(r.caption, sep);
    setTags(p.tags);
    setRest(p.rest);
    setRawText(r.caption);
    setBase(r.version);
    setBaseText(r.caption);
    setDirty(false);
    setStale(false);
    setConflict(null);
    undoStack.current = [];
    drafts.delete(id);
    setDetail((d) => (d ? { ...d, caption: r.caption, version: r.version, has_caption: true } : d));
    gallery.patch(id, { caption: r.caption, version: r.version, has_caption: true, tags: r.tags ?? p.tags });
    update({ tagsVersion: state.tagsVersion + 1 });
    refreshHistory();
  };

  // Writes `body` over `version`; true when it was written (false: a conflict or an error, shown).
  const save = async (body: string, version: string): Promise<boolean> => {
    setSaving(true);
    try {
      const r = await put<{ version: string; caption: string; tags: string[] }>(`/api/image/${id}/caption`, { text: body, version });
      saved({ ...r, caption: r.caption ?? body });
      toast('Saved ' + (detail?.caption_path ?? detail?.path ?? ''));
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.body?.current) {
        setConflict({ current: e.body.current, yours: body });
      } else toast('Save failed: ' + errorText(e), 'error');
      return false;
    } finally {
      setSaving(false);
    }
  };

  // Ctrl+S saves from anywhere on the page while the editor is open (not only with focus in the panel).
  // Ctrl+↓ / Ctrl+↑ save first (when edited), then open the next / previous image of the gallery; the
  // cursor stays in Add tag when it was there.
  const saveNow = useRef<() => Promise<boolean>>(async () => true);
  saveNow.current = async () => {
    if (conflict || saving) return false;
    return dirty ? save(text, base) : true;
  };
  const go = async (delta: number) => {
    const wasAdding = (document.activeElement as HTMLElement | null)?.getAttribute('aria-label') === 'Add tag';
    if (!(await saveNow.current())) return;
    const here = gallery.indexOf(id);
    const index = (here >= 0 ? here : state.current) + delta;
    const item = gallery.get(index);
    if (!item) return;
    if (wasAdding) focusAddTagAfterMove = true;
    update({ current: index, editorId: item.id });
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isKey(e, 'save')) {
        e.preventDefault();
        saveNow.current();
      } else if (isKey(e, 'next') || isKey(e, 'prev')) {
        e.preventDefault();
        go(isKey(e, 'next') ? 1 : -1);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const head = (title: string, hint?: string) => (
    <header class="ed-head">
      <h2 title={hint}>{title}</h2>
      <button class="icon" aria-label="Close editor" title="Close (Esc)" onClick={() => update({ editorId: null })}>×</button>
    </header>
  );
  if (error || !detail)
    return (
      <aside class="editor" aria-label="Tag editor">
        {head(detail?.path ?? `#${id}`, detail?.path)}
        {error ? <p class="error" role="alert">{error}</p> : <p class="muted">Loading…</p>}
      </aside>
    );

  const triggerMissing = trigger && !tags.some((t) => tagKey(t) === tagKey(trigger));

  return (
    <aside class="editor" aria-label="Tag editor">
      {head(detail.path, detail.path)}
      <a href={imageUrl(id)} target="_blank" rel="noopener" class="ed-image" title="Open the full image">
        {brokenReason(id) === undefined ? (
          <img src={thumbUrl(id, 512)} alt={detail.path} onError={() => noteBroken(id)} />
        ) : (
          <p class="error image-error" role="alert">cannot decode: {brokenReason(id)}</p>
        )}
      </a>
      {detail.error && <p class="error" role="alert">Caption: {detail.error}</p>}
      <p class="muted small">
        {detail.width > 0 && `${detail.width}×${detail.height} · `}
        {detail.has_caption ? detail.caption_path : 'no caption file yet'}
        {dirty && <span class="badge warn"> unsaved</span>}
      </p>
      {stale && !conflict && (
        <p class="note" role="status">This caption was changed elsewhere. Saving will show both versions.</p>
      )}

      {conflict ? (
        <>
          <ConflictView
            base={splitCaption(baseText, sep)}
            theirs={splitCaption(conflict.current.caption, sep)}
            mine={splitCaption(conflict.yours, sep)}
            onKeepMine={() => save(conflict.yours, conflict.current.version)}
            onTakeTheirs={() => saved({ caption: conflict.current.caption, version: conflict.current.version })}
            onMerge={() => {
              // Three-way: both sides' additions, and neither side's removals come back.
              const m = mergeCaptions(splitCaption(baseText, sep), splitCaption(conflict.current.caption, sep), splitCaption(conflict.yours, sep));
              edit(m.tags);
              setRest(m.rest);
              setBase(conflict.current.version);
              setBaseText(conflict.current.caption);
              setRaw(false);
              setStale(false);
              setConflict(null);
            }}
          />
          <details class="conflict-text">
            <summary>Both versions as text</summary>
            <div class="conflict-cols">
              <div>
                <h3>On disk now</h3>
                <textarea aria-label="Caption on disk" readOnly value={conflict.current.caption} rows={5} />
              </div>
              <div>
                <h3>Yours</h3>
                <textarea aria-label="Your caption" readOnly value={conflict.yours} rows={5} />
              </div>
            </div>
          </details>
        </>
      ) : raw ? (
        <textarea
          class="raw"
          aria-label="Caption text"
          value={rawText}
          rows={8}
          spellcheck={false}
          onInput={(e) => {
            setRawText((e.target as HTMLTextAreaElement).value);
            setDirty(true);
          }}
        />
      ) : (
        <>
          <ul class="chips" aria-label="Tags">
            {shown.map((t, i) => {
              const pinned = trigger && i === 0 && tagKey(t) === tagKey(trigger);
              const p = scoreOf.get(tagKey(t));
              const origin = origins.get(tagKey(t));
              const cat = categories.of(t)?.category;
              // Not in the tag list (a typo, or a word of this dataset); the trigger is never marked.
              const unknown = categories.vocabulary && cat === 'unknown' && !(trigger && tagKey(t) === tagKey(trigger));
              return (
                <li
                  key={t + i}
                  class={'chip' + (pinned ? ' pinned' : '') + (dragOver === i ? ' drop' : '') + (origin ? ' origin-' + origin.origin : '') +
                    (cat && cat !== 'unknown' ? ' chip-cat-' + cat : '') + (unknown ? ' chip-unknown' : '')}
                  data-origin={origin?.origin}
                  data-category={cat}
                  draggable={!pinned && editing !== i}
                  onDragStart={(e) => {
                    dragFrom.current = i;
                    e.dataTransfer?.setData('text/plain', t);
                  }}
                  onDragOver={(e) => {
                    e.preventDefault();
                    setDragOver(i);
                  }}
                  onDragLeave={() => setDragOver(-1)}
                  onDrop={(e) => {
                    e.preventDefault();
                    setDragOver(-1);
                    move(dragFrom.current, pinned ? 1 : i);
                  }}
                >
                  {editing === i ? (
                    <input
                      class="chip-edit"
                      aria-label="Edit tag"
                      value={t}
                      ref={(el) => {
                        if (el && el !== document.activeElement) el.focus();
                      }}
                      onKeyDown={(e) => {
                        if (e.key === 'Enter') commitEdit(i, (e.target as HTMLInputElement).value);
                        if (e.key === 'Escape') {
                          e.stopPropagation();
                          setEditing(-1);
                        }
                      }}
                      onBlur={(e) => editing === i && commitEdit(i, (e.target as HTMLInputElement).value)}
                    />
                  ) : (
                    <button
                      class="chip-text"
                      aria-label={`Edit tag ${t}`}
                      title={t + (cat && cat !== 'unknown' ? ` (${cat})` : '') + (unknown ? '\nNot in the Danbooru tag list: a typo, or a tag of your own' : '') +
                        (origin ? '\n' + originText(origin) : '') + (pinned ? '\nTrigger (pinned first)' : '\nClick to edit · drag or Alt+←/→ to move')}
                      onClick={() => setEditing(i)}
                      onKeyDown={(e) => {
                        const first = pinned ? 0 : trigger && tagKey(shown[0]) === tagKey(trigger) ? 1 : 0;
                        if (isKey(e, 'chip-left')) {
                          const to = Math.max(first, i - 1);
                          focusChip.current = to;
                          move(i, to);
                        } else if (isKey(e, 'chip-right')) {
                          const to = Math.min(shown.length - 1, i + 1);
                          focusChip.current = to;
                          move(i, to);
                        } else if (isKey(e, 'chip-remove')) {
                          focusChip.current = i;
                          removeAt(i);
                        } else return;
                        e.preventDefault();
                      }}
                    >
                      {pinned && (
                        <svg class="pin" viewBox="0 0 16 16" width="11" height="11" aria-hidden="true">
                          <path d="M5 1h6l-1 5 3 3H9l-1 6-1-6H3l3-3z" fill="currentColor" />
                        </svg>
                      )}
                      {t}
                    </button>
                  )}
                  {unknown && <span class="unknown-mark" title="Not in the Danbooru tag list">?</span>}
                  {p !== undefined && <span class="prob" title="model probability">{p.toFixed(2)}</span>}
                  <button class="chip-x" aria-label={`Remove tag ${t}`} onClick={() => removeAt(i)}>×</button>
                </li>
              );
            })}
          </ul>
          <TagInput label="Add tag" placeholder="Add tag… (English, alias or 日本語)" onAdd={addTags} />
          {triggerMissing && (
            <button class="link" onClick={() => edit([trigger, ...tags])}>Add trigger “{trigger}”</button>
          )}
          {rest !== null && (
            <div class="rest">
              <label class="small muted" for={`rest-${id}`}>Other lines (kept as they are)</label>
              <textarea
                id={`rest-${id}`}
                aria-label="Other lines"
                value={rest}
                rows={Math.min(6, rest.split('\n').length + 1)}
                onInput={(e) => {
                  setRest((e.target as HTMLTextAreaElement).value);
                  setDirty(true);
                }}
              />
            </div>
          )}
        </>
      )}

      {!conflict && (
        <div class="ed-actions">
          <label class="check">
            <input type="checkbox" checked={raw} onChange={(e) => setRawMode((e.target as HTMLInputElement).checked)} /> Raw text
          </label>
          <span class="grow" />
          <button
            disabled={!dirty}
            onClick={() => {
              drafts.delete(id);
              load(detail, false);
            }}
          >
            Revert
          </button>
          <button class="primary" aria-label="Save caption" disabled={saving || !dirty} onClick={() => save(text, base)}>
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
      )}

      {detail.scores && !conflict && (
        <Thresholds
          id={id}
          trigger={trigger}
          detail={detail}
          current={shown}
          onApply={(derived) => {
            const next = trigger && !triggerMissing ? pinTrigger([trigger, ...derived.filter((t) => tagKey(t) !== tagKey(trigger))], trigger) : derived;
            setRaw(false);
            edit(next);
          }}
        />
      )}
    </aside>
  );
}

function Thresholds(props: { id: number; trigger: string; detail: ImageDetail; current: string[]; onApply: (tags: string[]) => void }) {
  const sc = props.detail.scores!;
  const [general, setGeneral] = useState(sc.general_threshold || DEFAULT_GENERAL_THRESHOLD);
  const [character, setCharacter] = useState(sc.character_threshold || DEFAULT_CHARACTER_THRESHOLD);
  const [derived, setDerived] = useState<string[] | null>(null);
  const [err, setErr] = useState('');

  useEffect(() => {
    let live = true;
    const t = setTimeout(async () => {
      try {
        const r = await get<{ tags: string[]; text: string }>(
          `/api/image/${props.id}/derive?general=${general}&character=${character}&mcut=false`,
        );
        if (live) {
          setDerived(r.tags);
          setErr('');
        }
      } catch (e) {
        if (live) setErr(errorText(e));
      }
    }, 120);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [props.id, general, character]);

  const have = new Set(props.current.map(tagKey));
  const want = new Set((derived ?? []).map(tagKey));
  return (
    <section class="thresholds" aria-label="Thresholds">
      <h3>
        Model scores <span class="muted small">{sc.model}</span>
      </h3>
      <label class="slider">
        <span>General</span>
        <input type="range" min={0.05} max={1} step={0.01} value={general} aria-label="General threshold"
          onInput={(e) => setGeneral(Number((e.target as HTMLInputElement).value))} />
        <output>{general.toFixed(2)}</output>
      </label>
      <label class="slider">
        <span>Character</span>
        <input type="range" min={0.05} max={1} step={0.01} value={character} aria-label="Character threshold"
          onInput={(e) => setCharacter(Number((e.target as HTMLInputElement).value))} />
        <output>{character.toFixed(2)}</output>
      </label>
      {err && <p class="error small">{err}</p>}
      {derived && (
        <>
          <p class="derived" aria-label="Derived caption">
            {derived.map((t) => (
              <span key={t} class={have.has(tagKey(t)) ? 'same' : 'added'}>{t}</span>
            ))}
            {props.current.filter((t) => !want.has(tagKey(t)) && tagKey(t) !== tagKey(props.trigger)).map((t) => (
              <span key={'-' + t} class="removed" title="not in the derived caption">{t}</span>
            ))}
          </p>
          <button onClick={() => props.onApply(derived)}>Apply derived caption</button>
        </>
      )}
    </section>
  );
}

// Whether image `id` has unsaved edits (the gallery's badge): a kept draft, or the open editor's.
export function hasUnsavedEdits(id: number): boolean {
  return drafts.has(id) || (liveDirty && state.editorId === id);
}
