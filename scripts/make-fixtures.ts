/** make-fixtures.ts: writes fixtures/captures/ and fixtures/bad/ from scripts/fixtures-def.ts, and fixtures/hostile/ from scripts/hostile-def.ts. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureCaptures, badCaptures } from './fixtures-def.js';
import { writeHostileCorpus } from './make-hostile.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const good = join(root, 'fixtures', 'captures');
const bad = join(root, 'fixtures', 'bad');
mkdirSync(good, { recursive: true });
mkdirSync(bad, { recursive: true });
let n = 0;
for (const [name, bytes] of Object.entries(fixtureCaptures())) {
  writeFileSync(join(good, name), bytes);
  n++;
}
for (const [name, { bytes }] of Object.entries(badCaptures())) {
  writeFileSync(join(bad, name), bytes);
  n++;
}
console.log(`wrote ${n} captures under fixtures/`);
console.log(`wrote ${writeHostileCorpus(root)} hostile inputs under fixtures/hostile/`);
