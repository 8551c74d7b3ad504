// The save conflict of the tag editor shown at the tag level: what changed on disk and what you changed,
// each against the version your edit started from, and a three-way merge that keeps both sides' changes
// (a tag either side removed stays removed; tags either side added are kept).
import { tagKey } from './api';

export interface CaptionParts {
  tags: string[];
  rest: string | null;
}

export interface TagDiffRow {
  tag: string;
  // 'same': in all three; 'added-mine'/'removed-mine': your change; 'added-theirs'/'removed-theirs': the
  // change on disk; 'added-both'/'removed-both': the same change on both sides.
  change: 'same' | 'added-mine' | 'removed-mine' | 'added-theirs' | 'removed-theirs' | 'added-both' | 'removed-both';
}

const keys = (tags: string[]) => new Set(tags.map(tagKey));

// Every tag of base, theirs and mine once, with how each side changed it (base order, then tags added on
// disk, then yours).
export function tagDiff(base: string[], theirs: string[], mine: string[]): TagDiffRow[] {
  const b = keys(base);
  const t = keys(theirs);
  const m = keys(mine);
  const seen = new Set<string>();
  const rows: TagDiffRow[] = [];
  for (const tag of [...base, ...theirs, ...mine]) {
    const k = tagKey(tag);
    if (seen.has(k)) continue;
    seen.add(k);
    const inB = b.has(k), inT = t.has(k), inM = m.has(k);
    let change: TagDiffRow['change'] = 'same';
    if (inB) {
      if (!inT && !inM) change = 'removed-both';
      else if (!inT) change = 'removed-theirs';
      else if (!inM) change = 'removed-mine';
    } else if (inT && inM) change = 'added-both';
    else change = inT ? 'added-theirs' : 'added-mine';
    rows.push({ tag, change });
  }
  return rows;
}

// The three-way merge: the disk version in its order, without the tags you removed, plus the tags you
// added (at the end, in your order). The other lines: yours when you changed them, else theirs.
export function mergeCaptions(base: CaptionParts, theirs: CaptionParts, mine: CaptionParts): CaptionParts {
  const b = keys(base.tags);
  const m = keys(mine.tags);
  const removedByMe = new Set([...b].filter((k) => !m.has(k)));
  const out = theirs.tags.filter((t) => !removedByMe.has(tagKey(t)));
  const have = keys(out);
  for (const tag of mine.tags) {
    const k = tagKey(tag);
    // Added by me (not in base) and not already there. A base tag they removed is not re-added.
    if (!b.has(k) && !have.has(k)) {
      out.push(tag);
      have.add(k);
    }
  }
  const rest = mine.rest !== base.rest ? mine.rest : theirs.rest;
  return { tags: out, rest };
}

const LABEL: Record<TagDiffRow['change'], string> = {
  same: 'unchanged',
  'added-mine': 'you added',
  'removed-mine': 'you removed',
  'added-theirs': 'added on disk',
  'removed-theirs': 'removed on disk',
  'added-both': 'added on both sides',
  'removed-both': 'removed on both sides',
};

interface Props {
  base: CaptionParts;
  theirs: CaptionParts;
  mine: CaptionParts;
  onKeepMine: () => void;
  onTakeTheirs: () => void;
  onMerge: () => void;
}

export function ConflictView(p: Props) {
  const rows = tagDiff(p.base.tags, p.theirs.tags, p.mine.tags);
  const changed = rows.filter((r) => r.change !== 'same');
  const merged = mergeCaptions(p.base, p.theirs, p.mine);
  return (
    <section class="conflict" aria-label="Conflict">
      <p class="note" role="alert">
        This caption was changed elsewhere since you opened it. Nothing was written. The tags each side changed:
      </p>
      <ul class="tag-diff" aria-label="Tag changes">
        {changed.map((r) => (
          <li key={r.tag} class={'diff-' + r.change} data-change={r.change}>
            <span class="diff-tag">{r.tag}</span> <span class="muted small">{LABEL[r.change]}</span>
          </li>
        ))}
        {!changed.length && <li class="muted">The tags are the same; the other lines differ.</li>}
      </ul>
      <p class="small">
        <span class="muted">Merged: </span>
        <span aria-label="Merged caption">{merged.tags.join(', ')}</span>
      </p>
      <div class="ed-actions conflict-actions">
        <button class="primary" onClick={p.onMerge} title="Both sides' additions, without the tags either side removed">Merge and edit</button>
        <button onClick={p.onKeepMine}>Keep mine</button>
        <button onClick={p.onTakeTheirs}>Use the disk version</button>
      </div>
    </section>
  );
}
