// Tag categories for the editor's chip colours (general, character, copyright, artist, meta) and which
// tags are not in the Danbooru tag list (GET /api/vocab/lookup). Answers are cached for the page's life;
// only tags not seen before are asked for, in one request per render that needs them.
import { useEffect, useState } from 'preact/hooks';
import { get, tagKey } from './api';

export interface TagCategory {
  category: string; // "general", "character", …, or "unknown" (not in the tag list)
  name: string; // the tag list's spelling ('' when unknown)
}

interface LookupAnswer {
  vocabulary: boolean;
  tags: { tag: string; category: string; name: string }[];
}

const cache = new Map<string, TagCategory>();
let vocabulary = true;
const pending = new Set<string>();
// Every mounted user of the hook re-renders when an answer arrives: the answer to a lookup started by an
// earlier render (whose effect was since cleaned up, e.g. another tag was added meanwhile) is not lost.
const listeners = new Set<() => void>();

async function lookup(tags: string[]): Promise<void> {
  for (let i = 0; i < tags.length; i += 400) {
    const part = tags.slice(i, i + 400);
    const q = part.map((t) => 'tag=' + encodeURIComponent(t)).join('&');
    try {
      const r = await get<LookupAnswer>('/api/vocab/lookup?' + q);
      vocabulary = r.vocabulary;
      for (const t of r.tags) cache.set(tagKey(t.tag), { category: t.category, name: t.name });
    } finally {
      for (const t of part) pending.delete(tagKey(t));
    }
  }
  for (const f of listeners) f();
}

// The category of each of `tags` (by tagKey; missing while the answer is on its way), and whether the
// server has a tag list at all (without one no tag is marked unknown).
export function useTagCategories(tags: string[]): { of: (tag: string) => TagCategory | undefined; vocabulary: boolean } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const rerender = () => setTick((n) => n + 1);
    listeners.add(rerender);
    return () => {
      listeners.delete(rerender);
    };
  }, []);
  const missing = tags.filter((t) => !cache.has(tagKey(t)) && !pending.has(tagKey(t)));
  const sig = missing.join('\u0001');
  useEffect(() => {
    if (!missing.length) return;
    for (const t of missing) pending.add(tagKey(t));
    lookup(missing).catch(() => {});
  }, [sig]);
  return { of: (tag: string) => cache.get(tagKey(tag)), vocabulary };
}
