// End-to-end test of the review page (#/review) of `tagmetry serve` in Debian's Chromium: a dataset tagged
// by the known-answer model (its tag_c scores 0.3 on every image: borderline under the 0.35 threshold),
// then the keyboard flow on the page — accept, reject, skip, undo (U and Ctrl+Z) — checked on disk and
// through the API, and the time from a key to the next card and to the written decision (reported, not
// asserted).
//
//   node web/e2e/review.e2e.mjs --tagmetry build/bin/tagmetry --python /usr/bin/python3 [--web-root DIR]
//
// Exit 0 passed, 1 failed, 77 skipped (no Chromium or no web/node_modules).
import fs from 'node:fs';
import path from 'node:path';
import {
  Checks, e2eEnvironment, expectEq, finish, launchBrowser, makeModels, makeTemp, msSummary, run, startServer, until,
  watchConsole,
} from './lib.mjs';

const env = await e2eEnvironment();

// Six pure-colour images, tagged by the known-answer WD model.
const tmp = makeTemp('tagmetry-review-e2e-');
const ds = path.join(tmp, 'dataset');
const models = path.join(tmp, 'models');
fs.mkdirSync(ds);
const COLOURS = [[200, 40, 40], [40, 200, 40], [40, 40, 200], [128, 128, 128], [240, 240, 240], [20, 20, 20]];
run(env.python, ['-c', 'import sys, json\nfrom PIL import Image\nfor i, c in enumerate(json.loads(sys.argv[2])):\n' +
  '    Image.new("RGB", (64, 64), tuple(c)).save(f"{sys.argv[1]}/c{i}.png")', ds, JSON.stringify(COLOURS)], 'making the images');
makeModels(env.python, models);
run(env.cli, ['tag', ds, '--model-dir', path.join(models, 'wd'), '--offline'], 'tagmetry tag');
const caption = (image) => fs.readFileSync(path.join(ds, image.replace(/\.\w+$/, '.txt')), 'utf8');
const before = Object.fromEntries(COLOURS.map((_, i) => [`c${i}.png`, caption(`c${i}.png`)]));

const server = await startServer(env, [ds]);
const base = server.base;
const { browser, page } = await launchBrowser(env);
const { errors: consoleErrors } = watchConsole(page);
const t = new Checks(page, env.shots);
const check = t.check.bind(t);

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
  if (timings.length)
    t.note(`timing: key → next card ${msSummary(timings.map((x) => x.ui))}; key → decision written ${msSummary(timings.map((x) => x.server))}`);
} catch (e) {
  t.fail(e.message);
}
await finish({ checks: t, browser, servers: [server], tmp });
