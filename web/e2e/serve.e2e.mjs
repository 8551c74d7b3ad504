// End-to-end test of `tagmetry serve` with Debian's Chromium driven by playwright-core (no browser
// download). Makes a small dataset, starts the real server on a free port and checks, through the UI and
// on disk: the gallery, a two-tag AND filter, editing and saving a tag, undo/redo, a save conflict, a
// batch edit, a tag job with a known-answer model (captions equal to the CLI's), and no console errors.
//
//   node web/e2e/serve.e2e.mjs --tagmetry build/bin/tagmetry --python /usr/bin/python3 [--web-root DIR]
//
// Environment: TAGMETRY_CLI / TAGMETRY_PYTHON (instead of the flags), CHROMIUM (default
// /usr/bin/chromium), TAGMETRY_SCREENSHOTS=DIR (save serve-<page>.png of each page), E2E_KEEP=1 (keep
// the temp folder). Exit 0 passed, 1 failed, 77 skipped (no Chromium or no web/node_modules).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  Checks, e2eEnvironment, expectEq, finish, launchBrowser, makeFixtureFolder, makeModels, makeTemp, run, startServer,
  until as untilIn, watchConsole,
} from './lib.mjs';

const env = await e2eEnvironment();
const { cli, python, shots } = env;

// ---------------------------------------------------------------------------------------------- dataset
// Drawn scenes (gradient sky, a disc, a hill) with Danbooru-style captions, and two uncaptioned pure-colour
// images for the tag job (the known-answer model's outputs follow from their channel means).
const DATASET = [
  { name: 'beach_day.png', sky: [120, 180, 235], ground: [236, 214, 160], disc: [255, 236, 150],
    caption: '1girl, solo, long_hair, blue_eyes, smile, outdoors, sky, cloud, upper_body' },
  { name: 'classroom.png', sky: [228, 220, 200], ground: [150, 110, 80], disc: [250, 250, 245],
    caption: '1girl, solo, short_hair, red_eyes, school_uniform, indoors, sitting' },
  { name: 'flower_field.png', sky: [170, 210, 250], ground: [110, 170, 90], disc: [255, 210, 230],
    caption: '1girl, long_hair, blonde_hair, dress, outdoors, flower, smile, day' },
  { name: 'two_friends.png', sky: [90, 170, 220], ground: [230, 205, 150], disc: [255, 255, 255],
    caption: '2girls, multiple_girls, smile, beach, ocean, outdoors' },
  { name: 'night_city.png', sky: [20, 24, 60], ground: [45, 40, 70], disc: [240, 235, 190],
    caption: '1girl, solo, black_hair, night, city_lights, outdoors, from_behind' },
  { name: 'study.png', sky: [200, 190, 170], ground: [90, 70, 60], disc: [255, 220, 170],
    caption: '1boy, solo, short_hair, jacket, indoors, looking_at_viewer' },
  { name: 'mountains.png', sky: [150, 190, 230], ground: [80, 110, 90], disc: [255, 255, 240],
    caption: 'landscape, no_humans, mountain, sky, cloud, scenery, outdoors' },
  { name: 'sunset_hat.png', sky: [250, 150, 90], ground: [120, 70, 60], disc: [255, 220, 120],
    caption: '1girl, solo, long_hair, hat, sunset, outdoors, smile\nA girl in a straw hat watching the sunset.' },
  { name: 'still_life.png', sky: [235, 225, 205], ground: [140, 95, 60], disc: [225, 70, 60],
    caption: 'no_humans, still_life, food, fruit, apple, orange_(fruit), banana, grapes, bowl, basket, table, ' +
      'tablecloth, vase, flower, rose, sunflower, indoors, window, curtains, sunlight, shadow, wooden_table, cup, ' +
      'teacup, saucer, plate, knife, bread, cheese, wine_bottle, drinking_glass, candle, book, open_book, quill' },
  { name: 'red_sample.png', solid: [255, 0, 0] },
  { name: 'broken.png', corrupt: true, caption: 'broken_file' },
  { name: 'blue_sample.png', solid: [0, 0, 255] },
];

const tmp = makeTemp('tagmetry-e2e-');
const ds = path.join(tmp, 'dataset');
const models = path.join(tmp, 'models');
makeFixtureFolder(python, ds, DATASET);
makeModels(python, models);
const modelDir = path.join(models, 'wd');

// What `tagmetry tag` writes for the uncaptioned images: the UI's tag job must write the same bytes.
const ref = path.join(tmp, 'reference');
fs.mkdirSync(ref);
for (const it of DATASET) if (!it.caption) fs.copyFileSync(path.join(ds, it.name), path.join(ref, it.name));
run(cli, ['tag', ref, '--model-dir', modelDir, '--offline'], 'tagmetry tag (reference captions)');
const expectedJob = {};
for (const it of DATASET) if (!it.caption) expectedJob[it.name] = fs.readFileSync(path.join(ref, it.name.replace('.png', '.txt')), 'utf8');

// ----------------------------------------------------------------------------------------------- server
const server = await startServer(env, [ds, '--rescan-seconds', '1', '--model-dir', models]);
const base = server.base;

// ------------------------------------------------------------------------------------------------ tests
const { browser, context, page } = await launchBrowser(env);
let expect404 = false;
// A 409 is the expected answer of the conflict and undo-conflict checks; Chromium logs every non-2xx fetch.
// A 404 is expected once, for the image the removal check deletes while its editor is open; a 422 for
// the corrupt image's thumbnail, a 400 for the failed job check.
const watch = watchConsole(page, {
  allow: (text) => /status of (409|422|400)/.test(text) || (expect404 && /status of 404/.test(text)),
  step: () => t.step,
});
const consoleErrors = watch.errors;
// Thumbnail requests per URL: a broken image's must not be repeated on every render.
const thumbRequests = new Map();
page.on('request', (r) => {
  if (r.url().includes('/thumb')) thumbRequests.set(r.url(), (thumbRequests.get(r.url()) ?? 0) + 1);
});

const caption = (name) => fs.readFileSync(path.join(ds, name.replace(/\.\w+$/, '.txt')), 'utf8');
const t = new Checks(page, shots);
const check = t.check.bind(t);
const until = (fn, what, ms = 10000) => untilIn(fn, what, ms);

async function shot(name, fullPage = false) {
  if (!shots) return;
  fs.mkdirSync(shots, { recursive: true });
  await page.waitForTimeout(400);
  // Pages that scroll inside <main> are captured whole by letting the document grow for the picture.
  const style = await page.addStyleTag({
    content: '.toasts{display:none!important}' + (fullPage ? 'html,body,#app,.app{height:auto!important}.page{overflow:visible!important}' : ''),
  });
  const file = path.join(shots, `serve-${name}.png`);
  await page.screenshot({ path: file, fullPage });
  await style.evaluate((el) => el.remove());
  // 256 colours without dithering: flat UI pictures stay sharp at a third of the size.
  spawnSync(python, ['-c', 'import sys\nfrom PIL import Image\nim = Image.open(sys.argv[1]).convert("RGB")\n' +
    'im.quantize(256, dither=Image.Dither.NONE).save(sys.argv[1], optimize=True)', file]);
}
const cells = () => page.getByRole('gridcell');
const cell = (name) => page.getByRole('gridcell', { name, exact: true });
const cellNames = async () => (await cells().evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')))).sort();
const countText = () => page.getByLabel('Image count').textContent();
const captioned = DATASET.filter((d) => d.caption);
// A Japanese request in which nothing matches a tag (ja2tags prints nothing for it).
const JA_NOTHING = 'ぬぬぬ';

try {
  await check('gallery opens with every image and its caption', async () => {
    await page.goto(base);
    await until(async () => (await cells().count()) === DATASET.length, `${DATASET.length} gallery cells`);
    await until(async () => (await cell('classroom.png').textContent()).includes('1girl, solo, short_hair'), 'caption under classroom.png');
    expectEq(await cell('red_sample.png').textContent(), '(no caption)', 'uncaptioned image');
    expectEq(await countText(), `${DATASET.length} images`, 'image count');
    await until(() => cell('beach_day.png').locator('img').evaluate((img) => img.complete && img.naturalWidth > 0), 'a thumbnail');
    await shot('gallery');
  });

  await check('keyboard: arrows move, Enter opens the editor, Esc closes it', async () => {
    await page.getByRole('grid', { name: 'Gallery' }).focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    const second = await cells().nth(1).getAttribute('aria-label');
    await until(async () => (await page.getByLabel('Tag editor').locator('h2').textContent()) === second, 'editor on the second image');
    await page.keyboard.press('Escape');
    await until(async () => (await page.getByLabel('Tag editor').count()) === 0, 'editor closed');
  });

  await check('filter by two tags (AND)', async () => {
    await page.getByRole('button', { name: 'Filter by 1girl', exact: true }).click();
    await page.getByRole('button', { name: 'Filter by solo', exact: true }).click();
    const want = captioned.filter((d) => /\b1girl\b/.test(d.caption) && /\bsolo\b/.test(d.caption)).map((d) => d.name).sort();
    await until(async () => JSON.stringify(await cellNames()) === JSON.stringify(want), `cells ${want}`);
    expectEq(await countText(), `${want.length} of ${DATASET.length} images`, 'filtered count');
    expectEq(await page.getByRole('button', { name: 'Filter by solo', exact: true }).getAttribute('data-mode'), 'and', 'solo mode');
    await shot('filter');
    // A second click makes solo an OR term (with one OR term: images with solo), a third NOT.
    await page.getByRole('button', { name: 'Filter by solo', exact: true }).click();
    await page.getByRole('button', { name: 'Filter by solo', exact: true }).click();
    const not = captioned.filter((d) => /\b1girl\b/.test(d.caption) && !/\bsolo\b/.test(d.caption)).map((d) => d.name).sort();
    await until(async () => JSON.stringify(await cellNames()) === JSON.stringify(not), `NOT solo cells ${not}`);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await until(async () => (await cells().count()) === DATASET.length, 'all cells again');
  });

  const original = caption('beach_day.png');
  const edited = '1girl, solo, long_hair, blue_eyes, grin, outdoors, sky, cloud, upper_body, blush';
  await check('edit a tag in the editor and save: the caption file changes', async () => {
    await cell('beach_day.png').click();
    const editor = page.getByLabel('Tag editor');
    await editor.getByRole('button', { name: 'Edit tag smile', exact: true }).click();
    await editor.getByLabel('Edit tag', { exact: true }).fill('grin');
    await editor.getByLabel('Edit tag', { exact: true }).press('Enter');
    await editor.getByRole('combobox', { name: 'Add tag' }).fill('blush');
    await editor.getByRole('combobox', { name: 'Add tag' }).press('Enter');
    await editor.getByRole('button', { name: 'Edit tag blush', exact: true }).waitFor();
    await shot('editor');
    await editor.getByRole('button', { name: 'Save caption' }).click();
    await until(() => caption('beach_day.png') === edited, 'the edited caption on disk');
    await until(async () => (await cell('beach_day.png').textContent()).includes('grin'), 'the gallery caption');
  });

  await check('undo and redo restore the file (buttons and Ctrl+Z / Ctrl+Shift+Z)', async () => {
    await until(async () => await page.getByRole('button', { name: 'Undo' }).isEnabled(), 'Undo enabled');
    await page.getByRole('button', { name: 'Undo' }).click();
    await until(() => caption('beach_day.png') === original, 'the original caption after undo');
    await until(async () => (await cell('beach_day.png').textContent()).includes('smile'), 'gallery after undo');
    await page.getByRole('grid', { name: 'Gallery' }).focus();
    await page.keyboard.press('Control+Shift+Z');
    await until(() => caption('beach_day.png') === edited, 'the edited caption after redo');
    await page.keyboard.press('Control+Z');
    await until(() => caption('beach_day.png') === original, 'the original caption after the second undo');
    await until(async () => (await page.getByLabel('Tag editor').getByRole('button', { name: 'Edit tag smile', exact: true }).count()) === 1,
      'the open editor reloaded');
  });

  await check('a save over a change made elsewhere shows both versions and loses nothing', async () => {
    const editor = page.getByLabel('Tag editor');
    await editor.getByRole('button', { name: 'Remove tag cloud', exact: true }).click();
    const outside = '1girl, solo, long_hair, blue_eyes, smile, outdoors, sky, cloud, upper_body, from_script';
    fs.writeFileSync(path.join(ds, 'beach_day.txt'), outside);
    // The server notices outside changes within ~2 s and the app polls every 2 s: the gallery follows,
    // while the editor keeps the unsaved edit and warns.
    await until(async () => (await cell('beach_day.png').textContent()).includes('from_script'), 'the outside change in the gallery', 8000);
    await editor.getByText('This caption was changed elsewhere').waitFor();
    await editor.getByRole('button', { name: 'Save caption' }).click();
    await editor.getByText('Both versions as text').click();
    await editor.getByLabel('Caption on disk').waitFor();
    expectEq(await editor.getByLabel('Caption on disk').inputValue(), outside, 'their version');
    expectEq(await editor.getByLabel('Your caption').inputValue(), '1girl, solo, long_hair, blue_eyes, smile, outdoors, sky, upper_body', 'your version');
    expectEq(caption('beach_day.png'), outside, 'file untouched by the refused save');
    await shot('conflict');
    // The tag-level diff: my removal and their addition; the merge keeps my removal of cloud (B: the old
    // union brought it back).
    const rows = await editor.getByLabel('Tag changes').locator('li[data-change]')
      .evaluateAll((els) => els.map((e) => `${e.querySelector('.diff-tag').textContent}:${e.dataset.change}`));
    expectEq(rows.sort().join(' '), 'cloud:removed-mine from_script:added-theirs', 'the tag changes');
    await editor.getByRole('button', { name: 'Merge and edit' }).click();
    const merged = (await editor.locator('.chip-text').allTextContents()).map((x) => x.trim()).join(', ');
    expectEq(merged, outside.replace('cloud, ', ''), 'merged: theirs without the tag I removed');
    // Back to the version on disk, then without from_script: the original caption.
    await editor.getByRole('button', { name: 'Revert' }).click();
    await editor.getByRole('button', { name: 'Remove tag from_script', exact: true }).click();
    await editor.getByRole('button', { name: 'Save caption' }).click();
    await until(() => caption('beach_day.png') === original, 'caption back to the original');
    await until(() => editor.getByRole('button', { name: 'Save caption' }).isDisabled(), 'save finished');
    await page.getByRole('button', { name: 'Close editor' }).click();
  });

  await check('editor: autocomplete, drag and keyboard reorder, trigger pinned first, raw text, revert', async () => {
    await cell('classroom.png').click();
    const editor = page.getByLabel('Tag editor');
    const chips = async () => (await editor.locator('.chip-text').allTextContents()).map((t) => t.trim());
    await until(async () => (await chips()).join(', ') === caption('classroom.png'), 'chips in caption order');
    const add = editor.getByRole('combobox', { name: 'Add tag' });
    await add.fill('long');
    const option = editor.getByRole('option').filter({ hasText: 'long_hair' }).first();
    await option.waitFor();
    await option.click();
    await until(async () => (await chips()).at(-1) === 'long_hair', 'long_hair added from the suggestions');
    await editor.getByRole('button', { name: 'Edit tag long_hair', exact: true }).dragTo(editor.getByRole('button', { name: 'Edit tag solo', exact: true }));
    await until(async () => (await chips()).slice(0, 3).join(', ') === '1girl, long_hair, solo', 'long_hair dragged before solo');
    await editor.getByRole('button', { name: 'Edit tag 1girl', exact: true }).press('Alt+ArrowRight');
    await until(async () => (await chips()).slice(0, 3).join(', ') === 'long_hair, 1girl, solo', '1girl moved right with Alt+→');
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Trigger tag').fill('school_uniform');
    await page.getByRole('button', { name: 'Done' }).click();
    await until(async () => (await chips())[0] === 'school_uniform', 'the trigger pinned first');
    await editor.getByLabel('Raw text').check();
    expectEq(await editor.getByLabel('Caption text').inputValue(),
      'school_uniform, long_hair, 1girl, solo, short_hair, red_eyes, indoors, sitting', 'raw text of the edited chips');
    await editor.getByRole('button', { name: 'Revert' }).click();
    await until(async () => (await chips()).join(', ') === 'school_uniform, 1girl, solo, short_hair, red_eyes, indoors, sitting', 'reverted (trigger still pinned)');
    expectEq(caption('classroom.png'), '1girl, solo, short_hair, red_eyes, school_uniform, indoors, sitting', 'classroom.txt untouched');
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Trigger tag').fill('');
    await page.getByRole('button', { name: 'Done' }).click();
    await cell('sunset_hat.png').click();
    await editor.getByLabel('Raw text').check();
    expectEq(await editor.getByLabel('Caption text').inputValue(), caption('sunset_hat.png'), 'raw text of a two-line caption');
    await page.keyboard.press('Escape');
  });

  await check('tag sidebar: search anywhere in the tag and in Japanese, sort by name', async () => {
    const names = async () => (await page.locator('.tag-list .tname').allTextContents()).map((t) => t.trim());
    await page.getByLabel('Search tags').fill('hair');
    await until(async () => (await names()).sort().join(' ') === 'black_hair blonde_hair long_hair short_hair', 'tags containing hair');
    await page.getByRole('button', { name: 'Name', exact: true }).click();
    await until(async () => (await names()).join(' ') === 'black_hair blonde_hair long_hair short_hair', 'sorted by name');
    await page.getByLabel('Search tags').fill('髪');
    // 黒髪 is black_hair's translation (a tag may also match through another of its translations).
    await until(async () => (await names()).includes('black_hair') && !(await names()).includes('smile'), 'tags whose Japanese contains 髪');
    await page.getByLabel('Search tags').fill('');
    await page.getByRole('button', { name: 'Count', exact: true }).click();
  });

  await check('batch edit: add a tag first to the filtered images, then undo', async () => {
    await page.getByRole('button', { name: 'Filter by outdoors', exact: true }).click();
    const want = captioned.filter((d) => /\boutdoors\b/.test(d.caption));
    await until(async () => (await cells().count()) === want.length, `${want.length} outdoors cells`);
    await page.getByRole('button', { name: 'Select filtered' }).click();
    await until(async () => (await page.locator('[role=gridcell][aria-selected=true]').count()) === want.length, 'selection');
    await page.getByLabel('Batch operation').selectOption('add');
    await page.getByRole('combobox', { name: 'Batch tags' }).fill('photo_background');
    await page.getByLabel('Position').selectOption('first');
    await page.getByRole('button', { name: 'Apply batch edit' }).click();
    await until(() => want.every((d) => caption(d.name) === 'photo_background, ' + d.caption), 'batch captions on disk');
    for (const d of captioned.filter((x) => !want.includes(x))) expectEq(caption(d.name), d.caption, d.name + ' untouched');
    await page.getByRole('button', { name: 'Undo' }).click();
    await until(() => want.every((d) => caption(d.name) === d.caption), 'captions restored by undo');
    await page.getByRole('button', { name: /^Clear \(/ }).click();
    await page.getByRole('button', { name: 'Clear filters' }).click();
  });

  await check('tag job with a known-answer model: captions appear in the gallery and on disk', async () => {
    await page.getByRole('button', { name: 'Tag images…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Tag images' });
    await dialog.getByRole('button', { name: 'Model folder' }).click();
    await dialog.getByLabel('Model folder').fill(modelDir);
    await dialog.getByRole('button', { name: 'Start tagging' }).click();
    await until(async () => (await dialog.getByLabel('Job state').textContent()) === 'done', 'job done', 60000);
    await shot('tag-job');
    for (const [name, want] of Object.entries(expectedJob)) {
      expectEq(caption(name), want, name + ' caption (same as `tagmetry tag`)');
    }
    if (!expectedJob['red_sample.png'].includes('red_theme') || expectedJob['red_sample.png'].includes('blue_theme'))
      throw new Error('known answer: the red image must get red_theme and not blue_theme: ' + expectedJob['red_sample.png']);
    for (const d of captioned) expectEq(caption(d.name), d.caption, d.name + ' kept (no --overwrite)');
    await dialog.getByRole('button', { name: 'Close' }).click();
    for (const [name, want] of Object.entries(expectedJob)) {
      await until(async () => (await cell(name).textContent()) === want.split('\n')[0], `gallery caption of ${name}`);
    }
  });

  await check('editor shows model probabilities and the threshold slider re-derives the caption', async () => {
    await cell('red_sample.png').click();
    const editor = page.getByLabel('Tag editor');
    await editor.getByLabel('General threshold').waitFor();
    await until(async () => (await editor.locator('.prob').count()) > 0, 'probabilities beside the chips');
    await editor.getByLabel('General threshold').fill('0.95');
    // The derived caption lists the tags kept (tags it would drop follow, struck through, class "removed").
    const derived = async () => (await editor.getByLabel('Derived caption').locator('span:not(.removed)').allTextContents()).join(', ');
    await until(async () => (await derived()) === 'red_theme, red_in_last_channel, hatsune_miku_(vocaloid)', 'derived caption at 0.95');
    expectEq((await editor.getByLabel('Derived caption').locator('span.removed').allTextContents()).join(', '),
      'tag_a, range_0_255, ^_^, long_hair, tag_b', 'tags dropped at 0.95');
    await editor.getByLabel('General threshold').fill('0.35');
    await until(async () => (await derived()) === expectedJob['red_sample.png'].trim(), 'derived caption at 0.35 = the job caption');
    await editor.getByLabel('General threshold').fill('0.75');
    await until(async () => (await derived()).endsWith('^_^'), 'derived caption at 0.75');
    await shot('editor-scores');
    await editor.getByRole('button', { name: 'Apply derived caption' }).click();
    await editor.getByRole('button', { name: 'Save caption' }).click();
    await until(() => caption('red_sample.png') === 'red_theme, red_in_last_channel, hatsune_miku_(vocaloid), tag_a, range_0_255, ^_^',
      'the derived caption saved');
    await page.keyboard.press('Escape');
  });

  await check('buckets page: histogram and crop boxes (#17)', async () => {
    await page.getByRole('link', { name: 'Buckets' }).click();
    await page.getByRole('img', { name: 'Images per bucket (with repeats)' }).waitFor();
    await until(async () => (await page.getByTestId('crop-box').count()) > 0, 'crop boxes drawn');
    await shot('buckets', true);
  });

  await check('stats page: charts and lint findings', async () => {
    await page.getByRole('link', { name: 'Stats' }).click();
    await page.getByRole('img', { name: 'Tag frequencies' }).waitFor();
    await page.getByRole('img', { name: 'Tokens per caption' }).waitFor();
    await page.getByRole('img', { name: 'Tags per image' }).waitFor();
    await until(async () => (await page.getByText('Checking…').count()) === 0, 'lint');
    await shot('stats', true);
    // A lint finding links to its image: the gallery opens with the editor on it.
    await page.getByRole('table', { name: 'Lint findings' }).getByRole('link', { name: 'still_life.txt' }).first().click();
    await until(async () => (await page.getByLabel('Tag editor').locator('h2').textContent()) === 'still_life.png', 'editor opened from lint');
    await page.keyboard.press('Escape');
  });

  await check('preview page: processed captions with token counts', async () => {
    await page.getByRole('link', { name: 'Preview' }).click();
    // An empty field previews the first 3 images and says so.
    await page.getByLabel('Images', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Show preview' }).click();
    await until(async () => (await page.locator('.pv-image').count()) === 3, 'three images previewed');
    const first3 = DATASET.map((d) => d.name).sort().slice(0, 3).join(', ');
    await until(async () => (await page.getByLabel('Preview results').getByRole('status').textContent()).includes(`first 3 images (${first3})`),
      'what an empty field previews');
    // File names (with or without the extension) and internal ids (positions in name order) both work.
    const names = DATASET.map((d) => d.name).sort();
    await page.getByLabel('Images', { exact: true }).fill(`beach_day.png, ${names.indexOf('still_life.png')}`);
    await page.getByRole('button', { name: 'Custom settings' }).click();
    await page.getByLabel('caption_tag_dropout_rate').fill('0.1');
    await page.getByRole('button', { name: 'Show preview' }).click();
    await page.getByLabel('Preview results').waitFor();
    await until(async () => (await page.locator('.pv-image').count()) === 2, 'two images previewed');
    // The long caption passes 75 tokens: the cut is marked and the tags past it struck through.
    await until(async () => (await page.locator('.pv-image').nth(1).locator('.cut-mark').count()) === 3, 'the 75-token cut in 3 epochs');
    await shot('preview', true);
  });

  await check('Japanese → tags page', async () => {
    await page.getByRole('link', { name: 'Japanese → tags' }).click();
    await page.getByLabel('Japanese request').fill('青い髪の女の子が海辺で笑っている');
    await page.getByRole('button', { name: 'Find tags' }).click();
    await page.getByRole('table', { name: 'Tags found' }).waitFor();
    await until(async () => (await page.getByLabel('Prompt').inputValue()).length > 0, 'a prompt');
    await shot('ja');
    // A request that matches nothing says so instead of showing an empty table.
    await page.getByLabel('Japanese request').fill(JA_NOTHING);
    await page.getByRole('button', { name: 'Find tags' }).click();
    await until(async () => (await page.getByRole('status').filter({ hasText: 'No tags found' }).count()) === 1, '"No tags found"');
    expectEq(await page.getByRole('table', { name: 'Tags found' }).count(), 0, 'tables shown');
  });

  await check('an image deleted from the folder leaves the gallery, and its open editor says so', async () => {
    await page.getByRole('link', { name: 'Gallery' }).click();
    await cell('mountains.png').click();
    const editor = page.getByLabel('Tag editor');
    await until(async () => (await editor.locator('h2').textContent()) === 'mountains.png', 'editor on mountains.png');
    expect404 = true;
    fs.renameSync(path.join(ds, 'mountains.png'), path.join(tmp, 'mountains.png'));
    await until(async () => (await countText()) === `${DATASET.length - 1} images`, 'the count without the deleted image');
    await until(async () => !(await cellNames()).includes('mountains.png'), 'the cell gone');
    await editor.getByText('was removed from the folder').waitFor();
    await page.getByRole('button', { name: 'Close editor' }).click();
    fs.renameSync(path.join(tmp, 'mountains.png'), path.join(ds, 'mountains.png'));
    await until(async () => (await countText()) === `${DATASET.length} images`, 'the image back');
    expect404 = false;
  });


  await check('add tag: "a, b, c" adds all three (B1)', async () => {
    await page.getByRole('link', { name: 'Gallery' }).click();
    await cell('study.png').click();
    const editor = page.getByLabel('Tag editor');
    const chips = async () => (await editor.locator('.chip-text').allTextContents()).map((t) => t.trim());
    await until(async () => (await chips()).join(', ') === caption('study.png'), 'chips of study.png');
    const add = editor.getByRole('combobox', { name: 'Add tag' });
    await add.fill('red_ribbon, hair_bow, frills');
    await add.press('Enter');
    await until(async () => (await chips()).slice(-3).join(', ') === 'red_ribbon, hair_bow, frills', 'three chips added');
  });

  await check('chip edit: into an existing tag is refused, into "a, b" gives two chips (B11)', async () => {
    const editor = page.getByLabel('Tag editor');
    const chips = async () => (await editor.locator('.chip-text').allTextContents()).map((t) => t.trim());
    await editor.getByRole('button', { name: 'Edit tag jacket', exact: true }).click();
    await editor.getByLabel('Edit tag', { exact: true }).fill('solo');
    await editor.getByLabel('Edit tag', { exact: true }).press('Enter');
    await until(async () => (await chips()).filter((t) => t === 'solo').length === 1 && (await chips()).includes('jacket'), 'jacket kept, solo once');
    await editor.getByRole('button', { name: 'Edit tag frills', exact: true }).click();
    await editor.getByLabel('Edit tag', { exact: true }).fill('frills, lace_trim');
    await editor.getByLabel('Edit tag', { exact: true }).press('Enter');
    await until(async () => (await chips()).slice(-2).join('|') === 'frills|lace_trim', 'two chips from "frills, lace_trim"');
  });

  await check('keyboard: focus stays on the chip after Alt+← and Delete, so keys repeat (B5)', async () => {
    const editor = page.getByLabel('Tag editor');
    const chips = async () => (await editor.locator('.chip-text').allTextContents()).map((t) => t.trim());
    const before = await chips();
    const i = before.indexOf('lace_trim');
    await editor.getByRole('button', { name: 'Edit tag lace_trim', exact: true }).focus();
    await page.keyboard.press('Alt+ArrowLeft');
    await page.keyboard.press('Alt+ArrowLeft');
    await until(async () => (await chips()).indexOf('lace_trim') === i - 2, 'lace_trim moved two places left');
    expectEq(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'lace_trim', 'focused chip');
    await page.keyboard.press('Delete');
    await page.keyboard.press('Delete');
    await until(async () => (await chips()).length === before.length - 2, 'two chips deleted with two Deletes');
  });

  await check('Ctrl+Z after an unsaved chip edit undoes the chip edit, not the saved caption (B4)', async () => {
    const editor = page.getByLabel('Tag editor');
    const chips = async () => (await editor.locator('.chip-text').allTextContents()).map((t) => t.trim());
    await editor.getByRole('button', { name: 'Save caption' }).click();
    await until(() => caption('study.png').includes('red_ribbon'), 'saved with red_ribbon');
    const saved = caption('study.png');
    await editor.getByRole('button', { name: 'Edit tag 1boy', exact: true }).focus();
    await page.keyboard.press('Delete');
    await until(async () => !(await chips()).includes('1boy'), '1boy deleted (unsaved)');
    await page.keyboard.press('Control+z');
    await until(async () => (await chips()).includes('1boy'), '1boy back from the local undo');
    await page.waitForTimeout(500);
    expectEq(caption('study.png'), saved, 'study.txt keeps the saved edit');
  });

  await check('unsaved edits ask before the page unloads (B17)', async () => {
    const editor = page.getByLabel('Tag editor');
    const prevented = () => page.evaluate(() => {
      const e = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(e);
      return e.defaultPrevented;
    });
    expectEq(await prevented(), false, 'no prompt without unsaved edits');
    await editor.getByRole('button', { name: 'Remove tag solo', exact: true }).click();
    expectEq(await prevented(), true, 'prompt with an unsaved edit');
    await editor.getByRole('button', { name: 'Revert' }).click();
    expectEq(await prevented(), false, 'no prompt after revert');
    await page.getByRole('button', { name: 'Close editor' }).click();
  });

  await check('a corrupt image says "cannot decode" in its cell and the editor, fetched once (B15)', async () => {
    await until(async () => (await cell('broken.png').textContent()).includes('cannot decode:'), 'the reason in the cell');
    await cell('broken.png').click();
    await page.getByLabel('Tag editor').getByText('cannot decode:').waitFor();
    await page.getByRole('button', { name: 'Close editor' }).click();
    await page.getByRole('button', { name: 'Filter by smile', exact: true }).click();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await until(async () => (await cells().count()) === DATASET.length, 'all cells again');
    const id = await cell('broken.png').getAttribute('data-id');
    const n = [...thumbRequests].filter(([u]) => u.includes(`/api/image/${id}/thumb?size=256`)).reduce((a, [, c]) => a + c, 0);
    if (n > 2) throw new Error(`the broken thumbnail was requested ${n} times`);
  });

  await check('batch button counts the current filter (B2)', async () => {
    const label = () => page.getByRole('button', { name: 'Apply batch edit' }).textContent();
    await page.getByRole('button', { name: 'Filter by smile', exact: true }).click();
    const smile = captioned.filter((d) => /\bsmile\b/.test(d.caption)).length;
    await until(async () => (await label()) === `Apply to ${smile} filtered`, `label for ${smile}`);
    await page.getByRole('button', { name: 'Filter by outdoors', exact: true }).click();
    const both = captioned.filter((d) => /\bsmile\b/.test(d.caption) && /\boutdoors\b/.test(d.caption)).length;
    await until(async () => (await countText()) === `${both} of ${DATASET.length} images`, 'gallery count');
    expectEq(await label(), `Apply to ${both} filtered`, 'label after the second filter');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await until(async () => (await label()) === `Apply to all ${DATASET.length} images`, 'label after clearing');
  });

  await check('the cursor cell stays in view when the editor opens (B12)', async () => {
    await page.setViewportSize({ width: 1280, height: 520 });
    await page.getByRole('grid', { name: 'Gallery' }).focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.getByLabel('Tag editor').locator('h2').waitFor();
    await page.waitForTimeout(300);
    const visible = await page.evaluate(() => {
      const g = document.querySelector('.gallery').getBoundingClientRect();
      const c = document.querySelector('.cell.current')?.getBoundingClientRect();
      return !!c && c.top >= g.top - 1 && c.bottom <= g.bottom + 1;
    });
    expectEq(visible, true, 'current cell inside the gallery');
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await check('a failed tag job says why (B3)', async () => {
    await page.getByRole('button', { name: 'Tag images…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Tag images' });
    await dialog.getByRole('button', { name: 'Model folder' }).click();
    await dialog.getByLabel('Model folder').fill(path.join(models, 'no-such-model'));
    await dialog.getByRole('button', { name: 'Start tagging' }).click();
    await until(async () => (await dialog.getByLabel('Job state').textContent()) === 'failed', 'job failed');
    await until(async () => (await dialog.getByRole('alert').textContent()).includes('no-such-model'), 'the reason shown');
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  await check('the grid has the keyboard focus on load: arrows and Enter work without Tab', async () => {
    await page.goto(base + '#/gallery');
    await page.reload();
    await until(async () => (await cells().count()) === DATASET.length, 'cells after reload');
    expectEq(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Gallery', 'focused element');
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    const first = await cells().nth(0).getAttribute('aria-label');
    await until(async () => (await page.getByLabel('Tag editor').locator('h2').textContent()) === first, 'editor on the first image');
    await page.keyboard.press('Escape');
  });

  await check('a long caption: Add tag and Save stay in view at the bottom of the editor', async () => {
    await page.setViewportSize({ width: 1280, height: 520 });
    await cell('still_life.png').click();
    const editor = page.getByLabel('Tag editor');
    await until(async () => (await editor.locator('h2').textContent()) === 'still_life.png', 'editor on still_life.png');
    await editor.getByRole('button', { name: 'Edit tag quill', exact: true }).waitFor();
    const inView = async () => {
      for (const el of [editor.getByRole('combobox', { name: 'Add tag' }), editor.getByRole('button', { name: 'Save caption' })]) {
        const b = await el.boundingBox();
        if (!b || b.y < 0 || b.y + b.height > 520) return `off-screen: ${JSON.stringify(b)}`;
      }
      return true;
    };
    const scrolls = await editor.evaluate((el) => el.scrollHeight > el.clientHeight);
    expectEq(scrolls, true, 'the editor scrolls (long caption)');
    expectEq(await inView(), true, 'Add tag and Save at the top of the panel');
    await editor.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    expectEq(await inView(), true, 'Add tag and Save half-way down');
    await shot('editor-long-caption');
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  const longTag = 'very_long_tag_' + 'abcdefghij'.repeat(39);
  await check('a 400-character tag: the × stays reachable, Ctrl+S saves from outside the editor, stats and preview fit (B14)', async () => {
    await page.setViewportSize({ width: 1366, height: 768 });
    const before = caption('classroom.png');
    await cell('classroom.png').click();
    const editor = page.getByLabel('Tag editor');
    await editor.getByRole('combobox', { name: 'Add tag' }).fill(longTag);
    await editor.getByRole('combobox', { name: 'Add tag' }).press('Enter');
    const x = editor.getByRole('button', { name: 'Remove tag ' + longTag, exact: true });
    await x.waitFor();
    const fits = await x.evaluate((b) => {
      const r = b.getBoundingClientRect();
      const p = b.closest('.editor').getBoundingClientRect();
      return r.left >= p.left && r.right <= p.right && r.right <= innerWidth && r.width > 0;
    });
    expectEq(fits, true, 'the × inside the editor and the viewport');
    expectEq((await editor.getByRole('button', { name: 'Edit tag ' + longTag, exact: true }).getAttribute('title')).split('\n')[0], longTag, 'chip title');
    await shot('long-tag-editor');
    // Ctrl+S with the focus outside the editor panel (on the page body).
    await page.getByLabel('Image count').click();
    await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    await page.keyboard.press('Control+S');
    const want = before.replace(/\n$/, '') + ', ' + longTag + (before.endsWith('\n') ? '\n' : '');
    await until(() => caption('classroom.png') === want, 'the long tag saved by Ctrl+S');
    await page.keyboard.press('Escape');
    // The stats page and its lint table stay within the viewport.
    await page.getByRole('link', { name: 'Stats' }).click();
    await page.getByRole('table', { name: 'Lint findings' }).waitFor();
    await until(async () => (await page.getByRole('table', { name: 'Lint findings' }).textContent()).includes('abcdefghij'), 'the long tag in lint');
    const overflow = () => page.evaluate(() => {
      const main = document.querySelector('main.page');
      return { doc: document.documentElement.scrollWidth, view: innerWidth, main: main.scrollWidth - main.clientWidth };
    });
    let o = await overflow();
    if (o.doc > o.view || o.main > 1) throw new Error(`stats page overflows: ${JSON.stringify(o)}`);
    await shot('long-tag-stats', true);
    await page.getByRole('link', { name: 'Preview' }).click();
    await page.getByLabel('Images', { exact: true }).fill('classroom');
    await page.getByRole('button', { name: 'Show preview' }).click();
    await until(async () => (await page.locator('.pv-image').count()) === 1 && (await page.locator('.pv-image').textContent()).includes('abcdefghij'), 'preview of classroom.png');
    o = await overflow();
    if (o.doc > o.view || o.main > 1) throw new Error(`preview page overflows: ${JSON.stringify(o)}`);
    const card = await page.locator('.pv-image').evaluate((el) => el.scrollWidth - el.clientWidth);
    if (card > 1) throw new Error(`the preview card overflows by ${card} px`);
    // Back in the editor, the × removes the tag.
    await page.getByRole('link', { name: 'Gallery' }).click();
    await cell('classroom.png').click();
    await page.getByLabel('Tag editor').getByRole('button', { name: 'Remove tag ' + longTag, exact: true }).click();
    await page.getByLabel('Tag editor').getByRole('button', { name: 'Save caption' }).click();
    await until(() => caption('classroom.png') === before, 'the caption without the long tag');
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await check('phone width 390×844: no horizontal scroll, header reachable, sidebar behind a button, editor full width (B13)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Gallery' }).click();
    // Only the rows on screen are in the page (virtual scrolling).
    await until(async () => (await cell('beach_day.png').count()) === 1, 'the first cell');
    const noScroll = async (where) => {
      const w = await page.evaluate(() => document.documentElement.scrollWidth);
      if (w > 390) throw new Error(`${where}: the document is ${w} px wide`);
    };
    await noScroll('gallery');
    for (const name of ['Undo', 'Redo', 'Tag images…', 'Settings', 'Tag list']) {
      const b = await page.getByRole('button', { name, exact: true }).boundingBox();
      if (!b || b.x < 0 || b.x + b.width > 390) throw new Error(`button ${name} is off-screen: ${JSON.stringify(b)}`);
    }
    // The gallery uses the width: two columns, no sidebar beside it.
    const g = await page.getByRole('grid', { name: 'Gallery' }).boundingBox();
    if (g.width < 380) throw new Error(`the gallery is ${g.width} px wide`);
    const filter1girl = page.getByRole('button', { name: 'Filter by 1girl', exact: true });
    expectEq(await filter1girl.isVisible(), false, 'sidebar hidden');
    await shot('phone-gallery');
    await page.getByRole('button', { name: 'Tag list' }).click();
    await filter1girl.waitFor();
    const fb = await filter1girl.boundingBox();
    if (fb.x < 0 || fb.x + fb.width > 390) throw new Error(`sidebar off-screen: ${JSON.stringify(fb)}`);
    await shot('phone-sidebar');
    await filter1girl.click();
    const n = captioned.filter((d) => /\b1girl\b/.test(d.caption)).length;
    await until(async () => (await countText()) === `${n} of ${DATASET.length} images`, 'filtered from the phone sidebar');
    await page.getByRole('button', { name: 'Tag list' }).click();
    await until(async () => !(await filter1girl.isVisible()), 'sidebar closed');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await cell('beach_day.png').click();
    const editor = page.getByLabel('Tag editor');
    await editor.locator('h2').waitFor();
    const e = await editor.boundingBox();
    if (e.x !== 0 || Math.abs(e.width - 390) > 1) throw new Error(`the editor is at x=${e.x}, ${e.width} px wide`);
    const save = await editor.getByRole('button', { name: 'Save caption' }).boundingBox();
    if (save.x + save.width > 390 || save.y + save.height > 844) throw new Error(`Save is off-screen: ${JSON.stringify(save)}`);
    await noScroll('editor');
    await shot('phone-editor');
    await page.keyboard.press('Escape');
    await until(async () => (await page.getByLabel('Tag editor').count()) === 0, 'editor closed');
    for (const [link, label] of [['Stats', 'Statistics'], ['Preview', 'Preview'], ['Japanese → tags', 'Japanese to tags']]) {
      await page.getByRole('link', { name: link }).click();
      await page.getByRole('main', { name: label }).waitFor();
      if (link === 'Stats') await page.getByRole('table', { name: 'Lint findings' }).waitFor();
      await noScroll(link);
      const m = await page.getByRole('main', { name: label }).evaluate((el) => el.scrollWidth - el.clientWidth);
      if (m > 1) throw new Error(`${link}: the page scrolls sideways by ${m} px`);
      await shot('phone-' + link.split(' ')[0].toLowerCase(), true);
    }
    // A tablet (820 px): the sidebar stays behind its button and the editor sits beside a two-column gallery.
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.getByRole('link', { name: 'Gallery' }).click();
    await cell('beach_day.png').click();
    await page.getByLabel('Tag editor').locator('h2').waitFor();
    const tablet = await page.evaluate(() => ({
      doc: document.documentElement.scrollWidth,
      grid: document.querySelector('.gallery').getBoundingClientRect().width,
      editor: document.querySelector('.editor').getBoundingClientRect().right,
    }));
    if (tablet.doc > 820 || tablet.grid < 352 || tablet.editor > 820) throw new Error(`tablet layout: ${JSON.stringify(tablet)}`);
    await shot('tablet-editor');
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await check('a long tag job: close the dialog, edit and save meanwhile, reload, re-attach and cancel (B7, B8)', async () => {
    const big = path.join(tmp, 'big');
    fs.mkdirSync(big);
    // Noise decodes slowly: with 1200 copies the job runs far longer than the steps below take.
    run(python, ['-c', 'import os, sys\nfrom PIL import Image\n' +
      'im = Image.frombytes("RGB", (2000, 1500), os.urandom(2000 * 1500 * 3))\n' +
      'im.save(sys.argv[1], quality=95)', path.join(big, 'p0000.jpg')], 'making the big image');
    for (let i = 1; i < 1200; i++) fs.linkSync(path.join(big, 'p0000.jpg'), path.join(big, `p${String(i).padStart(4, '0')}.jpg`));
    fs.writeFileSync(path.join(big, 'p0000.txt'), 'mine, solo\n');
    const server2 = await startServer(env, [big, '--model-dir', models]);
    try {
      const base2 = server2.base;
      const p2 = await context.newPage();
      p2.setDefaultTimeout(15000);
      p2.on('pageerror', (e) => consoleErrors.push('page 2 error: ' + e.message));
      await p2.goto(base2);
      await p2.getByRole('button', { name: 'Tag images…' }).click();
      const dialog = p2.getByRole('dialog', { name: 'Tag images' });
      await dialog.getByRole('button', { name: 'Model folder' }).click();
      await dialog.getByLabel('Model folder').fill(modelDir);
      await dialog.getByRole('button', { name: 'Start tagging' }).click();
      await until(async () => (await dialog.getByLabel('Job state').textContent()) === 'running', 'job running');
      // The dialog closes while the job runs; the header says a job runs.
      await dialog.getByRole('button', { name: 'Close' }).click();
      await p2.getByRole('button', { name: 'Tag job running' }).waitFor();
      // Editing goes on: a save while the server's own job holds the dataset lock.
      await p2.getByRole('gridcell', { name: 'p0000.jpg', exact: true }).click();
      const editor = p2.getByLabel('Tag editor');
      await editor.getByRole('combobox', { name: 'Add tag' }).fill('during_job');
      await editor.getByRole('combobox', { name: 'Add tag' }).press('Enter');
      await editor.getByRole('button', { name: 'Save caption' }).click();
      await until(() => fs.readFileSync(path.join(big, 'p0000.txt'), 'utf8') === 'mine, solo, during_job\n', 'saved during the job');
      // After a reload the page finds the job again and can cancel it.
      await p2.reload();
      await p2.getByRole('button', { name: 'Tag job running' }).click();
      const again = p2.getByRole('dialog', { name: 'Tag images' });
      await until(async () => (await again.getByLabel('Job state').textContent()) === 'running', 're-attached to the running job');
      await again.getByRole('button', { name: 'Cancel job' }).click();
      await until(async () => (await again.getByLabel('Job state').textContent()) === 'cancelled', 'job cancelled', 30000);
      await p2.close();
    } finally {
      await server2.stop();
    }
  });

  await check('no console errors', async () => {
    if (consoleErrors.length) throw new Error(consoleErrors.join('\n'));
  });
} catch (e) {
  t.fail(e.message);
}
await finish({ checks: t, browser, servers: [server], tmp });
