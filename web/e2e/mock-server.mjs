// Throwaway in-memory stand-in for `tagmetry serve`, for developing the front end without the C++
// server (docs/serve-api.md). Not used by the tests.
//   node e2e/mock-server.mjs [--images N] [--port P] [--dist DIR]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

const arg = (name, def) => {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : def;
};
const N = Number(arg('images', '300'));
const PORT = Number(arg('port', '0'));
const DIST = arg('dist', new URL('../dist', import.meta.url).pathname);

const VOCAB = ['1girl', 'solo', 'long_hair', 'short_hair', 'blue_eyes', 'red_eyes', 'smile', 'open_mouth', 'outdoors',
  'indoors', 'sky', 'cloud', 'dress', 'shirt', 'hat', 'blonde_hair', 'black_hair', 'looking_at_viewer', 'upper_body',
  'full_body', 'standing', 'sitting', 'flower', 'tree', 'day', 'night', 'water', 'beach', 'school_uniform', 'holding'];
const JA = { '1girl': '女の子1人', solo: 'ソロ', long_hair: '長髪', short_hair: 'ショートヘア', blue_eyes: '青い目', smile: '笑顔', sky: '空' };
const rnd = (seed) => () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const r = rnd(7);
const images = [];
for (let i = 0; i < N; i++) {
  const tags = ['mychar'];
  for (const t of VOCAB) if (r() < 0.25) tags.push(t);
  images.push({ path: `img${String(i).padStart(6, '0')}.png`, caption: i % 17 === 5 ? null : tags.join(', ') + (i % 9 === 0 ? '\nA girl in a field.' : '') });
}
const token = crypto.randomBytes(16).toString('hex');
let generation = 1;
const changed = new Map(); // id -> generation
const ops = []; // {id, command, before: Map, after: Map, undone}
const version = (c) => (c === null ? 'none' : crypto.createHash('sha256').update(c).digest('hex').slice(0, 16));
const tagsOf = (c) => (c ? c.split('\n')[0].split(',').map((t) => t.trim()).filter(Boolean) : []);
const key = (t) => t.trim().toLowerCase().replace(/ /g, '_');
const item = (id) => {
  const im = images[id];
  return { id, path: im.path, caption: im.caption ?? '', tags: tagsOf(im.caption), version: version(im.caption), has_caption: im.caption !== null };
};
const setCaption = (id, c) => {
  images[id].caption = c;
  changed.set(id, ++generation);
};
const matches = (id, f) => {
  const tags = new Set(tagsOf(images[id].caption).map(key));
  if (f.all.some((t) => !tags.has(key(t)))) return false;
  if (f.any.length && !f.any.some((t) => tags.has(key(t)))) return false;
  if (f.none.some((t) => tags.has(key(t)))) return false;
  if (f.text && !(images[id].caption ?? '').toLowerCase().includes(f.text.toLowerCase())) return false;
  if (f.captioned === 'yes' && images[id].caption === null) return false;
  if (f.captioned === 'no' && images[id].caption !== null) return false;
  return true;
};
const filterOf = (q) => ({ all: q.getAll('all'), any: q.getAll('any'), none: q.getAll('none'), text: q.get('text') ?? '', captioned: q.get('captioned') ?? '' });
const scores = (id) =>
  VOCAB.slice(0, 14).map((t, j) => ({ tag: t, score: Math.round(((Math.sin(id * 7 + j) + 1) / 2) * 1000) / 1000, category: 'general' }))
    .filter((s) => s.score >= 0.05).sort((a, b) => b.score - a.score);
let job = null;

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
const err = (res, status, code, message, extra = {}) => send(res, status, { error: { code, message }, ...extra });
const readBody = (req) => new Promise((ok) => {
  let b = '';
  req.on('data', (d) => (b += d));
  req.on('end', () => ok(b ? JSON.parse(b) : {}));
});
function applyOp(c, op) {
  const lines = (c ?? '').split('\n');
  let tags = tagsOf(lines[0]);
  const has = (t) => tags.some((x) => key(x) === key(t));
  if (op.kind === 'add') {
    const add = op.tags.filter((t) => !has(t));
    const at = op.position === 'first' ? 0 : op.position === 'last' ? tags.length : Math.min(op.index ?? 0, tags.length);
    tags.splice(at, 0, ...add);
  } else if (op.kind === 'remove') tags = tags.filter((t) => !op.tags.some((x) => key(x) === key(t)));
  else if (op.kind === 'replace') tags = tags.map((t) => (key(t) === key(op.tags[0]) ? op.tags[1] : t)).filter(Boolean);
  else if (op.kind === 'move_first') tags = [...op.tags.filter(has), ...tags.filter((t) => !op.tags.some((x) => key(x) === key(t)))];
  lines[0] = tags.join(', ');
  return lines.join('\n');
}

const thumb = (id) => {
  const hue = (id * 47) % 360;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="256" height="256" fill="hsl(${hue},45%,60%)"/><circle cx="128" cy="110" r="50" fill="hsl(${hue},40%,85%)"/><text x="128" y="220" font-size="28" text-anchor="middle" fill="#fff" font-family="sans-serif">${id}</text></svg>`;
};

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  const q = url.searchParams;
  if (!p.startsWith('/api/')) {
    const f = path.join(DIST, p === '/' ? 'index.html' : p);
    const file = f.startsWith(DIST) && fs.existsSync(f) && fs.statSync(f).isFile() ? f : path.join(DIST, 'index.html');
    const type = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html' }[path.extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type });
    return res.end(fs.readFileSync(file));
  }
  if (req.method !== 'GET' && req.headers['x-tagmetry-token'] !== token) return err(res, 403, 'csrf', 'missing or wrong X-Tagmetry-Token');
  let m;
  if (p === '/api/session') return send(res, 200, { token, root: '/mock/set', name: 'mock set', images: N, captions: images.filter((i) => i.caption !== null).length, caption_extension: '.txt', separator: ', ', trigger: 'mychar', generation, has_scores: true, version: 'mock' });
  if (p === '/api/changes') {
    const since = Number(q.get('since'));
    const ids = [...changed].filter(([, g]) => g > since).map(([id]) => id);
    return send(res, 200, { generation, ids });
  }
  if (p === '/api/images' || p === '/api/images/ids') {
    const f = filterOf(q);
    const ids = [];
    for (let i = 0; i < N; i++) if (matches(i, f)) ids.push(i);
    if (p === '/api/images/ids') return send(res, 200, { total: ids.length, ids });
    const off = Number(q.get('offset') ?? 0), lim = Math.min(1000, Number(q.get('limit') ?? 200));
    return send(res, 200, { total: ids.length, offset: off, generation, items: ids.slice(off, off + lim).map(item) });
  }
  if ((m = /^\/api\/image\/(\d+)(\/.*)?$/.exec(p))) {
    const id = Number(m[1]);
    if (id >= N) return err(res, 404, 'not_found', `no image ${id}`);
    const sub = m[2] ?? '';
    if (sub === '/thumb' || sub === '/file') {
      res.writeHead(200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'max-age=3600' });
      return res.end(thumb(id));
    }
    if (sub === '/derive') {
      const g = Number(q.get('general') ?? 0.35);
      const tags = scores(id).filter((s) => s.score >= g).map((s) => s.tag);
      return send(res, 200, { tags, text: tags.join(', ') });
    }
    if (sub === '/caption' && req.method === 'PUT') {
      const b = await readBody(req);
      const cur = images[id].caption;
      if (b.version !== version(cur)) return err(res, 409, 'conflict', `${images[id].path}: changed since`, { current: { caption: cur ?? '', version: version(cur) }, yours: b.text });
      ops.push({ id: ops.length + 1, command: 'serve:edit', before: new Map([[id, cur]]), after: new Map([[id, b.text]]), undone: false });
      setCaption(id, b.text);
      return send(res, 200, { ...item(id), operation: ops.length });
    }
    const it = item(id);
    return send(res, 200, { ...it, caption_path: it.path.replace('.png', '.txt'), lines: it.caption.split('\n'), width: 768, height: 1024,
      scores: id % 3 === 2 ? null : { model: 'wd-vit-tagger-v3', general_threshold: 0.35, character_threshold: 0.85, tags: scores(id) } });
  }
  if (p === '/api/batch') {
    const b = await readBody(req);
    const ids = b.ids ?? [...Array(N).keys()].filter((i) => matches(i, { all: [], any: [], none: [], text: '', captioned: '', ...b.filter }));
    const before = new Map(), after = new Map();
    for (const id of ids) {
      const c = applyOp(images[id].caption, b.op);
      if (c !== (images[id].caption ?? '')) {
        before.set(id, images[id].caption);
        after.set(id, c);
        setCaption(id, c);
      }
    }
    ops.push({ id: ops.length + 1, command: 'serve:batch', before, after, undone: false });
    return send(res, 200, { changed: before.size, ids: [...before.keys()], operation: ops.length, skipped: [] });
  }
  if (p === '/api/history') {
    return send(res, 200, { operations: ops.slice().reverse().map((o) => ({ id: o.id, command: o.command, files: o.before.size, undone: o.undone })),
      can_undo: ops.some((o) => !o.undone), can_redo: ops.some((o) => o.undone) });
  }
  if (p === '/api/undo' || p === '/api/redo') {
    const undo = p === '/api/undo';
    const op = undo ? ops.slice().reverse().find((o) => !o.undone) : ops.find((o) => o.undone);
    if (!op) return err(res, 404, 'not_found', 'nothing to ' + (undo ? 'undo' : 'redo'));
    const from = undo ? op.after : op.before, to = undo ? op.before : op.after;
    const bad = [...from].filter(([id, c]) => (images[id].caption ?? '') !== (c ?? '')).map(([id]) => id);
    if (bad.length) return err(res, 409, 'conflict', 'changed since', { changed: bad });
    for (const [id, c] of to) setCaption(id, c);
    op.undone = undo;
    return send(res, 200, { operation: op.id, reverted: [...to.keys()], changed: [] });
  }
  if (p === '/api/tags') {
    const counts = new Map();
    for (const im of images) for (const t of new Set(tagsOf(im.caption))) counts.set(t, (counts.get(t) ?? 0) + 1);
    const s = (q.get('search') ?? '').toLowerCase().replace(/ /g, '_');
    let tags = [...counts].map(([tag, count]) => ({ tag, count, ja: JA[tag] ?? '', category: tag === 'mychar' ? 'unknown' : 'general' }))
      .filter((t) => !s || t.tag.includes(s) || t.ja.includes(s));
    tags.sort(q.get('sort') === 'name' ? (a, b) => a.tag.localeCompare(b.tag) : (a, b) => b.count - a.count || a.tag.localeCompare(b.tag));
    return send(res, 200, { total: tags.length, tags });
  }
  if (p === '/api/vocab') {
    const s = (q.get('q') ?? '').toLowerCase();
    const tags = VOCAB.filter((t) => t.includes(s) || (JA[t] ?? '').includes(s)).slice(0, 10)
      .map((t, i) => ({ tag: t, category: 'general', count: 5000000 - i * 12345, aliases: t === 'long_hair' ? ['longhair'] : [], ja: JA[t] ?? '', in_dataset: 3 }));
    return send(res, 200, { tags });
  }
  if (p === '/api/stats') {
    const counts = new Map();
    const per = new Map();
    for (const im of images) {
      const t = tagsOf(im.caption);
      for (const x of new Set(t)) counts.set(x, (counts.get(x) ?? 0) + 1);
      const b = Math.min(10, Math.floor(t.length / 2)) * 2;
      per.set(b, (per.get(b) ?? 0) + 1);
    }
    const tags = [...counts].map(([tag, count]) => ({ tag, count, category: 'general' })).sort((a, b) => b.count - a.count);
    const caps = images.filter((i) => i.caption !== null).length;
    return send(res, 200, { images: N, captions: caps, unique_tags: tags.length, tag_occurrences: 0, tags,
      near_constant: tags.filter((t) => t.count >= 0.9 * caps),
      tags_per_caption: { min: 1, max: 12, mean: 6, median: 6, histogram: [...per].sort((a, b) => a[0] - b[0]).map(([b, c]) => ({ bin: `${b}-${b + 1}`, count: c })) },
      tokens_per_caption: { min: 3, max: 90, mean: 30, median: 28, over_75: 4, over_75_share: 0.01,
        histogram: ['0-15', '16-30', '31-45', '46-60', '61-75', '76-150', '151+'].map((bin, i) => ({ bin, count: [20, 90, 120, 50, 16, 4, 0][i] })) } });
  }
  if (p === '/api/lint') return send(res, 200, { findings: [
    { rule: 'missing-caption', severity: 'warning', message: `${images.filter((i) => i.caption === null).length} images have no caption`, files: images.filter((i) => i.caption === null).map((i) => i.path), ids: images.map((im, i) => (im.caption === null ? i : -1)).filter((i) => i >= 0) },
    { rule: 'caption-too-long', severity: 'info', message: 'img000009.png: 90 tokens (kohya keeps 75)', files: ['img000009.png'], ids: [9] }] });
  if (p === '/api/preview') {
    const b = await readBody(req);
    return send(res, 200, { max_token_length: 75, images: (b.ids ?? []).filter((i) => i < N).map((id) => ({ id, path: images[id].path,
      samples: Array.from({ length: b.epochs ?? 1 }, (_, e) => {
        const tags = tagsOf(images[id].caption);
        const sh = [tags[0], ...tags.slice(1).sort(() => Math.sin(e * 13 + id) )];
        let end = 0;
        return { epoch: e + 1, seed: (b.seeds ?? [42])[0], caption: sh.join(', '), tokens: sh.length * 3, tags: sh.map((t, i) => ({ tag: t, end_token: (end += 3), cut: i > 8 })) };
      }) })) });
  }
  if (p === '/api/ja2tags') return send(res, 200, { tags: [
    { tag: '1girl', score: 1, category: 'general', count: 5000000, from: ['女の子'] },
    { tag: 'blue_hair', score: 0.92, category: 'general', count: 800000, from: ['青い', '髪'] },
    { tag: 'beach', score: 0.8, category: 'general', count: 200000, from: ['海辺'] },
    { tag: 'smile', score: 0.75, category: 'general', count: 3000000, from: ['笑っている'] }], negative: [], unmatched: ['で'], prompt: '1girl, blue_hair, beach, smile' });
  if (p === '/api/models') return send(res, 200, { models: [{ name: 'wd-vit-tagger-v3', cached: true, in_database: true }, { name: 'wd-eva02-large-tagger-v3', cached: false }], default: 'wd-vit-tagger-v3' });
  if (p === '/api/jobs/current') {
    const running = job && (job.state === 'running' || job.state === 'cancelling');
    return send(res, 200, running ? { id: job.id, state: job.state, done: job.done, total: job.total } : { id: null, state: 'none' });
  }
  if (p === '/api/jobs/tag') {
    if (job && job.state === 'running') return err(res, 409, 'conflict', 'a job is running');
    job = { id: (job?.id ?? 0) + 1, state: 'running', done: 0, total: Math.min(N, 40), clients: [] };
    const j = job;
    const tick = setInterval(() => {
      if (j.state === 'cancelling' || j.done >= j.total) {
        clearInterval(tick);
        j.state = j.state === 'cancelling' ? 'cancelled' : 'done';
        for (const c of j.clients) { c.write(`event: end\ndata: ${JSON.stringify({ state: j.state, report: { tagged: j.done, skipped: 0, failed: 0, seconds: j.done / 10 } })}\n\n`); c.end(); }
        return;
      }
      const id = j.done++;
      if (images[id].caption === null) setCaption(id, 'mychar, tagged_by_job');
      for (const c of j.clients) {
        c.write(`event: item\ndata: ${JSON.stringify({ id, path: images[id].path, outcome: 'tagged', caption: images[id].caption, version: version(images[id].caption) })}\n\n`);
        c.write(`event: progress\ndata: ${JSON.stringify({ done: j.done, total: j.total, rate: 10, eta_seconds: (j.total - j.done) / 10 })}\n\n`);
      }
    }, 100);
    return send(res, 200, { job: j.id });
  }
  if ((m = /^\/api\/jobs\/(\d+)(\/events|\/cancel)?$/.exec(p)) && job && Number(m[1]) === job.id) {
    if (m[2] === '/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      job.clients.push(res);
      return;
    }
    if (m[2] === '/cancel') { job.state = 'cancelling'; return send(res, 200, { state: 'cancelling' }); }
    return send(res, 200, { id: job.id, state: job.state, done: job.done, total: job.total, rate: 10, eta_seconds: 0, report: null, error: null });
  }
  return err(res, 404, 'not_found', p);
});
server.listen(PORT, '127.0.0.1', () => console.log(`Serving mock at http://127.0.0.1:${server.address().port}/`));
