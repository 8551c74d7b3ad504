// End-to-end test of the web app's daily loop (#21) in Debian's Chromium: the keyboard-first tagging loop
// (T to Add tag, Enter takes the top suggestion, Shift+Enter the text as typed, Delete and Alt+← repeat
// on the focused chip, Ctrl+Z undoes unsaved chip edits only, Ctrl+↓ saves and moves on), the `?` keys
// overlay (from the same table as docs/serve.md, focus kept inside, Esc closes and gives the focus back),
// chip colours by category and unknown tags, the tag-level conflict view and its three-way merge, a tag
// job on the selected images with the trigger first (the overwrite confirmation, the remembered model),
// and the phone layout at 390×844. Key → chip and save round-trip times are reported, not asserted.
//
//   node web/e2e/workflow.e2e.mjs --tagmetry build/bin/tagmetry --python /usr/bin/python3 [--web-root DIR]
//
// Exit 0 passed, 1 failed, 77 skipped (no Chromium or no web/node_modules).
import fs from 'node:fs';
import path from 'node:path';
import {
  Checks, e2eEnvironment, expectEq, finish, launchBrowser, makeFixtureFolder, makeModels, makeTemp, msSummary, repo,
  startServer, until, watchConsole,
} from './lib.mjs';

const env = await e2eEnvironment();
const tmp = makeTemp('tagmetry-workflow-e2e-');
const ds = path.join(tmp, 'dataset');
const DATASET = [
  { name: 'a_beach.png', sky: [120, 180, 235], ground: [236, 214, 160], disc: [255, 236, 150], size: 192,
    caption: 'mychar, 1girl, solo, long_hair, smile, outdoors, sky, cloud\n' },
  { name: 'b_room.png', sky: [228, 220, 200], ground: [150, 110, 80], disc: [250, 250, 245], size: 192,
    caption: 'mychar, 1girl, short_hair, indoors, sitting\n' },
  { name: 'c_field.png', sky: [170, 210, 250], ground: [110, 170, 90], disc: [255, 210, 230], size: 192,
    caption: 'mychar, 1girl, dress, flower, day\n' },
  { name: 'd_red.png', solid: [255, 0, 0], size: 128 },
  { name: 'e_blue.png', solid: [0, 0, 255], size: 128 },
  { name: 'f_green.png', solid: [0, 255, 0], size: 128 },
];
makeFixtureFolder(env.python, ds, DATASET);
const models = makeModels(env.python, path.join(tmp, 'models'));
const caption = (name) => {
  const f = path.join(ds, name.replace(/\.\w+$/, '.txt'));
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : null;
};

const server = await startServer(env, [ds, '--trigger', 'mychar', '--model-dir', models, '--rescan-seconds', '1']);
const base = server.base;
const { browser, page } = await launchBrowser(env);
const t = new Checks(page, env.shots);
const check = t.check.bind(t);
// A 409 is the expected answer of the conflict check (Chromium logs every non-2xx fetch).
const { errors: consoleErrors } = watchConsole(page, { allow: /status of 409/, step: () => t.step });

const editor = page.getByLabel('Tag editor');
const addTag = editor.getByRole('combobox', { name: 'Add tag' });
const chips = async () => (await editor.locator('.chip-text').allTextContents()).map((x) => x.trim());
const chip = (tag) => editor.locator('li.chip', { has: page.getByRole('button', { name: 'Edit tag ' + tag, exact: true }) });
const active = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.tagName);
const cell = (name) => page.getByRole('gridcell', { name, exact: true });

// Presses `key` on the focused element and returns the ms until `selector` matches an element whose text
// is `text` (key → chip on screen), measured in the page.
async function timedKey(key, selector, text) {
  return page.evaluate(async ({ key, selector, text }) => {
    const el = document.activeElement;
    const t0 = performance.now();
    el.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
    const found = () => [...document.querySelectorAll(selector)].some((c) => c.textContent.trim() === text);
    const end = t0 + 5000;
    while (!found() && performance.now() < end) await new Promise((r) => requestAnimationFrame(r));
    return found() ? performance.now() - t0 : -1;
  }, { key, selector, text });
}

const keyToChip = [];
const saveTrip = [];
try {
  await check('T opens the editor on the gallery cursor with the cursor in Add tag', async () => {
    await page.goto(base);
    await until(async () => (await page.getByRole('gridcell').count()) === DATASET.length, 'the gallery');
    await page.getByRole('grid', { name: 'Gallery' }).focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('t');
    await until(async () => (await editor.locator('h2').textContent()) === 'a_beach.png', 'editor on a_beach.png');
    await until(async () => (await active()) === 'Add tag', 'focus in Add tag');
  });

  await check('Enter takes the top suggestion; Shift+Enter adds the text as typed; categories colour the chips', async () => {
    await addTag.pressSequentially('blue_ey');
    // Enter right away: the suggestions on their way are waited for.
    const ms = await timedKey('Enter', '.editor .chip-text', 'blue_eyes');
    if (ms < 0) throw new Error('blue_eyes did not appear; chips: ' + (await chips()).join(', '));
    keyToChip.push(ms);
    await addTag.fill('my_own_tagx');
    await addTag.press('Shift+Enter');
    await chip('my_own_tagx').waitFor();
    // The category answer arrives after the chip (GET /api/vocab/lookup).
    await until(async () => (await chip('my_own_tagx').getAttribute('class')).includes('chip-unknown'), 'unknown tag marked');
    await addTag.fill('hatsune_miku');
    await addTag.press('Shift+Enter');
    await until(async () => (await chip('hatsune_miku').getAttribute('data-category')) === 'character', 'character category');
    expectEq(await chip('long_hair').getAttribute('data-category'), 'general', 'long_hair category');
    expectEq(await chip('mychar').getAttribute('class').then((c) => c.includes('chip-unknown')), false, 'the trigger is not marked unknown');
    expectEq(await active(), 'Add tag', 'focus stays in Add tag');
    expectEq(caption('a_beach.png'), DATASET[0].caption, 'nothing written yet');
  });

  await check('Delete and Alt+← repeat on the focused chip; Ctrl+Z undoes unsaved chip edits only', async () => {
    await editor.getByRole('button', { name: 'Edit tag smile', exact: true }).focus();
    await page.keyboard.press('Delete');
    await page.keyboard.press('Delete');  // the focus moved to `outdoors`
    let now = await chips();
    if (now.includes('smile') || now.includes('outdoors')) throw new Error('Delete did not repeat: ' + now.join(', '));
    const from = now.indexOf('cloud');
    await editor.getByRole('button', { name: 'Edit tag cloud', exact: true }).focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('Alt+ArrowLeft');
    now = await chips();
    expectEq(now.indexOf('cloud'), from - 3, `cloud moved three places left (${now.join(', ')})`);
    expectEq(await active(), 'Edit tag cloud', 'focus on the moved chip');
    await page.keyboard.press('Control+z');  // the move back
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');  // outdoors back
    now = await chips();
    if (!now.includes('outdoors') || now.includes('smile')) throw new Error('local undo: ' + now.join(', '));
    expectEq(caption('a_beach.png'), DATASET[0].caption, 'no saved operation undone, nothing written');
  });

  await check('Ctrl+↓ from Add tag saves, then opens the next image with the cursor in Add tag', async () => {
    await addTag.focus();
    const answered = page.waitForResponse((r) => r.url().includes('/caption') && r.request().method() === 'PUT');
    const t0 = Date.now();
    await page.keyboard.press('Control+ArrowDown');
    await answered;
    saveTrip.push(Date.now() - t0);
    await until(() => caption('a_beach.png') === 'mychar, 1girl, solo, long_hair, outdoors, sky, cloud, blue_eyes, my_own_tagx, hatsune_miku\n',
      'saved caption (final newline kept)');
    await until(async () => (await editor.locator('h2').textContent()) === 'b_room.png', 'editor on b_room.png');
    await until(async () => (await active()) === 'Add tag', 'focus in Add tag on the next image');
    // Typing goes on: add, then Ctrl+↑ saves and goes back.
    await addTag.fill('indoors_x');
    await addTag.press('Shift+Enter');
    const t1 = Date.now();
    await page.keyboard.press('Control+ArrowUp');
    await until(() => caption('b_room.png') === 'mychar, 1girl, short_hair, indoors, sitting, indoors_x\n', 'b_room saved');
    saveTrip.push(Date.now() - t1);
    await until(async () => (await editor.locator('h2').textContent()) === 'a_beach.png', 'back on a_beach.png');
  });

  await check('the ? overlay lists the key table, keeps Tab inside, Esc closes it and gives the focus back', async () => {
    await editor.getByRole('button', { name: 'Edit tag 1girl', exact: true }).focus();
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    const table = JSON.parse(fs.readFileSync(path.join(repo, 'web/src/keys.json'), 'utf8'));
    expectEq(await dialog.locator('tr[data-key-id]').count(), table.length, 'one row per key binding');
    if (env.shots) await page.screenshot({ path: path.join(env.shots, 'workflow-keys.png') });
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press(i % 2 ? 'Shift+Tab' : 'Tab');
      const inside = await page.evaluate(() => !!document.activeElement?.closest('[role="dialog"]'));
      if (!inside) throw new Error('the focus left the dialog after Tab ' + i);
    }
    await page.keyboard.press('Escape');
    await until(async () => (await dialog.count()) === 0, 'overlay closed');
    expectEq(await active(), 'Edit tag 1girl', 'focus back on the chip');
    expectEq(await editor.count(), 1, 'Esc closed the overlay only');
  });

  await check('a conflict shows the tag-level diff; the merge keeps both sides\' removals', async () => {
    await editor.getByRole('button', { name: 'Remove tag cloud', exact: true }).click();  // mine: -cloud
    const current = caption('a_beach.png');
    const outside = current.replace('sky, ', '').replace('\n', ', from_script\n');  // theirs: -sky, +from_script
    fs.writeFileSync(path.join(ds, 'a_beach.txt'), outside);
    await editor.getByText('This caption was changed elsewhere').waitFor({ timeout: 10000 });
    await editor.getByRole('button', { name: 'Save caption' }).click();
    const diff = editor.getByLabel('Tag changes');
    await diff.waitFor();
    const rows = await diff.locator('li[data-change]').evaluateAll((els) => els.map((e) => `${e.querySelector('.diff-tag').textContent}:${e.dataset.change}`));
    expectEq(rows.sort().join(' '), 'cloud:removed-mine from_script:added-theirs sky:removed-theirs', 'diff rows');
    expectEq(caption('a_beach.png'), outside, 'nothing written by the refused save');
    if (env.shots) await page.screenshot({ path: path.join(env.shots, 'workflow-conflict.png') });
    await editor.getByRole('button', { name: 'Merge and edit' }).click();
    await editor.getByRole('button', { name: 'Save caption' }).click();
    await until(() => caption('a_beach.png') === 'mychar, 1girl, solo, long_hair, outdoors, blue_eyes, my_own_tagx, hatsune_miku, from_script\n',
      'merged caption without cloud and sky');
    await page.keyboard.press('Escape');
    await until(async () => (await editor.count()) === 0, 'editor closed');
  });

  await check('a tag job on the selected images writes the trigger first; overwrite asks; the model is remembered', async () => {
    await page.getByRole('grid', { name: 'Gallery' }).focus();
    await page.keyboard.press('End');  // f_green
    await page.keyboard.press(' ');
    await page.keyboard.press('ArrowLeft');  // e_blue
    await page.keyboard.press(' ');
    await page.getByRole('button', { name: 'Tag images…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Tag images' });
    await dialog.waitFor();
    await until(() => page.evaluate(() => !!document.activeElement?.closest('[role="dialog"]')), 'the dialog to take the focus');
    await dialog.getByRole('button', { name: 'Model folder' }).click();
    await dialog.getByLabel('Model folder').fill(path.join(models, 'wd'));
    expectEq(await dialog.getByLabel('Only the 2 selected images').isChecked(), true, 'selection scope on');
    expectEq(await dialog.getByLabel('Put the trigger “mychar” first in new captions').isChecked(), true, 'trigger on');
    await dialog.getByRole('button', { name: 'Overwrite (.bak kept)' }).click();
    await dialog.getByRole('button', { name: 'Start tagging' }).click();
    await dialog.getByText('Overwrite the captions of 0 images?').waitFor();
    await dialog.getByRole('button', { name: 'Back' }).click();
    await dialog.getByRole('button', { name: 'Keep existing' }).click();
    await dialog.getByRole('button', { name: 'Start tagging' }).click();
    await until(async () => (await dialog.getByLabel('Job state').textContent()) === 'done', 'job done', 30000);
    if (env.shots) await page.screenshot({ path: path.join(env.shots, 'workflow-job.png') });
    for (const name of ['e_blue.png', 'f_green.png']) {
      const c = caption(name);
      if (!c || !c.startsWith('mychar, ')) throw new Error(`${name}: ${JSON.stringify(c)}`);
    }
    expectEq(caption('d_red.png'), null, 'the unselected image is not tagged');
    await page.keyboard.press('Escape');
    await until(async () => (await dialog.count()) === 0, 'dialog closed by Esc');
    expectEq(await active(), 'Tag images…', 'focus back on the button that opened it');
    await page.reload();
    await page.getByRole('button', { name: 'Tag images…' }).click();
    expectEq(await page.getByRole('dialog', { name: 'Tag images' }).getByLabel('Model folder').inputValue(), path.join(models, 'wd'), 'model folder remembered');
    await page.keyboard.press('Escape');
  });

  await check('phone 390×844: no sideways scroll, the editor on screen, a long tag wraps with its × reachable', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await until(async () => (await page.getByRole('gridcell').count()) === DATASET.length, 'the gallery');
    await cell('c_field.png').click();
    await editor.locator('h2').waitFor();
    const long = 'very_long_tag_' + 'abcdefghij'.repeat(12);
    await addTag.fill(long);
    await addTag.press('Shift+Enter');
    await chip(long).waitFor();
    const m = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      inner: window.innerWidth,
      editor: document.querySelector('.editor').getBoundingClientRect().toJSON(),
    }));
    if (m.scroll > m.inner) throw new Error(`document ${m.scroll} px wide in a ${m.inner} px window`);
    if (m.editor.left < 0 || m.editor.right > 390 || m.editor.top < 0 || m.editor.top > 844) throw new Error('editor off-screen: ' + JSON.stringify(m.editor));
    const x = await chip(long).getByRole('button', { name: 'Remove tag ' + long }).boundingBox();
    if (!x || x.x + x.width > 390) throw new Error('the long tag\'s × is off-screen: ' + JSON.stringify(x));
    const text = await chip(long).locator('.chip-text').boundingBox();
    if (text.height < 30) throw new Error('the long tag did not wrap: ' + JSON.stringify(text));
    if (env.shots) await page.screenshot({ path: path.join(env.shots, 'workflow-phone-editor.png') });
    // Unsaved edits ask before the tab closes.
    const asked = await page.evaluate(() => {
      const e = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(e);
      return e.defaultPrevented;
    });
    expectEq(asked, true, 'beforeunload with unsaved edits');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await check('no console errors', async () => {
    if (consoleErrors.length) throw new Error(consoleErrors.join('\n'));
  });
  t.note(`timing: Enter → suggested chip on screen ${msSummary(keyToChip)}; Ctrl+↓/↑ → caption saved ${msSummary(saveTrip)}`);
} catch (e) {
  t.fail(e.message);
}
await finish({ checks: t, browser, servers: [server], tmp });
