// Japanese → tags: a request in Japanese becomes Danbooru tags with scores and the words they came
// from; copy the result as a prompt with the trigger and <lora:NAME:w> when set.
import { useEffect, useState } from 'preact/hooks';
import { formatCount, get, post } from './api';
import { effectiveTrigger, errorText, toast, useStore } from './store';

interface JaTag {
  tag: string;
  score: number;
  category: string;
  count: number;
  from: string[];
}
// The keys of `tagmetry ja2tags --json`, plus each tag's post count.
interface JaResult {
  tags: JaTag[];
  unmatched: string[];
  negative?: JaTag[]; // only when the request negates something
}

// GET /api/complete: whether the server has a completion model on disk (docs/complete.md).
interface CompletionStatus {
  available: boolean;
  model: string;
  reason: string;
}
// The keys of `tagmetry complete --json` the page uses.
interface CompleteResult {
  added: string[];
  model: string;
  seed: number;
}

export function JaPage() {
  const s = useStore();
  const [text, setText] = useState('');
  const [top, setTop] = useState(0);
  const [minCount, setMinCount] = useState(0);
  const [result, setResult] = useState<JaResult | null>(null);
  const [off, setOff] = useState<Set<string>>(new Set());
  const [withTrigger, setWithTrigger] = useState(true);
  const [withLora, setWithLora] = useState(true);
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const [completion, setCompletion] = useState<CompletionStatus | null>(null);
  const [added, setAdded] = useState<string[]>([]); // tags the completion model added (removable)
  const [completing, setCompleting] = useState(false);

  useEffect(() => {
    get<CompletionStatus>('/api/complete')
      .then(setCompletion)
      .catch((e) => setCompletion({ available: false, model: '', reason: errorText(e) }));
  }, []);

  const chosen = (result?.tags ?? []).filter((t) => !off.has(t.tag)).map((t) => t.tag);
  const complete = async () => {
    if (chosen.length === 0) return;
    setCompleting(true);
    setErr('');
    try {
      // offline: the page never waits for a download; the model is on disk when the button is enabled.
      const r = await post<CompleteResult>('/api/complete', { tags: chosen.join(', '), options: { offline: true } });
      setAdded(r.added);
      toast(r.added.length ? `${r.model} added ${r.added.length} tags (seed ${r.seed})` : `${r.model} added no tags`);
    } catch (e) {
      setErr(errorText(e));
    } finally {
      setCompleting(false);
    }
  };

  const run = async () => {
    if (!text.trim()) return;
    setBusy(true);
    setErr('');
    try {
      setResult(await post<JaResult>('/api/ja2tags', { text, top, min_count: minCount }));
      setOff(new Set());
      setAdded([]);
    } catch (e) {
      setErr(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const trigger = effectiveTrigger();
  const parts: string[] = [];
  if (withTrigger && trigger) parts.push(trigger);
  for (const t of result?.tags ?? []) if (!off.has(t.tag)) parts.push(t.tag);
  for (const t of added) parts.push(t);
  if (withLora && s.lora) parts.push(`<lora:${s.lora}:${s.loraWeight}>`);
  const prompt = parts.join(', ');
  const negative = (result?.negative ?? []).map((t) => t.tag).join(', ');

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(prompt);
      toast('Prompt copied');
    } catch {
      const el = document.getElementById('ja-prompt') as HTMLTextAreaElement | null;
      el?.select();
      document.execCommand('copy');
      toast('Prompt copied');
    }
  };

  return (
    <main class="page ja" aria-label="Japanese to tags">
      <section class="form">
        <h2>Japanese → tags</h2>
        <textarea
          aria-label="Japanese request"
          lang="ja"
          rows={3}
          placeholder="青い髪の女の子が海辺で笑っている"
          value={text}
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) run();
          }}
        />
        <div class="row">
          <label>
            Top tags (0 = all)
            <input type="number" min={0} aria-label="Top tags" value={top} onInput={(e) => setTop(Number((e.target as HTMLInputElement).value))} />
          </label>
          <label>
            Min. posts
            <input type="number" min={0} aria-label="Minimum post count" value={minCount} onInput={(e) => setMinCount(Number((e.target as HTMLInputElement).value))} />
          </label>
          <button class="primary" disabled={busy || !text.trim()} onClick={run}>{busy ? 'Working…' : 'Find tags'}</button>
        </div>
        {err && <p class="error">{err}</p>}
      </section>
      {result && (
        <section class="results">
          {result.tags.length === 0 && (
            <p class="muted" role="status">No tags found: nothing in the request matched a known tag. Try other words, or lower “Min. posts”.</p>
          )}
          {result.tags.length > 0 && <table class="ja-tags" aria-label="Tags found">
            <thead><tr><th></th><th>tag</th><th>score</th><th>posts</th><th>from</th></tr></thead>
            <tbody>
              {result.tags.map((t) => (
                <tr key={t.tag} class={off.has(t.tag) ? 'off' : ''}>
                  <td>
                    <input type="checkbox" aria-label={`Use ${t.tag}`} checked={!off.has(t.tag)} onChange={() => {
                      const n = new Set(off);
                      if (n.has(t.tag)) n.delete(t.tag);
                      else n.add(t.tag);
                      setOff(n);
                    }} />
                  </td>
                  <td class={'cat-' + t.category}>{t.tag}</td>
                  <td><span class="score-bar"><span style={{ width: Math.round(100 * Math.min(1, t.score)) + '%' }} /></span> {t.score.toFixed(2)}</td>
                  <td class="muted">{formatCount(t.count ?? 0)}</td>
                  <td lang="ja">{(t.from ?? []).join('、')}</td>
                </tr>
              ))}
            </tbody>
          </table>}
          {(result.unmatched?.length ?? 0) > 0 && (
            <p class="muted small">Not matched: <span lang="ja">{result.unmatched!.join('、')}</span></p>
          )}
          <div class="row complete-row">
            <button
              disabled={completing || !completion?.available || chosen.length === 0}
              title={completion && !completion.available ? completion.reason : `Add tags that go with these (${completion?.model ?? ''})`}
              onClick={complete}
            >
              {completing ? 'Completing…' : 'Complete with model'}
            </button>
            {completion && !completion.available && <span class="muted small" role="note">{completion.reason}</span>}
          </div>
          {added.length > 0 && (
            <ul class="chips added-tags" aria-label="Tags added by the model">
              {added.map((t) => (
                <li key={t} class="chip added" title="added by the completion model">
                  {t}
                  <button aria-label={`Remove ${t}`} onClick={() => setAdded(added.filter((x) => x !== t))}>×</button>
                </li>
              ))}
            </ul>
          )}
          <div class="row">
            <label class="check"><input type="checkbox" checked={withTrigger} disabled={!trigger} onChange={(e) => setWithTrigger((e.target as HTMLInputElement).checked)} /> trigger {trigger ? `“${trigger}”` : '(none set)'}</label>
            <label class="check"><input type="checkbox" checked={withLora} disabled={!s.lora} onChange={(e) => setWithLora((e.target as HTMLInputElement).checked)} /> {s.lora ? `<lora:${s.lora}:${s.loraWeight}>` : 'LoRA (set a name in ⚙)'}</label>
          </div>
          <label class="block">
            Prompt
            <textarea id="ja-prompt" aria-label="Prompt" readOnly rows={3} value={prompt} />
          </label>
          <button class="primary" onClick={copy}>Copy prompt</button>
          {negative && (
            <label class="block">
              Negative prompt
              <textarea aria-label="Negative prompt" readOnly rows={2} value={negative} />
            </label>
          )}
        </section>
      )}
    </main>
  );
}
