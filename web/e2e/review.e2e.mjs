// End-to-end test of the review page (#/review) of `tagmetry serve` in Debian's Chromium: a dataset tagged
// by the known-answer model (its tag_c scores 0.3 on every image: borderline under the 0.35 threshold),
// then the keyboard flow on the page — accept, reject, skip, undo (U and Ctrl+Z) — checked on disk and
// through the API, and the time from a key to the next card and to the written decision (reported, not
// asserted).
//
//   node web/e2e/review.e2e.mjs --tagmetry build/bin/tagmetry --python /usr/bin/python3 [--web-root DIR]
//
// Exit 0 passed, 1 failed, 77 skipped (no Chromium or no web/node_modules).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SKIP = 77;
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
function option(name, env) {
  const i = process.argv.indexOf('--' + name);
  if (i > 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  return env ? process.env[env] : undefined;
}
const cli = option('tagmetry', 'TAGMETRY_CLI');
const python = option('python', 'TAGMETRY_PYTHON') || '/usr/bin/python3';
const webRoot = option('web-root', 'TAGMETRY_WEB_ROOT');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(chromiumPath)) {
  console.log(`SKIP: ${chromiumPath} not found (apt install chromium)`);
  process.exit(SKIP);
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  console.log('SKIP: playwright-core is not installed (cd web && npm ci --ignore-scripts)');
  process.exit(SKIP);
}
if (!cli || !fs.existsSync(cli)) {
  console.error(`FAIL: tagmetry binary not found (${cli ?? 'pass --tagmetry BIN'})`);
  process.exit(1);
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

// Six pure-colour images, tagged by the known-answer WD model.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tagmetry-review-e2e-'));
const ds = path.join(tmp, 'dataset');
const models = path.join(tmp, 'models');
fs.mkdirSync(ds);
const COLOURS = [[200, 40, 40], [40, 200, 40], [40, 40, 200], [128, 128, 128], [240, 240, 240], [20, 20, 20]];
run(python, ['-c', 'import sys, json\nfrom PIL import Image\nfor i, c in enumerate(json.loads(sys.argv[2])):\n' +
  '    Image.new("RGB", (64, 64), tuple(c)).save(f"{sys.argv[1]}/c{i}.png")', ds, JSON.stringify(COLOURS)], 'making the images');
run(python, [path.join(repo, 'tests/fixtures/make_known_answer_models.py'), models], 'make_known_answer_models.py');
run(cli, ['tag', ds, '--model-dir', path.join(models, 'wd'), '--offline'], 'tagmetry tag');
const caption = (image) => fs.readFileSync(path.join(ds, image.replace(/\.\w+$/, '.txt')), 'utf8');
const before = Object.fromEntries(COLOURS.map((_, i) => [`c${i}.png`, caption(`c${i}.png`)]));

const serveArgs = ['serve', ds, '--port', '0'];
if (webRoot) serveArgs.push('--web-root', webRoot);
const server = spawn(cli, serveArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
let serverLog = '';
server.stderr.on('data', (d) => (serverLog += d));
const base = await new Promise((resolve, reject) => {
  let out = '';
  const timer = setTimeout(() => reject(new Error('server did not start in 30 s:\n' + out + serverLog)), 30000);
  server.stdout.on('data', (d) => {
    out += d;
    const m = /(http:\/\/[^\s]+)/.exec(out);
    if (m) {
      clearTimeout(timer);
      resolve(m[1].endsWith('/') ? m[1] : m[1] + '/');
    }
  });
  server.on('exit', (code) => reject(new Error(`server exited (${code}):\n${out}${serverLog}`)));
});

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run'],
});
const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
page.setDefaultTimeout(15000);
const consoleErrors = [];
page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
page.on('pageerror', (e) => consoleErrors.push('page error: ' + e.message));

let failures = 0;
const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failures++;
    results.push(`FAIL ${name}: ${e.message.split('\n').slice(0, 6).join('\n     ')}`);
  }
}
function expectEq(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}
async function until(fn, what, ms = 10000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last === true) return;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}
const cards = () => page.locator('.review-card');
const cardImage = (i) => cards().nth(i).locator('.review-path').textContent();
const current = () => page.locator('.review-card.current .review-path').textContent();
const apiThresholds = () => page.evaluate(async () => (await fetch('/api/thresholds?min_decisions=1')).json());
const key = async (k) => {
  await page.locator('.review').focus();
  await page.keyboard.press(k);
};

try {
  const images = [];
  await check('the review page lists tag_c with a card per borderline image', async () => {
    await page.goto(base + '#/review/tag_c');
    await page.getByRole('heading', { name: 'tag_c' }).waitFor();
    await until(async () => (await cards().count()) === COLOURS.length, `${COLOURS.length} cards`);
    for (let i = 0; i < COLOURS.length; ++i) images.push(await cardImage(i));
    expectEq(await current(), images[0], 'the first card is current');
    expectEq(await cards().nth(0).locator('.review-state').textContent(), 'not in caption', 'state of a card');
    await until(() => cards().nth(0).locator('img').evaluate((img) => img.complete && img.naturalWidth > 0), 'a thumbnail');
  });

  const timings = [];
  await check('keyboard: A accepts (written), R rejects, S skips; the cursor moves on at once', async () => {
    // Time from the key to the next card being current (the page), and to the decision's answer (server).
    const timed = async (k) => {
      const answered = page.waitForResponse((r) => r.url().includes('/api/review/decide'));
      const ui = await page.evaluate(async (k) => {
        const el = document.querySelector('.review');
        const was = document.querySelector('.review-card.current')?.getAttribute('data-card');
        const t0 = performance.now();
        el.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
        while (document.querySelector('.review-card.current')?.getAttribute('data-card') === was)
          await new Promise((r) => requestAnimationFrame(r));
        return performance.now() - t0;
      }, k);
      const t1 = Date.now();
      await answered;
      timings.push({ ui, server: Date.now() - t1 });
    };
    await page.locator('.review').focus();
    await timed('a');
    await until(() => caption(images[0]).split(', ').includes('tag_c'), `tag_c in ${images[0]}'s caption`);
    expectEq(caption(images[0]), before[images[0]] + ', tag_c', 'accepted: appended');
    expectEq(await current(), images[1], 'cursor on the second card');
    await timed('r');
    expectEq(await current(), images[2], 'cursor on the third card');
    await key('s');
    expectEq(await current(), images[3], 'skipped to the fourth card');
    await timed('a');
    await until(() => caption(images[3]) === before[images[3]] + ', tag_c', `tag_c in ${images[3]}'s caption`);
    expectEq(caption(images[1]), before[images[1]], 'rejected a tag not in the caption: file unchanged');
    await until(async () => (await apiThresholds()).decisions === 3, 'three decisions remembered');
    expectEq(await cards().nth(0).locator('.review-state').textContent(), '✓ accepted', 'accepted card');
    expectEq(await cards().nth(1).locator('.review-state').textContent(), '✗ rejected', 'rejected card');
  });

  await check('undo: U and Ctrl+Z take back the last decisions, newest first', async () => {
    await key('u');
    await until(() => caption(images[3]) === before[images[3]], `${images[3]} restored`);
    expectEq(await current(), images[3], 'cursor back on the undone card');
    await key('Control+z');
    await until(async () => (await apiThresholds()).decisions === 1, 'one decision left');
    expectEq(await current(), images[1], 'cursor back on the rejected card');
    expectEq(caption(images[0]), before[images[0]] + ', tag_c', 'the first decision stays');
    // Ctrl+Z on the review page is not the journal's undo: the other captions are as the decisions left them.
    for (let i = 1; i < COLOURS.length; ++i) expectEq(caption(images[i]), before[images[i]], images[i]);
  });

  await check('a reload shows only the undecided images', async () => {
    await page.reload();
    await page.getByRole('heading', { name: 'tag_c' }).waitFor();
    await until(async () => (await cards().count()) === COLOURS.length - 1, `${COLOURS.length - 1} cards`);
    const shown = await page.locator('.review-card .review-path').allTextContents();
    if (shown.includes(images[0])) throw new Error(`${images[0]} was decided but is shown again`);
  });

  await check("the editor marks each chip with its origin (review, model)", async () => {
    // The decided image is no longer on the review page: its id from the gallery API.
    const list = await page.evaluate(async () => (await fetch('/api/images?limit=100')).json());
    const entry = list.items.find((it) => it.path === images[0]);
    if (!entry) throw new Error(`${images[0]} not in /api/images`);
    await page.goto(base + '#/image/' + entry.id);
    const chip = (tag) => page.locator('li.chip', { has: page.getByRole('button', { name: 'Edit tag ' + tag, exact: true }) });
    await until(async () => (await chip('tag_c').getAttribute('data-origin')) === 'review', 'tag_c chip marked review');
    expectEq(await chip('tag_a').getAttribute('data-origin'), 'model', 'tag_a chip');
    const title = await chip('tag_a').getByRole('button', { name: 'Edit tag tag_a', exact: true }).getAttribute('title');
    if (!title.includes('from the model: 0.90 ≥ 0.35')) throw new Error('tag_a title: ' + title);
  });

  await check('no console errors', async () => {
    if (consoleErrors.length) throw new Error(consoleErrors.join('\n'));
  });
  const ms = (xs) => `${Math.max(...xs).toFixed(1)} ms max, ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1)} ms mean`;
  if (timings.length)
    results.push(`     timing: key → next card ${ms(timings.map((t) => t.ui))}; key → decision written ${ms(timings.map((t) => t.server))}`);
} catch (e) {
  failures++;
  results.push(`FAIL ${e.message}`);
} finally {
  await browser.close().catch(() => {});
  server.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  if (!process.env.E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  else console.log('kept ' + tmp);
}
console.log(results.join('\n'));
if (failures) {
  if (serverLog) console.log('--- server stderr ---\n' + serverLog.slice(-3000));
  console.log(`${failures} check(s) failed`);
  process.exit(1);
}
console.log('all checks passed');
