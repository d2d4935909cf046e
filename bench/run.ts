/** run.ts: `npm run bench`. Every figure is a ratio against a baseline measured in the same run. */
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { table } from '../src/cli/table.js';
import { benchCaptureRead } from './capture-read.js';
import { benchMaglev } from './maglev.js';
import { benchPipeline } from './pipeline.js';
import { benchReplay } from './replay.js';
import type { BenchRow } from './util.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'data');
const only = process.argv[2];
const rows: BenchRow[] = [];
if (!only || only === 'capture') rows.push(...(await benchCaptureRead(dir)));
if (!only || only === 'maglev') rows.push(...benchMaglev());
if (!only || only === 'pipeline') rows.push(...benchPipeline(join(dir, '..', '..')));
if (!only || only === 'replay') rows.push(...(await benchReplay(dir, join(dir, '..', '..'), Number(process.argv[3] ?? 1_000_000), 3, process.argv[4] === 'reference')));
console.log(table(['benchmark', 'figure', 'ratio'], rows.map((r) => [r.name, r.value, r.ratio])));
