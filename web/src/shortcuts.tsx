// The page-wide shortcuts that belong to no single panel: `?` shows the keys overlay (the key table of
// keys.json) and T puts the cursor in the editor's Add tag field, opening the editor on the gallery
// cursor first. Save, next/previous image and undo live with the editor and the header (keys.ts).
import { useEffect, useState } from 'preact/hooks';
import { Dialog } from './dialog';
import { openAt } from './gallery';
import { inTextField, isKey, keyGroups } from './keys';
import { gallery, state } from './store';

let addTagWanted = false;
const ADD_TAG = '.editor input[aria-label="Add tag"]';

// Focuses the editor's Add tag field now, or as soon as the editor shows it (see takeAddTagFocus).
export function focusAddTag() {
  const input = document.querySelector<HTMLInputElement>(ADD_TAG);
  if (input && state.editorId !== null) {
    input.focus();
    return;
  }
  if (state.editorId !== null) {
    addTagWanted = true;  // the editor is loading: its field is not there yet
    return;
  }
  const index = Math.max(0, Math.min(state.current, gallery.total - 1));
  if (!gallery.get(index)) return;
  addTagWanted = true;
  openAt(index);
}

// Called by the editor once its Add tag field is on screen: focuses it when focusAddTag asked for it.
export function takeAddTagFocus() {
  if (!addTagWanted) return;
  const input = document.querySelector<HTMLInputElement>(ADD_TAG);
  if (!input) return;
  addTagWanted = false;
  input.focus();
}

let openHelp: (() => void) | null = null;
// Shows the keys overlay (the header's ? button).
export function showKeys() {
  openHelp?.();
}

export function Shortcuts() {
  const [help, setHelp] = useState(false);
  useEffect(() => {
    openHelp = () => setHelp(true);
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || inTextField(e.target)) return;
      if (isKey(e, 'help')) {
        e.preventDefault();
        setHelp(true);
      } else if (isKey(e, 'focus-add') && !document.querySelector('.modal') && document.querySelector('.gallery')) {
        e.preventDefault();
        focusAddTag();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => {
      openHelp = null;
      window.removeEventListener('keydown', onKey);
    };
  }, []);
  return help ? <KeysOverlay onClose={() => setHelp(false)} /> : null;
}

export function KeysOverlay({ onClose }: { onClose: () => void }) {
  return (
    <Dialog label="Keyboard shortcuts" onClose={onClose} class="keys-overlay">
      <h2>Keyboard shortcuts</h2>
      <table class="keys-table">
        <tbody>
          {keyGroups().map((g) => (
            <>
              <tr key={g.where} class="keys-where"><th colSpan={2} scope="rowgroup">{g.where}</th></tr>
              {g.bindings.map((b) => (
                <tr key={b.id} data-key-id={b.id}>
                  <td class="keys-keys">{b.keys.map((k, i) => <>{i > 0 && ' '}<kbd key={k}>{k}</kbd></>)}</td>
                  <td>{b.action}</td>
                </tr>
              ))}
            </>
          ))}
        </tbody>
      </table>
      <div class="ed-actions">
        <span class="grow" />
        <button onClick={onClose}>Close</button>
      </div>
    </Dialog>
  );
}
