// Generate page (#/generate): a request (Japanese or tags) → the prompt in a model's style (POST /api/prompt,
// previewed live) → images from the generator the server was started with (serve --generator): checkpoint,
// sampler and LoRA names come from it (GET /api/generator/inventory); a generation runs as a server job
// with progress events and Interrupt, and each image is saved as NNNNN-SEED.png with its parameters and
// a caption (docs/generate.md). Without a generator the page still builds prompts and says how to connect one.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post } from './api';
import { effectiveTrigger, errorText, toast } from './store';
import './generate.css';

interface GeneratorInfo {
  configured: boolean;
  backend?: string;
  url?: string;
  workflow?: boolean;
  how?: string;
  styles: string[];
  completion: { available: boolean; model?: string; reason?: string };
  job: number | null;
}
interface Inventory {
  checkpoints: string[];
  loras: string[];
  samplers: string[];
  schedulers: string[];
}
interface Prompt {
  positive: string;
  negative: string;
  width: number;
  height: number;
  sampler: string;
  scheduler?: string;
  steps: number;
  cfg: number;
  tags: string[];
  unmatched: string[];
}
interface Image {
  name: string;
  url: string;
  seed: number;
  batch: number;
  index: number;
  caption: string;
  batch_size?: number; // ComfyUI / RunPod: the seed is the batch's; reproduce with the same batch size
  batch_pos?: number;
}
interface Lora {
  name: string;
  weight: string;
}
interface Progress {
  fraction: number;
  text: string;
}

const ASPECTS = ['', '1:1', '2:3', '3:2', '3:4', '4:3', '9:16', '16:9'];

const val = (e: Event) => (e.target as HTMLInputElement).value;

export function GeneratePage() {
  const [info, setInfo] = useState<GeneratorInfo | null>(null);
  const [inventory, setInventory] = useState<Inventory | null>(null);
  const [inventoryError, setInventoryError] = useState('');
  const [text, setText] = useState('');
  const [style, setStyle] = useState('none');
  const [trigger, setTrigger] = useState(effectiveTrigger());
  const [loras, setLoras] = useState<Lora[]>([]);
  const [aspect, setAspect] = useState('');
  const [checkpoint, setCheckpoint] = useState('');
  const [sampler, setSampler] = useState('');
  const [scheduler, setScheduler] = useState('');
  const [steps, setSteps] = useState('');
  const [cfg, setCfg] = useState('');
  const [seed, setSeed] = useState('');
  const [count, setCount] = useState('1');
  const [batch, setBatch] = useState('1');
  const [prompt, setPrompt] = useState<Prompt | null>(null);
  const [promptError, setPromptError] = useState('');
  const [completing, setCompleting] = useState(false);
  const [job, setJob] = useState<number | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [images, setImages] = useState<Image[]>([]);
  const [runError, setRunError] = useState('');
  const events = useRef<EventSource | null>(null);

  useEffect(() => {
    get<GeneratorInfo>('/api/generator')
      .then((g) => {
        setInfo(g);
        if (g.job !== null) follow(g.job);
        if (g.configured)
          get<Inventory>('/api/generator/inventory')
            .then((inv) => {
              setInventory(inv);
              // ComfyUI's built-in graph loads the checkpoint it is given: there is no "loaded one".
              if (g.backend !== 'a1111' && !g.workflow && inv.checkpoints.length) setCheckpoint(inv.checkpoints[0]);
            })
            .catch((e) => setInventoryError(errorText(e)));
      })
      .catch((e) => setInventoryError(errorText(e)));
    return () => events.current?.close();
  }, []);

  // The prompt options both routes take (names as in `tagmetry prompt`).
  const options = () => {
    const o: Record<string, unknown> = { text, style, trigger };
    const l = loras.filter((x) => x.name.trim()).map((x) => (x.weight.trim() ? `${x.name.trim()}:${x.weight.trim()}` : x.name.trim()));
    if (l.length) o.loras = l;
    if (aspect) o.aspect = aspect;
    if (sampler) o.sampler = sampler;
    if (scheduler) o.scheduler = scheduler;
    if (steps.trim()) o.steps = steps.trim();
    if (cfg.trim()) o.cfg = cfg.trim();
    return o;
  };

  // Live preview, a moment after the last keystroke.
  useEffect(() => {
    if (!text.trim()) {
      setPrompt(null);
      setPromptError('');
      return;
    }
    const t = setTimeout(() => {
      post<Prompt>('/api/prompt', options())
        .then((p) => {
          setPrompt(p);
          setPromptError('');
        })
        .catch((e) => setPromptError(errorText(e)));
    }, 250);
    return () => clearTimeout(t);
  }, [text, style, trigger, loras, aspect, sampler, scheduler, steps, cfg]);

  function follow(id: number) {
    setJob(id);
    setRunError('');
    setProgress({ fraction: 0, text: 'Starting…' });
    events.current?.close();
    const es = new EventSource(`/api/generate/jobs/${id}/events`);
    events.current = es;
    const seen = new Set<string>();
    es.addEventListener('step', (e) => {
      const d = JSON.parse((e as MessageEvent).data);
      const stepText = d.steps ? `step ${d.step}/${d.steps}` : 'working';
      setProgress({ fraction: d.fraction, text: `Batch ${d.batch}/${d.batches}, ${stepText}` });
    });
    es.addEventListener('image', (e) => {
      const im: Image = JSON.parse((e as MessageEvent).data);
      if (seen.has(im.name)) return;
      seen.add(im.name);
      setImages((list) => [im, ...list]);
    });
    es.addEventListener('end', (e) => {
      const d = JSON.parse((e as MessageEvent).data);
      es.close();
      setJob(null);
      setProgress(null);
      if (d.state === 'failed') setRunError(d.error ?? 'the generation failed');
      else {
        const errors: string[] = d.report?.errors ?? [];
        if (errors.length) setRunError(errors.join('; '));
        toast(d.state === 'cancelled' ? 'Generation interrupted (images received so far are kept)' : 'Generation done');
      }
    });
  }

  async function generate() {
    const o = options();
    if (checkpoint) o.checkpoint = checkpoint;
    if (seed.trim()) o.seed = seed.trim();
    o.count = count;
    o.batch_size = batch;
    try {
      const r = await post<{ job: number }>('/api/generate', o);
      follow(r.job);
    } catch (e) {
      setRunError(errorText(e));
    }
  }

  async function interrupt() {
    if (job === null) return;
    try {
      await post(`/api/generate/jobs/${job}/cancel`);
      setProgress((p) => (p ? { ...p, text: 'Interrupting…' } : p));
    } catch (e) {
      setRunError(errorText(e));
    }
  }

  async function complete() {
    const tags = prompt?.tags?.length ? prompt.tags.join(', ') : text;
    setCompleting(true);
    try {
      const r = await post<{ tags: (string | { tag: string })[] }>('/api/complete', { tags, options: { offline: true } });
      setText(r.tags.map((t) => (typeof t === 'string' ? t : t.tag)).join(', '));
    } catch (e) {
      setPromptError(errorText(e));
    } finally {
      setCompleting(false);
    }
  }

  const copyCaption = (im: Image) =>
    navigator.clipboard?.writeText(im.caption).then(() => toast('Caption copied'), () => toast(im.caption));

  const completion = info?.completion;
  const canGenerate = !!info?.configured && job === null && !!text.trim() && !promptError;
  return (
    <main class="page generate-page">
      <h2>Generate</h2>
      {info && !info.configured && (
        <p class="gen-note" role="note">
          No generator connected: this page builds prompts only. To generate, {info.how}.
        </p>
      )}
      {info?.configured && (
        <p class="muted">
          Generator: {info.backend} at <code>{info.url}</code>
          {inventoryError && <span class="error"> — {inventoryError}</span>}
        </p>
      )}
      <section class="gen-request">
        <label for="gen-text">Request (Japanese or tags)</label>
        <textarea id="gen-text" rows={3} value={text} placeholder="青い髪の女の子が桜の下で笑っている / 1girl, blue hair, cherry blossoms"
          onInput={(e) => setText(val(e))}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && canGenerate) {
              e.preventDefault();
              generate();
            }
          }} />
        {info?.configured && <p class="muted gen-small">Ctrl+Enter generates.</p>}
        <div class="gen-row">
          <label>Style{' '}
            <select aria-label="Style" value={style} onChange={(e) => setStyle(val(e))}>
              {(info?.styles ?? ['none']).map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </label>
          <label>Trigger <input aria-label="Trigger" size={12} value={trigger} onInput={(e) => setTrigger(val(e))} /></label>
          <label>Aspect{' '}
            <select aria-label="Aspect" value={aspect} onChange={(e) => setAspect(val(e))}>
              {ASPECTS.map((a) => <option key={a} value={a}>{a || "style's"}</option>)}
            </select>
          </label>
          <button type="button" onClick={complete} disabled={!completion?.available || completing || !text.trim()}
            title={completion?.available ? `Add tags with ${completion.model} (tagmetry complete)` : completion?.reason}>
            {completing ? 'Completing…' : 'Complete'}
          </button>
        </div>
        {completion && !completion.available && <p class="muted gen-small">Complete is off: {completion.reason}</p>}
        <fieldset class="gen-loras">
          <legend>LoRAs</legend>
          <datalist id="gen-lora-names">{inventory?.loras.map((n) => <option key={n} value={n} />)}</datalist>
          {loras.map((l, i) => (
            <div class="gen-row" key={i}>
              <input aria-label={`LoRA ${i + 1} name`} list="gen-lora-names" size={16} value={l.name}
                onInput={(e) => setLoras(loras.map((x, j) => (j === i ? { ...x, name: val(e) } : x)))} />
              <input aria-label={`LoRA ${i + 1} weight`} type="number" step="0.05" min="-2" max="2" size={5} value={l.weight}
                onInput={(e) => setLoras(loras.map((x, j) => (j === i ? { ...x, weight: val(e) } : x)))} />
              <button type="button" aria-label={`Remove LoRA ${i + 1}`} onClick={() => setLoras(loras.filter((_, j) => j !== i))}>✕</button>
            </div>
          ))}
          <button type="button" onClick={() => setLoras([...loras, { name: '', weight: '0.8' }])}>Add LoRA</button>
        </fieldset>
      </section>

      <section class="gen-preview" aria-live="polite" aria-label="Prompt preview">
        {promptError && <p class="error">{promptError}</p>}
        {!prompt && !promptError && <p class="muted">Type a request to see the prompt.</p>}
        {prompt && (
          <dl>
            <dt>Positive</dt><dd data-testid="gen-positive">{prompt.positive}</dd>
            <dt>Negative</dt><dd data-testid="gen-negative">{prompt.negative || '—'}</dd>
            <dt>Settings</dt>
            <dd data-testid="gen-settings">
              {prompt.width}x{prompt.height}, {prompt.sampler}{prompt.scheduler ? ` (${prompt.scheduler})` : ''}, {prompt.steps} steps, CFG {prompt.cfg}
            </dd>
            {prompt.unmatched.length > 0 && (<><dt>Not matched</dt><dd class="muted">{prompt.unmatched.join(', ')}</dd></>)}
          </dl>
        )}
      </section>

      <section class="gen-settings">
        <div class="gen-row">
          {info?.configured && (!inventory || !inventory.checkpoints.length) && (
            <label title="This generator does not list its checkpoints (RunPod): type the file name">Checkpoint{' '}
              <input aria-label="Checkpoint" size={24} value={checkpoint} placeholder="model.safetensors"
                onInput={(e) => setCheckpoint(val(e))} />
            </label>
          )}
          {inventory && inventory.checkpoints.length > 0 && (
            <label>Checkpoint{' '}
              <select aria-label="Checkpoint" value={checkpoint} onChange={(e) => setCheckpoint(val(e))}>
                {info?.backend === 'a1111' || info?.workflow ? <option value="">{info?.workflow ? "workflow's" : 'loaded one'}</option> : null}
                {inventory.checkpoints.map((n) => <option key={n} value={n}>{n}</option>)}
              </select>
            </label>
          )}
          <label>Sampler{' '}
            <select aria-label="Sampler" value={sampler} onChange={(e) => setSampler(val(e))}>
              <option value="">style's</option>
              {(inventory?.samplers ?? []).map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </label>
          {(inventory?.schedulers.length ?? 0) > 0 && (
            <label>Scheduler{' '}
              <select aria-label="Scheduler" value={scheduler} onChange={(e) => setScheduler(val(e))}>
                <option value="">style's</option>
                {inventory!.schedulers.map((n) => <option key={n} value={n}>{n}</option>)}
              </select>
            </label>
          )}
          <label>Steps <input aria-label="Steps" type="number" min="1" max="150" size={4} value={steps} placeholder="style" onInput={(e) => setSteps(val(e))} /></label>
          <label>CFG <input aria-label="CFG" type="number" min="0" max="30" step="0.5" size={4} value={cfg} placeholder="style" onInput={(e) => setCfg(val(e))} /></label>
        </div>
        <div class="gen-row">
          <label>Seed <input aria-label="Seed" size={11} value={seed} placeholder="random" inputMode="numeric" onInput={(e) => setSeed(val(e))} /></label>
          <label>Batches <input aria-label="Batches" type="number" min="1" max="100" size={3} value={count} onInput={(e) => setCount(val(e))} /></label>
          <label>Batch size <input aria-label="Batch size" type="number" min="1" max="16" size={3} value={batch} onInput={(e) => setBatch(val(e))} /></label>
          {job === null ? (
            <button type="button" class="primary" disabled={!canGenerate} onClick={generate}
              title={info?.configured ? 'Generate with the settings above' : 'No generator: start serve with --generator URL'}>
              Generate
            </button>
          ) : (
            <button type="button" onClick={interrupt}>Interrupt</button>
          )}
        </div>
        {progress && (
          <div class="gen-progress" role="status">
            <progress max={1} value={progress.fraction} aria-label="Generation progress" /> {progress.text}
          </div>
        )}
        {runError && <p class="error" role="alert">{runError}</p>}
      </section>

      {images.length > 0 && (
        <section aria-label="Generated images">
          <h2>Images</h2>
          <div class="gen-images">
            {images.map((im) => (
              <figure key={im.name} class="gen-image">
                <a href={im.url} target="_blank" rel="noopener"><img src={im.url} alt={im.caption} loading="lazy" /></a>
                <figcaption>
                  <span data-testid="gen-seed">seed {im.seed}</span>
                  {im.batch_size ? <span class="muted" title="ComfyUI draws a batch's noise from one seed: use the same seed and batch size to get this image again"> (#{(im.batch_pos ?? 0) + 1} of a batch of {im.batch_size})</span> : null}{' '}
                  <a href={im.url} target="_blank" rel="noopener">open</a>{' '}
                  <button type="button" onClick={() => copyCaption(im)} title={im.caption}>Use as caption</button>{' '}
                  <button type="button" onClick={() => setSeed(String(im.seed))} title="Put this seed in the Seed box">Reuse seed</button>
                </figcaption>
              </figure>
            ))}
          </div>
        </section>
      )}
    </main>
  );
}
