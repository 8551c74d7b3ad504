// A modal dialog that manages focus: it takes the focus when it opens (its first field or button, or
// the element marked data-autofocus), keeps Tab and Shift+Tab inside, closes on Escape or a click on the
// backdrop, and gives the focus back to where it was (or to the gallery) when it closes.
import { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
  'textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
}

interface Props {
  label: string;
  onClose: () => void;
  class?: string;
  children: ComponentChildren;
}

export function Dialog({ label, onClose, class: cls, children }: Props) {
  const box = useRef<HTMLElement>(null);
  const close = useRef(onClose);
  close.current = onClose;

  // Before the browser paints (a layout effect, not a deferred one): a key typed right after the dialog
  // appears already lands in it.
  useLayoutEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const el = box.current!;
    const first = el.querySelector<HTMLElement>('[data-autofocus]') ?? focusables(el)[0];
    (first ?? el).focus();
    return () => {
      // Back to the opener when it is still on the page, else to the gallery (never to <body>).
      const target = before && before !== document.body && document.contains(before) ? before : document.querySelector<HTMLElement>('.gallery');
      target?.focus({ preventScroll: true });
    };
  }, []);

  // On the window, in the capture phase: Esc and Tab reach the dialog even when the focused element was
  // removed (the focus then sits on <body>), and Esc closes only the dialog, not the editor behind it.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = box.current;
      if (!el) return;
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        close.current();
        return;
      }
      if (e.key !== 'Tab') return;
      const list = focusables(el);
      if (!list.length) {
        e.preventDefault();
        return;
      }
      const first = list[0];
      const last = list[list.length - 1];
      const active = document.activeElement;
      if (!el.contains(active)) {
        e.preventDefault();
        (e.shiftKey ? last : first).focus();
      } else if (e.shiftKey && active === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && active === last) {
        e.preventDefault();
        first.focus();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);

  return (
    <div class="modal-back" onClick={(e) => e.target === e.currentTarget && close.current()}>
      <section ref={box} class={'modal' + (cls ? ' ' + cls : '')} role="dialog" aria-modal="true" aria-label={label} tabIndex={-1}>
        {children}
      </section>
    </div>
  );
}
