// Near-duplicates: the images `tagmetry prepare --dedupe` would collapse, each pair side by side with its
// caption, to keep one (the other is set aside: moved into DATASET/.tagmetry/set-aside/, never deleted) or
// to merge the captions (the tags one lacks are added to it, one undoable operation).
import { useEffect, useState } from 'preact/hooks';
import { ImageDetail, get, post, thumbUrl } from './api';
import { afterChange, refreshHistory } from './actions';
import { Dialog } from './dialog';
import { baseName } from './gallery_tools';
import { errorText, toast } from './store';

// Pairs shown at once (each loads two images); the rest come once these are handled.
const SHOWN_PAIRS = 40;

interface Group {
  keep: number;
  duplicates: { id: number; distance: number }[];
}

function Side({ img, label }: { img: ImageDetail | undefined; label: string }) {
  if (!img) return <div class="dup-side muted">…</div>;
  const first = (img.caption ?? '').split('\n')[0];
  return (
    <figure class="dup-side" aria-label={`${label}: ${img.path}`}>
      <img src={thumbUrl(img.id, 256)} alt={img.path} />
      <figcaption>
        <strong class="dup-name">{baseName(img.path)}</strong>
        {img.width ? <span class="muted small"> {img.width}×{img.height}</span> : null}
        <p class="dup-caption">{img.has_caption ? first || '(empty caption)' : '(no caption)'}</p>
      </figcaption>
    </figure>
  );
}

export function DuplicatesDialog({ onClose }: { onClose: () => void }) {
  const [groups, setGroups] = useState<Group[] | null>(null);
  const [details, setDetails] = useState<Record<number, ImageDetail>>({});
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const [total, setTotal] = useState(0);

  const load = async () => {
    setErr('');
    try {
      const r = await get<{ groups: Group[] }>('/api/duplicates');
      // The first SHOWN_PAIRS pairs, group by group.
      let left = SHOWN_PAIRS;
      const shown: Group[] = [];
      for (const g of r.groups) {
        if (left <= 0) break;
        shown.push({ keep: g.keep, duplicates: g.duplicates.slice(0, left) });
        left -= g.duplicates.length;
      }
      setTotal(r.groups.reduce((n, g) => n + g.duplicates.length, 0));
      setGroups(shown);
      const ids = new Set<number>();
      for (const g of shown) {
        ids.add(g.keep);
        for (const d of g.duplicates) ids.add(d.id);
      }
      const found: Record<number, ImageDetail> = {};
      await Promise.all([...ids].map(async (id) => (found[id] = await get<ImageDetail>(`/api/image/${id}`))));
      setDetails(found);
    } catch (e) {
      setErr(errorText(e));
    }
  };
  useEffect(() => {
    load();
  }, []);

  const act = async (what: () => Promise<string>) => {
    setBusy(true);
    try {
      toast(await what());
      afterChange();
      refreshHistory();
      await load();
    } catch (e) {
      toast('Duplicates: ' + errorText(e), 'error');
    } finally {
      setBusy(false);
    }
  };
  const setAside = (id: number) =>
    act(async () => {
      const r = await post<{ moved: { image: string }[]; skipped: { error: string }[] }>('/api/duplicates/set-aside', { ids: [id] });
      if (r.skipped.length) throw new Error(r.skipped[0].error);
      return `Set aside: moved to ${r.moved[0]?.image}`;
    });
  const merge = (keep: number, from: number) =>
    act(async () => {
      const r = await post<{ added: string[] }>('/api/duplicates/merge', { keep, from: [from] });
      return r.added.length ? `Merged ${r.added.length} tag${r.added.length === 1 ? '' : 's'} into ${details[keep]?.path}: ${r.added.join(', ')}` : 'Nothing to merge: no tag missing';
    });

  return (
    <Dialog label="Near-duplicates" onClose={onClose} class="dups">
        <h2>Near-duplicates</h2>
        <p class="muted small">
          Found as <code>tagmetry prepare --dedupe</code> finds them (dHash distance ≤ 4, similar colours); the plainest
          name is suggested to keep. <em>Set aside</em> moves an image and its caption into
          <code> .tagmetry/set-aside/</code> (nothing is deleted; move it back to restore it).
        </p>
        {err && <p class="error">{err}</p>}
        {!groups && !err && <p class="muted">Looking for near-duplicates…</p>}
        {groups && groups.length === 0 && <p>No near-duplicates.</p>}
        {total > SHOWN_PAIRS && <p class="muted small">{total} pairs; the first {SHOWN_PAIRS} are shown.</p>}
        <fieldset disabled={busy}>
          {groups?.map((g) =>
            g.duplicates.map((d) => (
              <div class="dup-pair" key={g.keep + '-' + d.id} role="group" aria-label={`${details[g.keep]?.path ?? g.keep} and ${details[d.id]?.path ?? d.id}`}>
                <div class="dup-sides">
                  <Side img={details[g.keep]} label="keep" />
                  <Side img={details[d.id]} label="duplicate" />
                </div>
                <p class="muted small">distance {d.distance}</p>
                <div class="row">
                  <button onClick={() => setAside(d.id)}>Keep left, set aside {baseName(details[d.id]?.path ?? '')}</button>
                  <button onClick={() => setAside(g.keep)}>Keep right, set aside {baseName(details[g.keep]?.path ?? '')}</button>
                  <button onClick={() => merge(g.keep, d.id)}>Merge captions into {baseName(details[g.keep]?.path ?? '')}</button>
                </div>
              </div>
            )),
          )}
        </fieldset>
        <div class="row">
          <button onClick={onClose}>Close</button>
        </div>
    </Dialog>
  );
}
