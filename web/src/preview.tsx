// Preview page: what kohya-ss sd-scripts will feed the text encoder for chosen images, per epoch and
// seed (shuffle, keep_tokens, dropout, wildcards), with token counts and where the 75-token cut falls.
import { useState } from 'preact/hooks';
import { Item, PreviewSettings, get, post, thumbUrl } from './api';
import { errorText, useStore } from './store';

// A sample of `tagmetry simulate --json` (docs/simulate.md).
interface Sample {
  epoch: number;
  seed: number;
  caption: string;
  tokens: number;
  truncated: boolean;
  cut_tags: string[];
  tags: { tag: string; end_token: number; cut: boolean }[];
}
interface PreviewResult {
  max_token_length: number;
  images: { id: number; path: string; samples: Sample[] }[];
}

type Settings = Required<
  Pick<
    PreviewSettings,
    | 'shuffle_caption'
    | 'keep_tokens'
    | 'caption_tag_dropout_rate'
    | 'caption_dropout_rate'
    | 'caption_dropout_every_n_epochs'
    | 'enable_wildcard'
    | 'keep_tokens_separator'
    | 'secondary_separator'
    | 'max_token_length'
  >
>;
const DEFAULTS: Settings = {
  shuffle_caption: true,
  keep_tokens: 1,
  caption_tag_dropout_rate: 0,
  caption_dropout_rate: 0,
  caption_dropout_every_n_epochs: 0,
  enable_wildcard: false,
  keep_tokens_separator: '',
  secondary_separator: '',
  max_token_length: 75,
};

function parseIds(text: string): number[] {
  return text.split(/[\s,]+/).filter((x) => /^\d+$/.test(x)).map(Number);
}

// The images field takes file names (`img021.png`, `img021`, `sub/img021.png`) and internal ids (`20`).
// Names are looked up in the dataset listing; an empty field means the dataset's first 3 images.
async function resolveImages(text: string): Promise<{ ids: number[]; note: string }> {
  const words = text
    .split(/[\n,]+/)
    .map((w) => w.trim())
    .flatMap((w) => (/^\d+(\s+\d+)*$/.test(w) ? w.split(/\s+/) : w ? [w] : []));
  const names = words.filter((w) => !/^\d+$/.test(w));
  const byName = new Map<string, number>();
  const first: Item[] = [];
  if (names.length > 0 || words.length === 0) {
    const want = new Set(names.map((n) => n.toLowerCase()));
    const stem = (p: string) => p.replace(/\.[^./]+$/, '');
    const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
    for (let offset = 0; ; offset += 1000) {
      const r = await get<{ total: number; items: Item[] }>(`/api/images?offset=${offset}&limit=1000`);
      for (const it of r.items) {
        if (first.length < 3) first.push(it);
        for (const key of [it.path, base(it.path), stem(it.path), stem(base(it.path))]) {
          const k = key.toLowerCase();
          if (want.has(k) && !byName.has(k)) byName.set(k, it.id);
        }
      }
      if (byName.size >= want.size || offset + 1000 >= r.total || r.items.length === 0) break;
    }
  }
  if (words.length === 0) {
    return { ids: first.map((it) => it.id), note: `The field is empty: previewing the first ${first.length} images (${first.map((it) => it.path).join(', ')}).` };
  }
  const missing = names.filter((n) => !byName.has(n.toLowerCase()));
  if (missing.length) throw new Error(`no image named ${missing.map((m) => `“${m}”`).join(', ')} in the dataset`);
  return { ids: words.map((w) => (/^\d+$/.test(w) ? Number(w) : byName.get(w.toLowerCase())!)), note: '' };
}

export function PreviewPage() {
  const s = useStore();
  const [ids, setIds] = useState(s.selection.size ? [...s.selection].slice(0, 8).join(', ') : '');
  const [note, setNote] = useState('');
  const [source, setSource] = useState<'policy' | 'custom' | 'config'>('policy');
  const [config, setConfig] = useState('dataset_config.toml');
  const [settings, setSettings] = useState<Settings>({ ...DEFAULTS });
  const [epochs, setEpochs] = useState(3);
  const [seeds, setSeeds] = useState('42');
  const [result, setResult] = useState<PreviewResult | null>(null);
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);

  const run = async () => {
    setBusy(true);
    setErr('');
    try {
      const images = await resolveImages(ids);
      setNote(images.note);
      const body: { ids: number[]; epochs: number; seeds: number[]; config?: string; settings?: PreviewSettings } = {
        ids: images.ids,
        epochs,
        seeds: parseIds(seeds),
      };
      if (source === 'config') body.config = config;
      if (source === 'custom') body.settings = settings;
      setResult(await post<PreviewResult>('/api/preview', body));
    } catch (e) {
      setErr(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const num = (key: keyof Settings, label: string, step = 1) => (
    <label>
      {label}
      <input type="number" step={step} min={0} aria-label={label} value={settings[key] as number}
        onInput={(e) => setSettings({ ...settings, [key]: Number((e.target as HTMLInputElement).value) })} />
    </label>
  );
  const bool = (key: keyof Settings, label: string) => (
    <label class="check">
      <input type="checkbox" aria-label={label} checked={settings[key] as boolean}
        onChange={(e) => setSettings({ ...settings, [key]: (e.target as HTMLInputElement).checked })} /> {label}
    </label>
  );

  return (
    <main class="page preview" aria-label="Preview">
      <section class="form">
        <h2>What kohya will read</h2>
        <div class="row">
          <label>
            Images (file names or ids)
            <input type="text" aria-label="Images" placeholder="img001.png, img002 (empty: the first 3)" value={ids}
              onInput={(e) => setIds((e.target as HTMLInputElement).value)}
              onKeyDown={(e) => e.key === 'Enter' && run()} />
          </label>
          {s.selection.size > 0 && (
            <button onClick={() => setIds([...s.selection].slice(0, 20).join(', '))}>Use gallery selection ({s.selection.size})</button>
          )}
          <label>
            Epochs
            <input type="number" min={1} max={20} aria-label="Epochs" value={epochs} onInput={(e) => setEpochs(Number((e.target as HTMLInputElement).value))} />
          </label>
          <label>
            Seeds
            <input type="text" aria-label="Seeds" value={seeds} onInput={(e) => setSeeds((e.target as HTMLInputElement).value)} />
          </label>
        </div>
        <div class="seg" role="radiogroup" aria-label="Settings source">
          <button aria-pressed={source === 'policy'} onClick={() => setSource('policy')}>Policy's kohya settings</button>
          <button aria-pressed={source === 'custom'} onClick={() => setSource('custom')}>Custom settings</button>
          <button aria-pressed={source === 'config'} onClick={() => setSource('config')}>dataset_config.toml</button>
        </div>
        {source === 'config' && (
          <label>
            Config path (inside the dataset)
            <input type="text" aria-label="Config path" value={config} onInput={(e) => setConfig((e.target as HTMLInputElement).value)} />
          </label>
        )}
        {source === 'custom' && (
          <div class="grid-form">
            {bool('shuffle_caption', 'shuffle_caption')}
            {bool('enable_wildcard', 'enable_wildcard')}
            {num('keep_tokens', 'keep_tokens')}
            {num('caption_tag_dropout_rate', 'caption_tag_dropout_rate', 0.05)}
            {num('caption_dropout_rate', 'caption_dropout_rate', 0.05)}
            {num('caption_dropout_every_n_epochs', 'caption_dropout_every_n_epochs')}
            <label>
              keep_tokens_separator
              <input type="text" aria-label="keep_tokens_separator" value={settings.keep_tokens_separator}
                onInput={(e) => setSettings({ ...settings, keep_tokens_separator: (e.target as HTMLInputElement).value })} />
            </label>
            <label>
              secondary_separator
              <input type="text" aria-label="secondary_separator" value={settings.secondary_separator}
                onInput={(e) => setSettings({ ...settings, secondary_separator: (e.target as HTMLInputElement).value })} />
            </label>
            <label>
              max_token_length
              <select aria-label="max_token_length" value={settings.max_token_length}
                onChange={(e) => setSettings({ ...settings, max_token_length: Number((e.target as HTMLSelectElement).value) as 75 | 150 | 225 })}>
                <option value={75}>75</option>
                <option value={150}>150</option>
                <option value={225}>225</option>
              </select>
            </label>
          </div>
        )}
        <button class="primary" disabled={busy} onClick={run}>{busy ? 'Working…' : 'Show preview'}</button>
        {err && <p class="error">{err}</p>}
      </section>
      {result && (
        <section class="results" aria-label="Preview results">
          {note && <p class="note" role="status">{note}</p>}
          <p class="muted small">Tokens counted with the CLIP tokenizer; the text encoder sees {result.max_token_length} tokens, the rest (struck through) is cut.</p>
          {result.images.map((im) => (
            <article key={im.id} class="pv-image">
              <img src={thumbUrl(im.id, 128)} alt="" width={96} height={96} />
              <div class="pv-samples">
                <h3><a href={'#/image/' + im.id}>{im.path}</a></h3>
                <table>
                  <thead><tr><th>epoch</th><th>seed</th><th>tokens</th><th>caption</th></tr></thead>
                  <tbody>
                    {im.samples.map((sm, i) => (
                      <tr key={i}>
                        <td>{sm.epoch}</td>
                        <td>{sm.seed}</td>
                        <td class={sm.tokens > result.max_token_length ? 'over' : ''}>{sm.tokens}</td>
                        <td class="pv-caption"><SampleCaption sample={sm} max={result.max_token_length} /></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </article>
          ))}
        </section>
      )}
    </main>
  );
}

function SampleCaption({ sample, max }: { sample: Sample; max: number }) {
  if (!sample.tags?.length) return <span class={sample.caption ? '' : 'muted'}>{sample.caption || '(caption dropped)'}</span>;
  const firstCut = sample.tags.findIndex((t) => t.cut);
  return (
    <>
      {sample.tags.map((t, i) => (
        <span key={i}>
          {i === firstCut && <span class="cut-mark" title={`${max}-token cut`}>│{max}</span>}
          <span class={t.cut ? 'tag cut' : 'tag'} title={`ends at token ${t.end_token}`}>{t.tag}</span>
          {i < sample.tags.length - 1 && ', '}
        </span>
      ))}
    </>
  );
}
