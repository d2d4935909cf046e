// `dsrlab compare` and `dsrlab report` on the command line (the shipped CLI, from dist/): the
// side-by-side text, the --json shape, the HTML file, and the exit statuses (0 done, 2 bad input).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capture, FIXTURES, runCli, tempDir } from '../helpers.js';

const tmp = tempDir('dsrlab-report-cli-');
afterAll(() => tmp.cleanup());

const REAL = capture('real-http-udp.pcap');
const SCENARIO = join(FIXTURES, 'scenarios', 'real-capture.yaml');

describe('dsrlab compare', () => {
  it('prints the modes side by side and exits 0', () => {
    const r = runCli(['compare', REAL, '--scenario', SCENARIO]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\s+snat\s+dsr\s+hybrid$/m);
    expect(r.stdout).toMatch(/flow 1 {2}TCP 203\.0\.113\.7:55656 → 198\.51\.100\.10:80/);
    expect(r.stdout).toMatch(/hops req \/ reply\s+3 \/ 3\s+3 \/ 2\s+3 \/ 2/);
    expect(r.stdout).toMatch(/backend saw\s+192\.168\.10\.11:55656\s+203\.0\.113\.7:55656\s+203\.0\.113\.7:55656/);
    expect(r.stdout).toMatch(/reply path\s+web-c→node-c→node-a→client-1\s+web-c→node-c→client-1/);
    expect(r.stdout).toMatch(/SNAT ports\s+55656\s+—\s+—/);
    expect(r.stdout).toMatch(/packets in\s+77\s+77\s+77/);
    expect(r.stdout).toMatch(/wire-node-a\s+98,442 B \(154 frames\)\s+8,868 B \(74 frames\)/);
  });

  it('prints one JSON object with --json', () => {
    const r = runCli(['compare', capture('udp.pcap'), '--scenario', SCENARIO, '--modes', 'snat,dsr', '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['capture', 'scenario', 'ciliumVersion', 'modes', 'responder', 'runs', 'flows']);
    expect(j.modes).toEqual(['snat', 'dsr']);
    expect(j.runs.map((x: { mode: string }) => x.mode)).toEqual(['snat', 'dsr']);
    for (const run of j.runs) {
      expect(Object.keys(run)).toEqual(expect.arrayContaining(['mode', 'responder', 'packets', 'dropReasons', 'drops', 'links', 'flows', 'flowsByBackend']));
      expect(run.links['client-1']).toEqual({ packets: expect.any(Number), bytes: expect.any(Number) });
    }
    expect(j.runs[1].packets).toMatchObject({ in: 4, answered: 1 });
    expect(j.flows).toHaveLength(1);
    const f = j.flows[0];
    expect(f).toMatchObject({ key: '17 203.0.113.7 53000 198.51.100.10 7777', protocol: 'UDP', family: 4, client: '203.0.113.7', clientPort: 53000, frontend: '198.51.100.10', frontendPort: 7777 });
    expect(Object.keys(f.modes)).toEqual(['snat', 'dsr']);
    expect(Object.keys(f.modes.dsr)).toEqual(
      expect.arrayContaining(['packets', 'fates', 'backends', 'forwarding', 'lbNode', 'hops', 'requestPath', 'replyPath', 'replyViaLbNode', 'paths', 'backendSaw', 'clientSaw', 'drops', 'mtu', 'icmpErrors', 'snatPorts']),
    );
    expect(f.modes.dsr.icmpErrors).toEqual({ 'frag needed mtu 1492 from node-a': 1 });
    expect(f.modes.snat.hops.reply).toEqual({ typical: 3, min: 3, max: 3 });
  });

  it.each([
    [['--modes', 'snat,fast'], /--modes: "fast" is not a load-balancer mode/],
    [['--responder', 'maybe'], /--responder: "maybe" is not a responder/],
    [['--max-flows', '-1'], /--max-flows/],
  ])('exits 2 on bad options %j', (extra, msg) => {
    const r = runCli(['compare', REAL, '--scenario', SCENARIO, ...extra]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(r.stdout).toBe('');
  });

  it('exits 2 on a missing capture, a missing scenario, a bad scenario, or no --scenario', () => {
    expect(runCli(['compare', join(tmp.dir, 'nope.pcap'), '--scenario', SCENARIO]).status).toBe(2);
    const ns = runCli(['compare', REAL, '--scenario', join(tmp.dir, 'nope.yaml')]);
    expect(ns.status).toBe(2);
    expect(ns.stderr).toMatch(/cannot read the scenario/);
    expect(runCli(['compare', REAL, '--scenario', join(FIXTURES, 'bad', 'empty.pcap')]).status).toBe(2);
    expect(runCli(['compare', REAL]).status).toBe(2);
  });

  it('validates the scenario under every mode before running any (opt dispatch is not allowed with tunnel routing in DSR)', () => {
    const text = readFileSync(join(FIXTURES, 'scenarios', 'dsr-geneve.yaml'), 'utf8').replace('mode: dsr', 'mode: snat').replace('dsrDispatch: geneve', 'dsrDispatch: opt');
    const path = join(tmp.dir, 'tunnel-opt.yaml');
    writeFileSync(path, text);
    expect(runCli(['compare', capture('tcp-handshake.pcap'), '--scenario', path, '--modes', 'snat']).status).toBe(0);
    const r = runCli(['compare', capture('tcp-handshake.pcap'), '--scenario', path, '--modes', 'snat,dsr']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/cilium\.loadBalancer\.dsrDispatch.*\(set by --mode dsr\)/);
  });
});

describe('dsrlab report', () => {
  it('writes one HTML file and says what it holds', () => {
    const out = join(tmp.dir, 'dsr.html');
    const r = runCli(['report', REAL, '--scenario', SCENARIO, '--mode', 'dsr', '--html', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*dsr\.html \(\d+ KiB\): mode dsr, 77 packets \(77 delivered, 0 to a stack, 0 dropped, 0 answered\), 4 flows, 4 sequence diagrams$/m);
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg [^>]*class="seq"/g)).toHaveLength(4);
  });

  it('caps the diagrams with --max-flows and says so', () => {
    const out = join(tmp.dir, 'capped.html');
    const r = runCli(['report', REAL, '--scenario', SCENARIO, '--html', out, '--max-flows', '2', '--packets-per-flow', '3']);
    expect(r.status).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html.match(/<svg [^>]*class="seq"/g)).toHaveLength(2);
    expect(html).toContain('Diagrams for the first 2 of 4 flows');
    expect(html).toMatch(/3 of 33 packets drawn/);
  });

  it.each([
    [['--mode', 'fast'], /--mode: "fast" is not a load-balancer mode/],
    [['--max-flows', 'many'], /--max-flows: "many" is not a whole number/],
    [['--packets-per-flow', '0'], /--packets-per-flow: "0" is not a whole number ≥ 1/],
  ])('exits 2 on bad options %j', (extra, msg) => {
    const out = join(tmp.dir, 'bad.html');
    const r = runCli(['report', REAL, '--scenario', SCENARIO, '--html', out, ...extra]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(existsSync(out)).toBe(false);
  });

  it('exits 2 without --html, on a missing capture, and when the file cannot be written', () => {
    expect(runCli(['report', REAL, '--scenario', SCENARIO]).status).toBe(2);
    expect(runCli(['report', join(tmp.dir, 'nope.pcap'), '--scenario', SCENARIO, '--html', join(tmp.dir, 'x.html')]).status).toBe(2);
    const r = runCli(['report', capture('udp.pcap'), '--scenario', SCENARIO, '--html', join(tmp.dir, 'no', 'such', 'dir', 'r.html')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot write the report/);
  });
});
