// The "Keyboard" table of docs/serve.md comes from the app's key table (web/src/keys.json), the one the
// key handlers and the `?` overlay use. `node web/scripts/keys-doc.mjs --check` fails when the docs
// disagree; `--write` rewrites the table between <!-- keys --> and <!-- /keys -->.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const keys = JSON.parse(fs.readFileSync(path.join(repo, 'web/src/keys.json'), 'utf8'));
const doc = path.join(repo, 'docs/serve.md');
const cell = (s) => s.replace(/\|/g, '\\|');
const table = [
  '| where | keys | action |',
  '|---|---|---|',
  ...keys.map((k) => `| ${cell(k.where)} | ${k.keys.map(cell).join(', ')} | ${cell(k.action)} |`),
].join('\n');

const text = fs.readFileSync(doc, 'utf8');
const m = /<!-- keys -->\n([\s\S]*?)\n?<!-- \/keys -->/.exec(text);
if (!m) {
  console.error(`${doc}: no <!-- keys --> … <!-- /keys --> block`);
  process.exit(1);
}
if (process.argv.includes('--write')) {
  fs.writeFileSync(doc, text.replace(m[0], `<!-- keys -->\n${table}\n<!-- /keys -->`));
  console.log(`${doc}: keyboard table written (${keys.length} rows)`);
} else if (m[1] !== table) {
  console.error(`${doc}: the keyboard table differs from web/src/keys.json; run node web/scripts/keys-doc.mjs --write`);
  process.exit(1);
} else {
  console.log(`${doc}: keyboard table matches web/src/keys.json (${keys.length} rows)`);
}
