// Per-browser settings (localStorage): the trigger pinned first in the editor and the LoRA name and
// weight used when copying prompts.
import { useEffect, useRef } from 'preact/hooks';
import { state, update, useStore } from './store';

export function Settings({ onClose }: { onClose: () => void }) {
  const s = useStore();
  const set = (key: 'trigger' | 'lora' | 'loraWeight', value: string) => {
    localStorage.setItem('tagmetry.' + key, value);
    update(key === 'loraWeight' ? { loraWeight: Number(value) || 0 } : { [key]: value });
  };
  // The panel takes the focus when it opens and gives it back when it closes (Esc, Done).
  const box = useRef<HTMLElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    box.current?.querySelector<HTMLElement>('input')?.focus();
    return () => {
      if (before && before !== document.body && document.contains(before)) before.focus();
    };
  }, []);
  return (
    <section class="settings" role="dialog" aria-label="Settings" ref={box}>
      <label>
        Trigger tag
        <input type="text" aria-label="Trigger tag" value={s.trigger} placeholder={state.session?.trigger || 'none'}
          onInput={(e) => set('trigger', (e.target as HTMLInputElement).value)} />
      </label>
      <label>
        LoRA name
        <input type="text" aria-label="LoRA name" value={s.lora} placeholder="my_lora"
          onInput={(e) => set('lora', (e.target as HTMLInputElement).value)} />
      </label>
      <label>
        LoRA weight
        <input type="number" step={0.05} min={0} max={2} aria-label="LoRA weight" value={s.loraWeight}
          onInput={(e) => set('loraWeight', (e.target as HTMLInputElement).value)} />
      </label>
      <button onClick={onClose}>Done</button>
    </section>
  );
}
