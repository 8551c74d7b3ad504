// Stats page: the figures of `tagmetry stats` as SVG charts, and lint findings linking to the images.
import { useEffect, useState } from 'preact/hooks';
import { get } from './api';
import { Bin, HBars, Histogram } from './charts';
import { setTagMode } from './sidebar';
import { effectiveTrigger, errorText, useStore } from './store';

interface Dist {
  min: number;
  max: number;
  mean: number;
  median: number;
  histogram: { bin: string; count: number }[];
  over_75?: number;
  over_75_share?: number;
}
interface Stats {
  images: number;
  captions: number;
  unique_tags: number;
  tag_occurrences: number;
  tags: { tag: string; count: number; category: string }[];
  near_constant: { tag: string; count: number }[];
  tags_per_caption: Dist;
  tokens_per_caption: Dist;
  ratings?: { rating: string; count: number }[];
  rare_tags?: { count: number; tags: string[] };
}
interface Finding {
  rule: string;
  severity: string;
  message: string;
  files: string[];
  ids?: number[];
}

const bins = (d?: Dist): Bin[] => (d?.histogram ?? []).map((h) => ({ label: String(h.bin), count: h.count }));

function filterBy(tag: string) {
  setTagMode(tag, 'and');
  location.hash = '#/gallery';
}

export function StatsPage() {
  const s = useStore();
  const [stats, setStats] = useState<Stats | null>(null);
  const [lint, setLint] = useState<Finding[] | null>(null);
  const [err, setErr] = useState('');
  const [topN, setTopN] = useState(30);

  useEffect(() => {
    get<Stats>('/api/stats').then(setStats).catch((e) => setErr(errorText(e)));
    const trig = effectiveTrigger();
    get<{ findings: Finding[] }>('/api/lint' + (trig ? '?trigger=' + encodeURIComponent(trig) : ''))
      .then((r) => setLint(r.findings ?? []))
      .catch((e) => setErr((x) => x || 'Lint: ' + errorText(e)));
  }, [s.tagsVersion]);

  if (err && !stats) return <main class="page"><p class="error">{err}</p></main>;
  if (!stats) return <main class="page"><p class="muted">Computing statistics…</p></main>;
  const tok = stats.tokens_per_caption;
  return (
    <main class="page stats" aria-label="Statistics">
      <div class="cards">
        <div class="card"><b>{stats.images}</b><span>images</span></div>
        <div class="card"><b>{stats.captions}</b><span>captions</span></div>
        <div class="card"><b>{stats.unique_tags}</b><span>distinct tags</span></div>
        <div class="card"><b>{tok?.median ?? '–'}</b><span>median tokens</span></div>
        <div class={'card' + ((tok?.over_75 ?? 0) > 0 ? ' warn' : '')}><b>{tok?.over_75 ?? 0}</b><span>captions over 75 tokens</span></div>
      </div>
      <section>
        <h2>Tag frequencies</h2>
        <p class="muted small">Captions containing each tag. Click a bar to filter the gallery.</p>
        <HBars
          label="Tag frequencies"
          bars={stats.tags.slice(0, topN).map((t) => ({ label: t.tag, value: t.count, onClick: () => filterBy(t.tag) }))}
        />
        {stats.tags.length > topN && <button onClick={() => setTopN(topN + 50)}>Show more</button>}
      </section>
      <div class="two">
        <section>
          <h2>CLIP tokens per caption</h2>
          <p class="muted small">Tag line; kohya cuts past 75 tokens unless max_token_length is 150 or 225.</p>
          <Histogram label="Tokens per caption" bins={bins(tok)} markAt={75} markLabel="75" />
        </section>
        <section>
          <h2>Tags per image</h2>
          <p class="muted small">min {stats.tags_per_caption?.min} · median {stats.tags_per_caption?.median} · max {stats.tags_per_caption?.max}</p>
          <Histogram label="Tags per image" bins={bins(stats.tags_per_caption)} />
        </section>
      </div>
      <section>
        <h2>Near-constant tags</h2>
        {stats.near_constant.length === 0 ? (
          <p class="muted">None: no tag is in 90% or more of the captions.</p>
        ) : (
          <>
            <p class="muted small">In almost every caption: the trigger will absorb them unless they vary.</p>
            <ul class="inline-list">
              {stats.near_constant.map((t) => (
                <li key={t.tag}><button class="link" onClick={() => filterBy(t.tag)}>{t.tag}</button> <span class="muted">{t.count}</span></li>
              ))}
            </ul>
          </>
        )}
      </section>
      <section>
        <h2>Lint</h2>
        {lint === null ? <p class="muted">Checking…</p> : lint.length === 0 ? <p>No findings.</p> : (
          <table class="lint" aria-label="Lint findings">
            <thead><tr><th>severity</th><th>rule</th><th>finding</th><th>images</th></tr></thead>
            <tbody>
              {lint.map((f, i) => (
                <tr key={i} class={'sev-' + f.severity}>
                  <td>{f.severity}</td>
                  <td><code>{f.rule}</code></td>
                  <td>{f.message}</td>
                  <td class="links">
                    {(f.ids ?? []).slice(0, 12).map((id, j) => (
                      <a key={id} href={'#/image/' + id} title={f.files?.[j]}>{f.files?.[j] ?? '#' + id}</a>
                    ))}
                    {(f.ids?.length ?? 0) > 12 && <span class="muted"> +{f.ids!.length - 12} more</span>}
                    {!f.ids && (f.files ?? []).slice(0, 12).map((p) => <span key={p}>{p}</span>)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </main>
  );
}
