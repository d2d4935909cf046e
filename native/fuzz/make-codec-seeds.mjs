// make-codec-seeds.mjs: writes the seed corpus of fuzz_codec.c (native/fuzz/corpus/codec/) from
// the project's fixture captures: every distinct frame of fixtures/captures/*.pcap, prefixed with
// the fuzz target's link-type selector (fuzz_codec.c: index into its linktypes[] table).
//   node native/fuzz/make-codec-seeds.mjs [outdir]
// Classic pcap only (the fixtures that matter here are classic); deterministic file names (hash
// of the content), so regenerating does not churn the committed corpus.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const outDir = process.argv[2] ?? join(here, 'corpus', 'codec');
// fuzz_codec.c linktypes[]: ETHERNET, RAW, IPV4, IPV6, LINUX_SLL, LINUX_SLL2, ...
const selector = new Map([[1, 0], [101, 1], [228, 2], [229, 3], [113, 4], [276, 5]]);

function* frames(file) {
  const b = readFileSync(file);
  if (b.length < 24) return;
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const be = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  if (!le && !be) return; // pcapng and others: not needed for codec seeds
  const u32 = (o) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const sel = selector.get(u32(20) & 0xffff);
  if (sel === undefined) return;
  for (let off = 24; off + 16 <= b.length; ) {
    const incl = u32(off + 8);
    if (off + 16 + incl > b.length) return;
    yield Buffer.concat([Buffer.of(sel), b.subarray(off + 16, off + 16 + incl)]);
    off += 16 + incl;
  }
}

mkdirSync(outDir, { recursive: true });
const seen = new Set(readdirSync(outDir));
let added = 0;
const capDir = join(root, 'fixtures', 'captures');
for (const f of readdirSync(capDir).sort()) {
  if (!f.endsWith('.pcap')) continue;
  for (const fr of frames(join(capDir, f))) {
    const name = `${f.replace(/\.pcap$/, '')}-${createHash('sha1').update(fr).digest('hex').slice(0, 12)}.bin`;
    if (seen.has(name)) continue;
    seen.add(name);
    writeFileSync(join(outDir, name), fr);
    added++;
  }
}
console.log(`codec seeds: ${added} new in ${outDir}`);
