/** make-hostile.ts: writes fixtures/hostile/ (the hostile-input corpus and manifest.json) from scripts/hostile-def.ts. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostileCorpus, hostileManifest } from './hostile-def.js';

/** Writes the corpus under root/fixtures/hostile (replacing what was there); returns the entry count. */
export function writeHostileCorpus(root: string): number {
  const dir = join(root, 'fixtures', 'hostile');
  rmSync(dir, { recursive: true, force: true });
  const entries = hostileCorpus();
  for (const e of entries) {
    const path = join(root, e.file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, e.bytes);
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(hostileManifest(entries), null, 2) + '\n');
  return entries.length;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  console.log(`wrote ${writeHostileCorpus(root)} hostile inputs under fixtures/hostile/`);
}
