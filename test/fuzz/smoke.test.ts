// smoke.test.ts: the libFuzzer targets (native/fuzz/fuzz_*.c) build with clang and each runs
// for a few seconds from its seed corpus, after replaying its committed crash inputs
// (native/fuzz/regressions/<target>/), without a crash. Long runs are `npm run fuzz`'s job
// (scripts/fuzz.sh), not this file's. Skipped, saying why, where clang cannot link libFuzzer;
// CI installs clang, so there it runs.
import { describe, expect, it, beforeAll } from 'vitest';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { ROOT, tempDir, hasTool } from '../helpers.js';

/** Seconds each target fuzzes; they run side by side, so the file takes about this plus the build. */
const SECONDS = Number(process.env.DSRLAB_FUZZ_SMOKE_SECONDS ?? 10);

const targets = readdirSync(join(ROOT, 'native', 'fuzz'))
  .filter((f) => /^fuzz_\w+\.c$/.test(f))
  .map((f) => f.slice('fuzz_'.length, -'.c'.length))
  .sort();

/** Why the fuzzers cannot be built here, or undefined when they can. */
function skipReason(): string | undefined {
  if (!hasTool('clang')) return 'clang is not installed (libFuzzer needs it)';
  if (!hasTool('cmake')) return 'cmake is not installed';
  const t = tempDir('dsrlab-fuzz-probe-');
  try {
    const src = join(t.dir, 'probe.c');
    writeFileSync(src, '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n');
    const r = spawnSync('clang', ['-fsanitize=fuzzer,address,undefined', src, '-o', join(t.dir, 'probe')], { encoding: 'utf8' });
    return r.status === 0 ? undefined : `clang cannot link libFuzzer (-fsanitize=fuzzer): ${r.stderr.trim().split('\n')[0]}`;
  } finally {
    t.cleanup();
  }
}

const reason = skipReason();
if (reason) console.warn(`test/fuzz/smoke.test.ts: skipped: ${reason}`);

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ status: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ status: code ?? -1, out }));
  });
}

describe.skipIf(reason !== undefined)(`libFuzzer targets${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const results = new Map<string, Promise<{ status: number; out: string }>>();

  beforeAll(async () => {
    const cfg = await run('cmake', ['-S', '.', '-B', 'build-fuzz', ...(hasTool('ninja') ? ['-G', 'Ninja'] : []),
      '-DDSRLAB_FUZZ=ON', '-DCMAKE_BUILD_TYPE=Release', '-DCMAKE_C_COMPILER=clang', '-DCMAKE_CXX_COMPILER=clang++']);
    expect(cfg.status, cfg.out).toBe(0);
    const build = await run('cmake', ['--build', 'build-fuzz', '--target', ...targets.map((t) => `fuzz_${t}`)]);
    expect(build.status, build.out).toBe(0);
    // All targets at once: each is one process, and the file's wall time stays near SECONDS.
    for (const t of targets) results.set(t, run('bash', ['scripts/fuzz.sh', t, String(SECONDS)], { FUZZ_NO_BUILD: '1' }));
  }, 180_000);

  it('has targets', () => {
    expect(targets).toContain('pipeline');
  });

  it.each(targets)('fuzz_%s replays its regressions and fuzzes without a crash', async (t) => {
    const r = await results.get(t)!;
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(new RegExp(`fuzz: ${t}: \\d+ execs`));
  }, SECONDS * 1000 + 60_000);
});
