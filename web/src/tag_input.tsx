// Tag entry with autocomplete from the Danbooru tag list (/api/vocab): names, aliases, post counts,
// Japanese translations and how many images of the dataset already carry the tag.
import { useEffect, useRef, useState } from 'preact/hooks';
import { VocabTag, formatCount, get, tagKey } from './api';
import { isKey } from './keys';

interface Props {
  label: string;
  placeholder?: string;
  // Called once per Enter or pick with every tag typed (comma-separated input gives several).
  onAdd: (tags: string[]) => void;
  // When true the input keeps its text after Enter (batch forms read it through onChange).
  keepValue?: boolean;
  onChange?: (text: string) => void;
  value?: string;
}

let seq = 0;

export function TagInput({ label, placeholder, onAdd, keepValue, onChange, value }: Props) {
  const [text, setText] = useState(value ?? '');
  const [items, setItems] = useState<VocabTag[]>([]);
  const [active, setActive] = useState(-1);
  const [open, setOpen] = useState(false);
  const listId = useRef('tag-list-' + ++seq).current;
  const timer = useRef<number>();
  const req = useRef(0);
  // The suggestions of the term being typed, as a promise, so Enter can wait for an answer on its way.
  const answer = useRef<{ term: string; tags: Promise<VocabTag[]>; start: () => void } | null>(null);
  // Esc closed the list: Enter then adds the text as typed.
  const dismissed = useRef(false);

  useEffect(() => {
    if (value !== undefined) setText(value);
  }, [value]);

  const query = (q: string) => {
    clearTimeout(timer.current);
    const term = q.split(',').pop()!.trim();
    if (!term) {
      answer.current = null;
      setItems([]);
      setOpen(false);
      return;
    }
    let start!: () => void;
    const tags = new Promise<void>((r) => (start = r)).then(() =>
      get<{ tags: VocabTag[] }>(`/api/vocab?q=${encodeURIComponent(term)}&limit=10`).then((r) => r.tags ?? [], () => []),
    );
    answer.current = { term, tags, start };
    timer.current = window.setTimeout(async () => {
      const my = ++req.current;
      start();
      const list = await tags;
      if (my !== req.current) return;
      setItems(list);
      setActive(-1);
      setOpen(list.length > 0 && !dismissed.current);
    }, 120);
  };

  // Enter without a highlighted suggestion: the top suggestion of the last term, unless that term is a
  // known tag (or an alias of the top one) as typed; Shift+Enter or Esc before it: the text as typed.
  const enter = async (literal: boolean) => {
    const parts = text.split(',');
    const term = parts[parts.length - 1].trim();
    const pending = answer.current;
    if (literal || !term || !pending || pending.term !== term) return commit(parts);
    clearTimeout(timer.current);
    pending.start();
    const list = await pending.tags;
    const top = list[0];
    const exact = list.some((v) => tagKey(v.tag) === tagKey(term));
    if (!top || exact) return commit(parts);
    commit([...parts.slice(0, -1), top.tag]);
  };

  const commit = (tags: string[]) => {
    const list = tags.map((t) => t.trim()).filter(Boolean);
    if (!list.length) return;
    onAdd(list);
    req.current++;
    answer.current = null;
    dismissed.current = false;
    clearTimeout(timer.current);
    if (!keepValue) {
      setText('');
      onChange?.('');
    }
    setItems([]);
    setOpen(false);
  };

  const choose = (v: VocabTag) => {
    // Replace the last comma-separated term with the chosen tag.
    const parts = text.split(',');
    parts[parts.length - 1] = (parts.length > 1 ? ' ' : '') + v.tag;
    const next = parts.join(',');
    if (keepValue) {
      setText(next);
      onChange?.(next);
      setOpen(false);
    } else {
      commit([...parts.slice(0, -1), v.tag]);
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey) return; // Ctrl+↓ / Ctrl+↑: next / previous image (keys.ts)
    if (e.key === 'ArrowDown' && items.length) {
      setOpen(true);
      setActive((a) => (a + 1) % items.length);
      e.preventDefault();
    } else if (e.key === 'ArrowUp' && items.length) {
      setActive((a) => (a <= 0 ? items.length - 1 : a - 1));
      e.preventDefault();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (open && active >= 0 && items[active]) choose(items[active]);
      else if (!keepValue) enter(isKey(e, 'add-literal') || dismissed.current);
    } else if (e.key === 'Escape') {
      // The first Esc closes the list (or stops it from opening); the next one goes on (closes the editor).
      const swallow = open || (!dismissed.current && !!text.trim());
      setOpen(false);
      dismissed.current = true;
      if (swallow) e.stopPropagation();
    }
  };

  return (
    <div class="tag-input">
      <input
        type="text"
        aria-label={label}
        placeholder={placeholder}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={listId}
        aria-activedescendant={active >= 0 ? `${listId}-${active}` : undefined}
        value={text}
        autocomplete="off"
        spellcheck={false}
        onInput={(e) => {
          const v = (e.target as HTMLInputElement).value;
          setText(v);
          onChange?.(v);
          dismissed.current = false;
          query(v);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
      />
      {open && (
        <ul class="suggest" role="listbox" id={listId} aria-label={label + ' suggestions'}>
          {items.map((v, i) => (
            <li
              id={`${listId}-${i}`}
              key={v.tag}
              role="option"
              aria-selected={i === active}
              class={'cat-' + v.category}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(v);
              }}
            >
              <span class="s-tag">{v.tag}</span>
              {v.aliases?.length > 0 && <span class="s-alias">{v.aliases.slice(0, 3).join(', ')}</span>}
              {v.ja && <span class="s-ja" lang="ja">{v.ja}</span>}
              <span class="s-count" title="Danbooru posts">{formatCount(v.count ?? 0)}</span>
              {v.in_dataset > 0 && <span class="s-in" title="images of this dataset">{v.in_dataset} here</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
