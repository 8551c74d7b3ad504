// Where each tag of a caption came from (GET /api/image/ID/provenance): the editor marks its chips with it
// (class origin-model / origin-edit / origin-review / origin-external) and says it on hover.
import { useEffect, useState } from 'preact/hooks';
import { get, tagKey } from './api';
import './provenance.css';

export interface TagOrigin {
  tag: string;
  origin: 'model' | 'edit' | 'review' | 'external';
  command: string;
  operation: number;
  score: number | null;
  threshold: number | null;
  decision: 'accept' | 'reject' | null;
}

// The origins of image `id`'s tags by tagKey, reloaded when `version` (the caption's) changes.
export function useProvenance(id: number, version: string): Map<string, TagOrigin> {
  const [map, setMap] = useState<Map<string, TagOrigin>>(new Map());
  useEffect(() => {
    let live = true;
    get<{ tags: TagOrigin[] }>(`/api/image/${id}/provenance`)
      .then((r) => live && setMap(new Map(r.tags.map((t) => [tagKey(t.tag), t]))))
      .catch(() => live && setMap(new Map()));  // no provenance: chips stay plain
    return () => {
      live = false;
    };
  }, [id, version]);
  return map;
}

// "from the model: 0.82 ≥ 0.35" and the like, for a chip's title.
export function originText(o: TagOrigin | undefined): string {
  if (!o) return '';
  const score = o.score !== null ? o.score.toFixed(2) : '';
  switch (o.origin) {
    case 'model':
      return `from the model${score ? `: ${score}` : ''}${o.threshold !== null ? ` ≥ ${o.threshold.toFixed(2)}` : ''} (${o.command})`;
    case 'review':
      return `accepted in review${score ? ` (score ${score})` : ''}`;
    case 'edit':
      return `added by hand (${o.command}, operation #${o.operation})${score ? `; model score ${score}` : ''}`;
    default:
      return `written outside Tagmetry${score ? `; model score ${score}` : ''}`;
  }
}
