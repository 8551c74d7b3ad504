// End-to-end test of the Generate page (#/generate) of `tagmetry serve` in Debian's Chromium, against a
// stand-in AUTOMATIC1111 (/sdapi/v1/*) written here: without a generator the page builds prompts and says
// how to connect one; with one it lists the checkpoints, previews the prompt, generates with progress,
// shows the images with their seeds (saved on disk with their parameters), interrupts a running
// generation, and stays usable by keyboard and at 390 px wide.
//
//   node web/e2e/generate.e2e.mjs --tagmetry build/bin/tagmetry --python /usr/bin/python3 [--web-root DIR]
//
// Exit 0 passed, 1 failed, 77 skipped (no Chromium or no web/node_modules).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  Checks, e2eEnvironment, expectEq, finish, launchBrowser, makeFixtureFolder, makeTemp, run, startServer, until,
  watchConsole,
} from './lib.mjs';

const env = await e2eEnvironment();
const tmp = makeTemp('tagmetry-generate-e2e-');
const ds = path.join(tmp, 'dataset');
makeFixtureFolder(env.python, ds, [{ name: 'a.png', solid: [200, 40, 40], caption: '1girl, red' }]);
// No completion model in this cache: the Complete button must say why it is off.
process.env.TAGMETRY_CACHE = path.join(tmp, 'cache');
const pngFile = path.join(tmp, 'tiny.png');
run(env.python, ['-c', 'import sys\nfrom PIL import Image\nImage.new("RGB", (64, 96), (30, 90, 200)).save(sys.argv[1])', pngFile],
  'making the generated image');
const png = fs.readFileSync(pngFile).toString('base64');

// The stand-in A1111. txt2img answers at once unless `hold` is set; then it waits for /interrupt and
// answers with the one image "finished so far".
const fake = { bodies: [], interrupts: 0, hold: false, release: null };
const a1111 = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const json = (v) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(v));
    };
    const url = req.url.split('?')[0];
    if (url === '/sdapi/v1/sd-models')
      return json([{ title: 'animagine-xl-4.0-opt.safetensors [6327eca98b]', model_name: 'animagine-xl-4.0-opt', hash: '6327eca98b' },
        { title: 'noobaiXL_v11.safetensors [ee5a2a0d0b]', model_name: 'noobaiXL_v11', hash: 'ee5a2a0d0b' }]);
    if (url === '/sdapi/v1/loras') return json([{ name: 'mychar_v2', alias: 'mychar', path: '/l/mychar_v2.safetensors' }]);
    if (url === '/sdapi/v1/samplers') return json([{ name: 'Euler a', aliases: [] }, { name: 'DPM++ 2M', aliases: [] }]);
    if (url === '/sdapi/v1/schedulers') return json([{ name: 'automatic', label: 'Automatic' }, { name: 'karras', label: 'Karras' }]);
    if (url === '/sdapi/v1/progress')
      return json({ progress: 0.5, state: { sampling_step: 14, sampling_steps: 28, job_count: 1, job_no: 0 } });
    if (url === '/sdapi/v1/interrupt') {
      fake.interrupts++;
      fake.release?.();
      return json({});
    }
    if (url === '/sdapi/v1/txt2img') {
      const b = JSON.parse(body);
      fake.bodies.push(b);
      const answer = (n) => {
        const seed = b.seed >= 0 ? b.seed : 3000000000;
        const seeds = Array.from({ length: n }, (_, i) => seed + i);
        json({
          images: seeds.map(() => png),
          parameters: b,
          info: JSON.stringify({ all_seeds: seeds, seed, index_of_first_image: 0, sd_model_name: 'animagine-xl-4.0-opt',
            sd_model_hash: '6327eca98b', infotexts: seeds.map((s) => `${b.prompt}\nSeed: ${s}`) }),
        });
      };
      if (!fake.hold) return answer(b.batch_size ?? 1);
      fake.release = () => {
        fake.release = null;
        answer(1);
      };
      return;
    }
    res.statusCode = 404;
    json({ detail: 'Not Found' });
  });
});
await new Promise((r) => a1111.listen(0, '127.0.0.1', r));
const generatorUrl = `http://127.0.0.1:${a1111.address().port}`;

const plain = await startServer(env, [ds]);
const server = await startServer(env, [ds, '--generator', generatorUrl]);
const { browser, context, page } = await launchBrowser(env);
const t = new Checks(page, env.shots);
const watch = watchConsole(page, { step: () => t.step });
const text = async (sel) => (await page.locator(sel).first().textContent())?.trim() ?? '';

await t.check('without a generator: prompts only, and how to connect one', async () => {
  await page.goto(plain.base + '#/generate');
  await page.getByRole('link', { name: 'Generate' }).waitFor();
  await page.locator('.gen-note').waitFor();
  const note = await text('.gen-note');
  if (!note.includes('--generator http://127.0.0.1:7860')) throw new Error('note: ' + note);
  await page.fill('#gen-text', '1girl, smile');
  await until(async () => (await text('[data-testid=gen-positive]')) === '1girl, smile', 'the preview');
  expectEq(await page.getByRole('button', { name: 'Generate', exact: true }).isDisabled(), true, 'Generate disabled');
  expectEq(await page.getByRole('button', { name: 'Complete' }).isDisabled(), true, 'Complete disabled');
  const off = await text('.gen-small');
  if (!off.startsWith('Complete is off: the completion model')) throw new Error('reason: ' + off);
});

await t.check('with a generator: its lists, the preview in a style, LoRAs by keyboard', async () => {
  await page.goto(server.base + '#/generate');
  await page.getByText('Generator: a1111 at').waitFor();
  const checkpoint = page.getByLabel('Checkpoint', { exact: true });
  await until(async () => (await checkpoint.locator('option').count()) === 3, 'the checkpoint list');
  await checkpoint.selectOption('noobaiXL_v11.safetensors [ee5a2a0d0b]');
  await page.getByLabel('Style', { exact: true }).selectOption('animagine-xl-4.0');
  await page.fill('#gen-text', '1girl, smile');
  await page.getByRole('button', { name: 'Add LoRA' }).focus();
  await page.keyboard.press('Enter');
  await page.getByLabel('LoRA 1 name', { exact: true }).fill('mychar');
  await until(async () => (await text('[data-testid=gen-positive]')) ===
    '1girl, safe, smile, masterpiece, high score, great score, absurdres, <lora:mychar:0.8>', 'the styled preview');
  expectEq(await text('[data-testid=gen-settings]'), '832x1216, Euler a, 28 steps, CFG 5', 'settings');
});

await t.check('generate: progress, images with their seeds, files on disk', async () => {
  await page.getByLabel('Seed', { exact: true }).fill('1234');
  await page.getByLabel('Batch size', { exact: true }).fill('2');
  await page.getByRole('button', { name: 'Generate', exact: true }).focus();
  await page.keyboard.press('Enter');
  await until(async () => (await page.locator('[data-testid=gen-seed]').count()) === 2, 'two images');
  const seeds = await page.locator('[data-testid=gen-seed]').allTextContents();
  expectEq(seeds.join('|'), 'seed 1235|seed 1234', 'the seeds (newest first)');
  expectEq(fake.bodies[0].seed, 1234, 'txt2img seed');
  expectEq(fake.bodies[0].override_settings?.sd_model_checkpoint, 'noobaiXL_v11.safetensors [ee5a2a0d0b]', 'checkpoint');
  const out = path.join(ds, '.tagmetry', 'generated');
  expectEq(fs.readdirSync(out).sort().join(' '), '00001-1234.png 00001-1234.txt 00002-1235.png 00002-1235.txt', 'files');
  const saved = fs.readFileSync(path.join(out, '00002-1235.png')).toString('latin1');
  if (!saved.includes('tEXtparameters') || !saved.includes('Seed: 1235, Size: 832x1216'))
    throw new Error('no parameters chunk with the seed');
  const img = page.locator('.gen-image img').first();
  await until(async () => img.evaluate((el) => el.complete && el.naturalWidth === 64), 'the image to load');
  if (env.shots) await page.screenshot({ path: path.join(env.shots, 'generate.png'), fullPage: true });
});

await t.check('interrupt keeps the image received so far', async () => {
  fake.hold = true;
  await page.getByLabel('Seed', { exact: true }).fill('77');
  await page.locator('#gen-text').focus();
  await page.keyboard.press('Control+Enter');
  const interrupt = page.getByRole('button', { name: 'Interrupt' });
  await interrupt.waitFor();
  await until(() => fake.bodies.length === 2, 'the second txt2img');
  await page.locator('.gen-progress').waitFor();
  await interrupt.click();
  await until(async () => (await page.locator('[data-testid=gen-seed]').count()) === 3, 'the kept image');
  expectEq(fake.interrupts, 1, 'interrupts sent');
  await page.getByRole('button', { name: 'Generate', exact: true }).waitFor();
  expectEq(await text('[data-testid=gen-seed]'), 'seed 77', 'the kept image first');
  fake.hold = false;
});

await t.check('390 px wide: nothing wider than the screen', async () => {
  await page.setViewportSize({ width: 390, height: 800 });
  await page.goto(server.base + '#/generate');
  await page.fill('#gen-text', '1girl, smile');
  await page.locator('[data-testid=gen-positive]').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) throw new Error(`the page is ${overflow} px wider than the screen`);
  if (env.shots) await page.screenshot({ path: path.join(env.shots, 'generate-390.png'), fullPage: true });
});

if (watch.errors.length) t.fail('console errors:\n' + watch.errors.join('\n'));
await context.close().catch(() => {});
a1111.close();
await finish({ checks: t, browser, servers: [plain, server], tmp });
