// Tag entry with autocomplete from the Danbooru tag list (/api/vocab): names, aliases, post counts,
// Japanese translations and how many images of the dataset already carry the tag.
import { useEffect, useRef, useState } from 'preact/hooks';
import { VocabTag, formatCount, get } from './api';

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

  useEffect(() => {
    if (value !== undefined) setText(value);
  }, [value]);

  const query = (q: string) => {
    clearTimeout(timer.current);
    const term = q.split(',').pop()!.trim();
    if (!term) {
      setItems([]);
      setOpen(false);
      return;
    }
    timer.current = window.setTimeout(async () => {
      const my = ++req.current;
      try {
        const r = await get<{ tags: VocabTag[] }>(`/api/vocab?q=${encodeURIComponent(term)}&limit=10`);
        if (my !== req.current) return;
        setItems(r.tags ?? []);
        setActive(-1);
        setOpen((r.tags ?? []).length > 0);
      } catch {
        setItems([]);
      }
    }, 120);
  };

  const commit = (tags: string[]) => {
    const list = tags.map((t) => t.trim()).filter(Boolean);
    if (!list.length) return;
    onAdd(list);
    req.current++;
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
      else if (!keepValue) {
        commit(text.split(','));
        setText('');
      }
    } else if (e.key === 'Escape' && open) {
      setOpen(false);
      e.stopPropagation();
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
