// First screen of the gallery in a real browser (Debian's Chromium via playwright-core from
// web/node_modules): from navigation start until every thumbnail of the first screen has loaded and the
// captions are shown. The first load makes the thumbnails (reported as "cold"); later loads use the
// cached ones (the target: under 1 s for a 100,000-image dataset).
//
//   node bench/server/first_screen.mjs URL [ROUNDS]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../web/package.json'));
const { chromium } = require('playwright-core');

const url = process.argv[2];
const rounds = Number(process.argv[3] || 5);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--no-first-run'],
});

async function load(page) {
  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('[role=gridcell]')];
    const view = window.innerHeight;
    const visible = cells.filter((c) => c.getBoundingClientRect().top < view);
    if (visible.length < 8) return false;
    return visible.every((c) => {
      const img = c.querySelector('img');
      const cap = c.querySelector('.cap');
      return img && img.complete && img.naturalWidth > 0 && cap && cap.textContent.length > 0;
    });
  }, null, { timeout: 60000, polling: 10 });
  const ms = Date.now() - t0;
  const shown = await page.evaluate(() =>
    [...document.querySelectorAll('[role=gridcell]')].filter((c) => c.getBoundingClientRect().top < window.innerHeight).length);
  return { ms, shown };
}

const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
const cold = await load(page);
console.log(`cold (thumbnails made now): ${cold.ms} ms, ${cold.shown} images on screen`);
const times = [];
for (let i = 0; i < rounds; i++) {
  // A fresh context each round: no browser cache, only the server's thumbnail cache.
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p = await ctx.newPage();
  times.push((await load(p)).ms);
  await ctx.close();
}
times.sort((a, b) => a - b);
console.log(`first screen, thumbnails cached, fresh browser cache: median ${times[Math.floor(times.length / 2)]} ms ` +
            `(min ${times[0]}, max ${times[times.length - 1]}, ${rounds} rounds)`);
await browser.close();
