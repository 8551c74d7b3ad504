// Shared pieces of the browser tests (web/e2e/*.e2e.mjs): the command line, skipping without Chromium,
// fixture folders of drawn images and captions, starting `tagmetry serve` on a free port (with its session
// token), launching Debian's Chromium through playwright-core, a console-error watch, and the check/until
// helpers with the report printed at the end.
//
//   const env = await e2eEnvironment();          // exits 77 (skipped) without Chromium or playwright-core
//   const tmp = makeTemp('tagmetry-x-e2e-');
//   makeFixtureFolder(env.python, dir, [{ name: 'a.png', solid: [255, 0, 0], caption: 'red' }]);
//   const server = await startServer(env, [dir, '--model-dir', models]);   // server.base, server.token
//   const { browser, context, page } = await launchBrowser(env);
//   const watch = watchConsole(page, { allow: /status of 409/ });
//   const t = new Checks(page, env.shots);  await t.check('name', async () => {...});
//   await finish({ checks: t, browser, servers: [server], tmp, watch });   // prints, cleans up, exits
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SKIP = 77;
export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// The value of `--name VALUE` on the command line, else of the environment variable `env`.
export function option(name, env) {
  const i = process.argv.indexOf('--' + name);
  if (i > 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  return env ? process.env[env] : undefined;
}

// The test's inputs: { cli, python, webRoot, chromiumPath, shots, chromium }. Exits 77 when Chromium or
// playwright-core is missing, 1 when the tagmetry binary or the built front end is.
export async function e2eEnvironment() {
  const env = {
    cli: option('tagmetry', 'TAGMETRY_CLI'),
    python: option('python', 'TAGMETRY_PYTHON') || '/usr/bin/python3',
    webRoot: option('web-root', 'TAGMETRY_WEB_ROOT'),
    chromiumPath: process.env.CHROMIUM || '/usr/bin/chromium',
    shots: process.env.TAGMETRY_SCREENSHOTS,
  };
  if (!fs.existsSync(env.chromiumPath)) {
    console.log(`SKIP: ${env.chromiumPath} not found (apt install chromium)`);
    process.exit(SKIP);
  }
  try {
    ({ chromium: env.chromium } = await import('playwright-core'));
  } catch {
    console.log('SKIP: playwright-core is not installed (cd web && npm ci --ignore-scripts)');
    process.exit(SKIP);
  }
  if (env.webRoot && !fs.existsSync(path.join(env.webRoot, 'index.html'))) {
    console.error(`FAIL: ${env.webRoot}/index.html is missing: build the front end (cmake --build BUILD --target tagmetry_web)`);
    process.exit(1);
  }
  if (!env.cli || !fs.existsSync(env.cli)) {
    console.error(`FAIL: tagmetry binary not found (${env.cli ?? 'pass --tagmetry BIN'})`);
    process.exit(1);
  }
  return env;
}

// Runs a command to completion; throws with its output when it fails. Returns stdout.
export function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

// A new temporary folder (removed by finish() unless E2E_KEEP is set).
export function makeTemp(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const PY_IMAGES = `
import json, sys
from PIL import Image, ImageDraw
for s in json.loads(sys.argv[2]):
    if 'corrupt' in s:
        continue
    size = s.get('size', 448 if 'solid' in s else 384)
    if 'solid' in s:
        Image.new('RGB', (size, size), tuple(s['solid'])).save(sys.argv[1] + '/' + s['name'])
        continue
    w = h = size
    im = Image.new('RGB', (w, h))
    d = ImageDraw.Draw(im)
    for y in range(h):
        t = y / h
        c = tuple(int(a * (1 - t) + b * t) for a, b in zip(s['sky'], [min(255, v + 40) for v in s['sky']]))
        d.line([(0, y), (w, y)], fill=c)
    d.ellipse([w * 0.55, h * 0.12, w * 0.8, h * 0.37], fill=tuple(s['disc']))
    d.polygon([(0, h), (0, h * 0.68), (w * 0.35, h * 0.55), (w * 0.7, h * 0.66), (w, h * 0.6), (w, h)],
              fill=tuple(s['ground']))
    im.save(sys.argv[1] + '/' + s['name'])
`;

// Writes a fixture folder: each item { name, caption?, size? } and one of
//   solid: [r, g, b]                  a flat image (the known-answer models answer from channel means),
//   sky, ground, disc: [r, g, b] each a drawn scene (gradient sky, a sun, a hill),
//   corrupt: true                     a PNG signature followed by junk (the server cannot decode it).
// A caption is written next to its image as NAME.txt (byte-exact, no newline added).
export function makeFixtureFolder(python, dir, items) {
  fs.mkdirSync(dir, { recursive: true });
  run(python, ['-c', PY_IMAGES, dir, JSON.stringify(items)], 'making the images');
  for (const it of items) {
    if (it.corrupt)
      fs.writeFileSync(path.join(dir, it.name), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(600, 7)]));
    if (typeof it.caption === 'string') fs.writeFileSync(path.join(dir, it.name.replace(/\.\w+$/, '.txt')), it.caption);
  }
}

// The known-answer models (tests/fixtures/make_known_answer_models.py) in `dir`; returns dir.
export function makeModels(python, dir) {
  run(python, [path.join(repo, 'tests/fixtures/make_known_answer_models.py'), dir], 'make_known_answer_models.py');
  return dir;
}

// Starts `tagmetry serve ARGS --port 0 [--web-root]` and waits for its address. Returns
// { base (ends in '/'), token, proc, log() (stderr so far), exited() (null or how it ended), stop() }.
export async function startServer(env, args) {
  const all = ['serve', ...args, '--port', '0'];
  if (env.webRoot) all.push('--web-root', env.webRoot);
  const proc = spawn(env.cli, all, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let exit = null;
  proc.stderr.on('data', (d) => (log += d));
  proc.on('exit', (code, signal) => (exit = signal ? `killed by ${signal}` : `exit code ${code}`));
  const base = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('server did not start in 30 s:\n' + out + log)), 30000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /(http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].endsWith('/') ? m[1] : m[1] + '/');
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}):\n${out}${log}`));
    });
  });
  const session = await (await fetch(base + 'api/session')).json();
  return {
    base,
    token: session.token,
    proc,
    log: () => log,
    exited: () => exit,
    stop: async () => {
      if (exit === null) proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
    },
  };
}

// Headless Chromium with one context and page (viewport 1280×800 unless given), default timeout 15 s.
export async function launchBrowser(env, viewport = { width: 1280, height: 800 }) {
  const browser = await env.chromium.launch({
    executablePath: env.chromiumPath,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  return { browser, context, page };
}

// Collects console errors and uncaught exceptions of `page` (and of pages added with watch.add()).
// `allow(text)` (or a RegExp) accepts an expected error, e.g. Chromium's line for an expected 409.
// `step()` names what ran when the error came. Returns { errors, add(page, label) }.
export function watchConsole(page, { allow = null, step = () => '' } = {}) {
  const errors = [];
  const allowed = (t) => (allow instanceof RegExp ? allow.test(t) : typeof allow === 'function' ? allow(t) : false);
  const add = (p, label = '') => {
    p.on('console', (m) => {
      if (m.type() === 'error' && !allowed(m.text()))
        errors.push(`${label}${m.text()} (${m.location()?.url ?? '?'}${step() ? `, during "${step()}"` : ''})`);
    });
    p.on('pageerror', (e) => errors.push(`${label}page error: ${e.message}`));
  };
  add(page);
  return { errors, add };
}

export function expectEq(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

// Polls fn() until it returns true (the server writes and notices files asynchronously).
export async function until(fn, what, ms = 10000, every = 100) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last === true) return;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

// Named checks: each runs, is timed and recorded; a failure does not stop the next one.
export class Checks {
  constructor(page, shots) {
    this.page = page;
    this.shots = shots;
    this.failures = 0;
    this.results = [];
    this.step = '';
  }
  async check(name, fn) {
    this.step = name;
    const t0 = Date.now();
    try {
      await fn();
      this.results.push(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      this.failures++;
      this.results.push(`FAIL ${name}: ${e.message.split('\n').slice(0, 6).join('\n     ')}`);
      if (this.shots)
        await this.page.screenshot({ path: path.join(this.shots, `failed-${name.replace(/\W+/g, '_')}.png`) }).catch(() => {});
    }
  }
  fail(message) {
    this.failures++;
    this.results.push(`FAIL ${this.step ? this.step + ': ' : ''}${message}`);
  }
  note(line) {
    this.results.push('     ' + line);
  }
}

// "max X ms, mean Y ms" of a list of milliseconds (for the reported, never asserted, timings).
export function msSummary(xs) {
  if (!xs.length) return 'no samples';
  return `${Math.max(...xs).toFixed(1)} ms max, ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1)} ms mean (${xs.length})`;
}

// Closes the browser, stops the servers, removes tmp (unless E2E_KEEP), prints the results and exits
// 0 (all passed) or 1.
export async function finish({ checks, browser, servers = [], tmp }) {
  await browser?.close().catch(() => {});
  for (const s of servers) await s?.stop();
  if (tmp) {
    if (!process.env.E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
    else console.log('kept ' + tmp);
  }
  console.log(checks.results.join('\n'));
  if (checks.failures) {
    for (const s of servers) {
      if (!s) continue;
      if (s.exited() && s.exited() !== 'killed by SIGTERM') console.log(`the server stopped during the test (${s.exited()})`);
      if (s.log()) console.log('--- server stderr ---\n' + s.log().slice(-4000));
    }
    console.log(`${checks.failures} check(s) failed`);
    process.exit(1);
  }
  console.log('all checks passed');
  process.exit(0);
}
