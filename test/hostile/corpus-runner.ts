/**
 * corpus-runner.ts: runs one hostile-corpus entry (scripts/hostile-def.ts) through the real CLI
 * (node bin/dsrlab.js) and says how its outcome differs from the manifest's expectation. Used by
 * corpus.test.ts, and by hand: `npx tsx test/hostile/corpus-runner.ts [id…]` prints each outcome.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostileEntry } from '../../scripts/hostile-def.js';

export const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');

export interface EntryOutcome {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  summary?: { packets: Record<string, number>; dropReasons: Record<string, number> };
  /** flows.jsonl: the final record of each capture packet. */
  finals: Map<number, Record<string, unknown>>;
  timedOut: boolean;
}

const sub = (s: string, file: string, out: string) => s.replaceAll('$FILE', file).replaceAll('$OUT', out);

/** Runs the entry's command; a run that takes longer than timeoutMs is killed (and reported as a hang). */
export function runEntry(e: HostileEntry, timeoutMs = 60_000): Promise<EntryOutcome> {
  const out = mkdtempSync(join(tmpdir(), 'dsrlab-hostile-'));
  const outDir = join(out, 'out');
  const args = e.run.map((a) => sub(a, e.file, outDir));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'dsrlab.js'), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const finals = new Map<number, Record<string, unknown>>();
      let summary: EntryOutcome['summary'];
      try {
        if (existsSync(join(outDir, 'summary.json'))) summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as EntryOutcome['summary'];
        if (existsSync(join(outDir, 'flows.jsonl'))) {
          for (const line of readFileSync(join(outDir, 'flows.jsonl'), 'utf8').split('\n')) {
            if (!line) continue;
            const r = JSON.parse(line) as Record<string, unknown>;
            if (r.final === true && typeof r.packet === 'number') finals.set(r.packet, r);
          }
        }
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
      resolve({ status, signal, stdout, stderr, ...(summary ? { summary } : {}), finals, timedOut });
    });
  });
}

/** What is wrong with an outcome (empty: as the manifest expects). */
export function mismatches(e: HostileEntry, o: EntryOutcome): string[] {
  const bad: string[] = [];
  const x = e.expect;
  if (o.timedOut) bad.push('hung (killed after the timeout)');
  if (o.signal) bad.push(`killed by ${o.signal}`);
  if (o.status !== x.exit) bad.push(`exit ${o.status}, expected ${x.exit}`);
  if (/\n\s+at .+:\d+:\d+\)?\n/.test(o.stderr) || /Error:.*\n\s+at /.test(o.stderr)) bad.push('a stack trace was printed');
  if (/internal|Assertion|Segmentation|AddressSanitizer/i.test(o.stderr)) bad.push('an internal error was printed');
  for (const s of x.stderr ?? []) {
    const want = sub(s, e.file, '');
    if (!o.stderr.includes(want)) bad.push(`stderr lacks ${JSON.stringify(want)}`);
  }
  if (x.exit === 2 && !o.stderr.startsWith('dsrlab: error: ')) bad.push('stderr does not start with "dsrlab: error: "');
  for (const s of x.stdout ?? []) if (!o.stdout.includes(s)) bad.push(`stdout lacks ${JSON.stringify(s)}`);
  if (x.packets || x.dropReasons || x.flows) {
    if (!o.summary) bad.push('no summary.json');
    else {
      for (const [k, v] of Object.entries(x.packets ?? {})) if (o.summary.packets[k] !== v) bad.push(`packets.${k} = ${o.summary.packets[k]}, expected ${v}`);
      if (x.dropReasons && JSON.stringify(o.summary.dropReasons) !== JSON.stringify(x.dropReasons)) {
        bad.push(`dropReasons ${JSON.stringify(o.summary.dropReasons)}, expected ${JSON.stringify(x.dropReasons)}`);
      }
      const p = o.summary.packets;
      if (p.in !== (p.delivered ?? 0) + (p.toStack ?? 0) + (p.dropped ?? 0) + (p.answered ?? 0) + (p.unaccounted ?? 0)) bad.push('packets do not add up');
      if (p.unaccounted) bad.push(`${p.unaccounted} packet(s) unaccounted`);
    }
    for (const f of x.flows ?? []) {
      const r = o.finals.get(f.packet);
      const v = r?.[f.field];
      if (typeof v !== 'string' || !v.includes(f.contains)) bad.push(`packet ${f.packet}: ${f.field} is ${JSON.stringify(v)}, expected it to contain ${JSON.stringify(f.contains)}`);
    }
  }
  return bad;
}

/** Runs fn over items, at most `limit` at a time, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const res: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      res[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return res;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { hostileCorpus } = await import('../../scripts/hostile-def.js');
  const want = new Set(process.argv.slice(2));
  const entries = hostileCorpus().filter((e) => !want.size || want.has(e.id));
  const outcomes = await mapLimit(entries, 2, (e) => runEntry(e));
  entries.forEach((e, i) => {
    const o = outcomes[i]!;
    const bad = mismatches(e, o);
    const fin = [...o.finals.values()].map((r) => `${r.packet}:${r.drop_reason_desc ?? r.verdict}${r.parse_error ? ` (${r.parse_error})` : ''}@${r.host}`).join(' ');
    console.log(`${bad.length ? 'FAIL' : 'ok  '} ${e.id}: exit ${o.status}${o.signal ? ` ${o.signal}` : ''} ${o.stderr.trim().split('\n').slice(0, 3).join(' | ')}${o.summary ? ` drops=${JSON.stringify(o.summary.dropReasons)} pk=${JSON.stringify(o.summary.packets)}` : ''} ${fin}`);
    for (const b of bad) console.log(`       - ${b}`);
  });
}
