// The app's keyboard shortcuts: one table (keys.json) that the key handlers match against, the `?`
// overlay lists and docs/serve.md's "Keyboard" table is checked against (web/scripts/keys-doc.mjs).
import table from './keys.json';

export interface KeyBinding {
  id: string;
  where: string; // in the user's words: "gallery", "editor chip", "anywhere outside text fields"
  keys: string[]; // "Ctrl+S", "Alt+←", "?", "T"
  action: string;
}

export const KEYS: KeyBinding[] = table;

const NAMES: Record<string, string> = {
  '←': 'arrowleft',
  '→': 'arrowright',
  '↑': 'arrowup',
  '↓': 'arrowdown',
  esc: 'escape',
  space: ' ',
};

interface Combo {
  ctrl: boolean;
  alt: boolean;
  shift: boolean;
  key: string; // KeyboardEvent.key, lower case
}

function parse(spec: string): Combo {
  const parts = spec === '+' ? ['+'] : spec.split('+');
  const key = parts[parts.length - 1].toLowerCase();
  const mods = parts.slice(0, -1).map((m) => m.toLowerCase());
  return { ctrl: mods.includes('ctrl'), alt: mods.includes('alt'), shift: mods.includes('shift'), key: NAMES[key] ?? key };
}

const parsed = new Map<string, Combo[]>(KEYS.map((k) => [k.id, k.keys.map(parse)]));

// Whether `e` is one of the keys of binding `id`. Ctrl also matches ⌘ (macOS). Shift is ignored for
// printable symbols ("?" is Shift+/ on most layouts).
export function isKey(e: KeyboardEvent, id: string): boolean {
  const combos = parsed.get(id);
  if (!combos) throw new Error('no key binding ' + id);
  const key = e.key.toLowerCase();
  const mod = e.ctrlKey || e.metaKey;
  return combos.some((c) => {
    if (c.key !== key || c.ctrl !== mod || c.alt !== e.altKey) return false;
    const symbol = c.key.length === 1 && !/[a-z0-9 ]/.test(c.key);
    return symbol || c.shift === e.shiftKey;
  });
}

// Whether the key event comes from a place that takes typed text (where plain letters must not act).
export function inTextField(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el || !el.tagName) return false;
  if (el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable) return true;
  if (el.tagName !== 'INPUT') return false;
  const type = (el as HTMLInputElement).type;
  return !['checkbox', 'radio', 'range', 'button', 'submit', 'reset', 'color', 'file'].includes(type);
}

// The bindings grouped by where they apply, in table order (the overlay and the docs table).
export function keyGroups(): { where: string; bindings: KeyBinding[] }[] {
  const out: { where: string; bindings: KeyBinding[] }[] = [];
  for (const k of KEYS) {
    const g = out.find((x) => x.where === k.where);
    if (g) g.bindings.push(k);
    else out.push({ where: k.where, bindings: [k] });
  }
  return out;
}
