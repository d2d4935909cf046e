// The example users copy into their repository (examples/service-invariants.test.ts with
// examples/scenario.yaml) runs in this suite as it is (vitest.config.ts includes examples/), so
// it cannot rot. Here it is also run the way a user runs it, by vitest in a directory of its
// own: once as shipped (it passes) and once with the scenario edited to break what it checks
// (pmtuDiscovery off: a full-size DNS answer over DSR then vanishes without an ICMP error), where
// it must fail and say why, with the shrunk case and a `dsrlab explain` line for that packet.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

// Inside the project, so the copy resolves vitest and fast-check from its node_modules.
const dir = mkdtempSync(join(ROOT, 'test', '.example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function copyExample(sub: string, editScenario: (yaml: string) => string): string {
  const d = join(dir, sub);
  mkdirSync(d);
  const test = readFileSync(join(ROOT, 'examples', 'service-invariants.test.ts'), 'utf8');
  const rewritten = test.replace("from '../src/testing/index.js'", `from ${JSON.stringify(join(ROOT, 'src', 'testing', 'index.ts'))}`);
  expect(rewritten).not.toBe(test);
  writeFileSync(join(d, 'service-invariants.example.ts'), rewritten);
  writeFileSync(join(d, 'scenario.yaml'), editScenario(readFileSync(join(ROOT, 'examples', 'scenario.yaml'), 'utf8')));
  return d;
}

describe('examples/service-invariants.test.ts, run by vitest as a user would', () => {
  copyExample('as-shipped', (y) => y);
  const broken = copyExample('pmtu-off', (y) => {
    const edited = y.replace(/pmtuDiscovery:\n {4}enabled: true/, 'pmtuDiscovery:\n    enabled: false');
    expect(edited).not.toBe(y);
    return edited;
  });
  let out = '';
  let status: number | null = null;
  beforeAll(() => {
    writeFileSync(join(dir, 'vitest.config.mjs'), "export default { test: { include: ['**/*.example.ts'], testTimeout: 60000 } };\n");
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', dir, '--reporter', 'verbose'], {
      encoding: 'utf8',
      // Counterexample files go to the OS temp dir: here, the directory this test removes.
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', TMPDIR: dir },
    });
    out = r.stdout + r.stderr;
    status = r.status;
  });

  it('passes against the example scenario', () => {
    expect(out).toMatch(/✓ as-shipped\/service-invariants\.example\.ts > .* > keeps DSR replies off the load-balancing node/);
    expect(out).toMatch(/✓ as-shipped\/service-invariants\.example\.ts > .* > sends TCP as DSR and UDP as SNAT/);
  });

  it('fails, readably, once the scenario is edited to break the invariant it checks', () => {
    expect(status).toBe(1);
    expect(out).toMatch(/× pmtu-off\/service-invariants\.example\.ts > .* > keeps DSR replies off the load-balancing node/);
    expect(out).toContain('CounterexampleError: dsrlab/testing: everyRequestAnswered does not hold (mode dsr, scenario ');
    expect(out).toContain('everyRequestAnswered: every request reaches a pod or is answered with an ICMP error');
    expect(out).toMatch(/ {2}packet \d+ of flow \d+: udp 203\.0\.113\.[78]:\d+ > \S+:(53|30053), 14\d\d bytes of payload/);
    expect(out).toMatch(/ {2}seen: dropped at node-[abc] WIRE_TX \(DROP_FRAG_NEEDED\), and nothing came back/);
    expect(out).toMatch(new RegExp(`dsrlab explain --scenario ${join(broken, 'scenario.yaml').replace(/[.]/g, '\\.')} --packet 'udp 203\\.0\\.113\\.[78]:\\d+ > \\S+ len=14\\d\\d' --mode dsr`));
    expect(out).toMatch(/Tests {2}1 failed \| 3 passed \(4\)/);
  });
});
