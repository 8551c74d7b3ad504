// Tag-wide operations from the tag list: rename a tag, replace it by several tags, or delete it from every
// caption that has it. A preview (a dry run of the batch edit: how many captions change, each file's tag
// line before and after) comes first; applying runs the same batch edit (POST /api/batch) as one journal
// operation, so one Undo restores every caption. The dialog (dialog.tsx) keeps the focus and closes on Esc.
import { useEffect, useRef, useState } from 'preact/hooks';
import { BatchOp, BatchResponse, post } from './api';
import { afterChange, refreshHistory } from './actions';
import { Dialog } from './dialog';
import { errorText, toast } from './store';
import './tag_ops.css';

export type TagOpKind = 'rename' | 'replace' | 'delete';
const PREVIEW_FILES = 50;

// A regular expression that matches `tag` written with spaces or underscores (the tag list counts
// "long hair" and "long_hair" as one tag), or null when the tag has neither (exact matching suffices).
function spellingPattern(tag: string): string | null {
  if (!/[ _]/.test(tag)) return null;
  return tag
    .split(/[ _]/)
    .map((part) => part.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&'))
    .join('[ _]');
}

// The batch edit of one tag-wide operation (null when the form is incomplete).
export function tagOp(tag: string, kind: TagOpKind, text: string): BatchOp | null {
  const news = text.split(',').map((t) => t.trim()).filter(Boolean);
  if (kind !== 'delete' && news.length === 0) return null;
  if (kind === 'rename' && news.length !== 1) return null;
  const pattern = spellingPattern(tag);
  // In regex mode '$' in a replacement is a group reference: written '$$' it stays a '$'.
  const escape = (t: string) => (pattern ? t.replace(/\$/g, '$$$$') : t);
  const replacements = kind === 'delete' ? [''] : news.map(escape);
  return { kind: 'replace', tags: [pattern ?? tag, ...replacements], match: pattern ? 'regex' : 'exact' };
}

function firstLine(text: string) {
  const i = text.indexOf('\n');
  return i < 0 ? text : text.slice(0, i);
}

// One file's tag line before and after, the removed tags struck through and the added ones marked.
function ChangeRow({ file, before, after }: { file: string; before: string; after: string }) {
  const split = (l: string) => firstLine(l).split(',').map((t) => t.trim()).filter(Boolean);
  const b = split(before);
  const a = split(after);
  return (
    <li class="tagop-change">
      <span class="tagop-file">{file}</span>
      <span class="tagop-line" aria-label={`before: ${firstLine(before)}`}>
        {b.map((t, i) => <span key={i} class={a.includes(t) ? 'tagop-tag' : 'tagop-tag tagop-del'}>{t}</span>)}
      </span>
      <span class="tagop-line" aria-label={`after: ${firstLine(after)}`}>
        {a.map((t, i) => <span key={i} class={b.includes(t) ? 'tagop-tag' : 'tagop-tag tagop-add'}>{t}</span>)}
      </span>
    </li>
  );
}

export function TagOpsDialog({ tag, count, onClose }: { tag: string; count: number; onClose: () => void }) {
  const [kind, setKind] = useState<TagOpKind>('rename');
  const [text, setText] = useState(tag);
  const [preview, setPreview] = useState<BatchResponse | null>(null);
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const op = tagOp(tag, kind, text);
  const opKey = JSON.stringify(op);

  useEffect(() => {
    input.current?.select();
  }, []);

  useEffect(() => {
    setPreview(null);
    setErr('');
    if (!op) return;
    let live = true;
    const t = setTimeout(async () => {
      try {
        const r = await post<BatchResponse>('/api/batch', {
          filter: { all: [tag], any: [], none: [], text: '' },
          op,
          dry_run: true,
          max_changes: PREVIEW_FILES,
        });
        if (live) setPreview(r);
      } catch (e) {
        if (live) setErr(errorText(e));
      }
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [opKey]);

  const apply = async () => {
    if (!op || !preview || busy) return;
    setBusy(true);
    try {
      const r = await post<BatchResponse>('/api/batch', { filter: { all: [tag], any: [], none: [], text: '' }, op });
      const skipped = r.skipped.length;
      const verb = kind === 'rename' ? 'Renamed' : kind === 'replace' ? 'Replaced' : 'Deleted';
      toast(`${verb} "${tag}" in ${r.changed} caption${r.changed === 1 ? '' : 's'}${skipped ? `, ${skipped} skipped` : ''} (one Undo restores them)`,
        skipped ? 'error' : 'info', skipped ? r.skipped_ids : undefined);
      afterChange();
      refreshHistory();
      onClose();
    } catch (e) {
      setErr(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const label = kind === 'rename' ? 'Rename' : kind === 'replace' ? 'Replace' : 'Delete';
  const n = preview?.changed ?? 0;
  return (
    <Dialog label={`Edit tag ${tag} everywhere`} onClose={onClose} class="tagop">
        <h2>
          Tag <code>{tag}</code> in {count} caption{count === 1 ? '' : 's'}
        </h2>
        <div class="seg" role="radiogroup" aria-label="Tag operation">
          {(['rename', 'replace', 'delete'] as TagOpKind[]).map((k) => (
            <button key={k} role="radio" aria-checked={kind === k} aria-pressed={kind === k} onClick={() => {
              setKind(k);
              if (k === 'replace' && text === tag) setText('');
              setTimeout(() => input.current?.focus(), 0);
            }}>
              {k === 'rename' ? 'Rename' : k === 'replace' ? 'Replace by several' : 'Delete everywhere'}
            </button>
          ))}
        </div>
        {kind !== 'delete' && (
          <label>
            {kind === 'rename' ? 'New name' : 'New tags, comma-separated (in this order, at its place)'}
            <input ref={input} type="text" aria-label={kind === 'rename' ? 'New tag name' : 'Replacement tags'} value={text}
              onInput={(e) => setText((e.target as HTMLInputElement).value)}
              onKeyDown={(e) => e.key === 'Enter' && apply()} />
          </label>
        )}
        <div class="tagop-preview" aria-live="polite" aria-label="Preview">
          {err ? (
            <p class="error">{err}</p>
          ) : !op ? (
            <p class="muted small">{kind === 'rename' ? 'Type one new name.' : 'Type the new tags.'}</p>
          ) : !preview ? (
            <p class="muted small">Previewing…</p>
          ) : (
            <>
              <p class="tagop-summary">
                {n === 0 ? 'No caption would change.' : `${n} caption${n === 1 ? '' : 's'} will change`}
                {n > 0 && ` (+${preview.tags_added} / −${preview.tags_removed} tags)`}
                {preview.skipped.length > 0 && `, ${preview.skipped.length} skipped`}
                {n > preview.changes.length && ` · first ${preview.changes.length} shown`}
              </p>
              <ul class="tagop-changes">
                {preview.changes.map((c) => <ChangeRow key={c.file} {...c} />)}
              </ul>
            </>
          )}
        </div>
        <div class="row">
          <button onClick={onClose}>Cancel</button>
          <button class="primary" disabled={!preview || n === 0 || busy} onClick={apply}>
            {label} in {n} caption{n === 1 ? '' : 's'}
          </button>
        </div>
    </Dialog>
  );
}
