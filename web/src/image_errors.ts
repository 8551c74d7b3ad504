// Images the server cannot decode (their thumbnail answers 422 with the reason). The reason is fetched
// once per image and remembered, so a broken image is neither re-requested on every render nor shown as
// a blank cell: the gallery and the editor say "cannot decode: <reason>".
import { thumbUrl } from './api';

const reasons = new Map<number, string>();
const listeners = new Set<() => void>();

// Why image `id` cannot be shown, or undefined when it is not known to be broken.
export function brokenReason(id: number): string | undefined {
  return reasons.get(id);
}

// Subscribes to changes of the list (returns the unsubscribe function).
export function onBrokenChange(l: () => void): () => void {
  listeners.add(l);
  return () => {
    listeners.delete(l);
  };
}

// Called when an <img> of image `id` failed: asks the server once why, then re-renders the subscribers.
export async function noteBroken(id: number) {
  if (reasons.has(id)) return;
  reasons.set(id, 'loading the reason…');
  let reason = 'the image could not be loaded';
  try {
    const res = await fetch(thumbUrl(id), { cache: 'no-store' });
    const body = await res.json().catch(() => null);
    if (!res.ok) reason = body?.error?.message ?? `HTTP ${res.status}`;
  } catch {
    /* keep the generic reason */
  }
  reasons.set(id, reason);
  for (const l of listeners) l();
}
