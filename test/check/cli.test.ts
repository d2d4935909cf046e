/**
 * cli.test.ts: `dsrlab check` on the command line (the compiled CLI in dist/: build with
 * `npx tsc -p tsconfig.build.json` first): the sections of the text output, --json, colour,
 * and the exit statuses (0 valid, warnings included; 2 invalid scenario, Kubespray errors,
 * bad arguments).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { ROOT, runCli, tempDir } from '../helpers.js';
import { scenarioPath } from '../replay/helpers.js';
import { checkFixture } from './helpers.js';

const tmp = tempDir('dsrlab-check-cli-');
afterAll(() => tmp.cleanup());

function write(name: string, text: string): string {
  const p = join(tmp.dir, name);
  writeFileSync(p, text);
  return p;
}

const nodes = 'nodes:\n  - {name: node-a, ipv4: 192.168.10.11}\n';

describe('dsrlab check SCENARIO', () => {
  it('prints the effective configuration, the version profile and the requirements, in that order; exits 0', () => {
    const r = runCli(['check', scenarioPath('dsr.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout;
    const at = (s: string) => out.indexOf(s);
    expect(at('valid scenario · Cilium 1.19 · 3 nodes · 1 client · 1 Service')).toBeGreaterThan(0);
    expect(at('Effective configuration')).toBeGreaterThan(0);
    expect(at('Version profile (Cilium 1.19)')).toBeGreaterThan(at('Effective configuration'));
    expect(at('Requirements and implications')).toBeGreaterThan(at('Version profile'));
    for (const g of ['General', 'Load balancer', 'DSR', 'Maglev', 'Routing', 'XDP', 'Socket LB', 'NodePort', 'MTU / PMTU', 'Map sizes']) {
      expect(out, g).toMatch(new RegExp(`^  ${g.replace('/', '\\/')}$`, 'm'));
    }
    // A value that differs from Cilium's default shows the default; one that does not is marked.
    expect(out).toMatch(/^ {4}loadBalancer\.mode +dsr +\(default: snat\) +bpf-lb-mode$/m);
    expect(out).toMatch(/^ {4}loadBalancer\.acceleration +disabled +\(default\) +bpf-lb-acceleration$/m);
    expect(out).toMatch(/^ {4}✓ loadBalancer\.mode = dsr$/m);
    expect(out).toMatch(/requires +· native routing: cilium\.routingMode: native/);
    expect(out).toMatch(/^✓ valid, no warnings$/m);
    expect(out).not.toMatch(/\x1b\[/); // NO_COLOR (runCli sets it)
  });

  it('prints warnings with ⚠ and still exits 0', () => {
    const r = runCli(['check', scenarioPath('maglev-vectors.yaml')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {4}⚠ maglev\.tableSize = 251$/m);
    expect(r.stdout).toMatch(/^ {6}⚠ Service default\/plain has 3 backends/m);
    expect(r.stdout).toMatch(/^ {6}⚠ cilium\.maglev\.hashSeed: JLfvgnHc2kaSUFaI .*public/m);
    expect(r.stdout).toMatch(/^⚠ valid, 2 warnings \(cilium\.maglev\.tableSize, cilium\.maglev\.hashSeed\)$/m);
  });

  it('--json: one object with valid, effective, settings, requirements and warnings', () => {
    const r = runCli(['check', scenarioPath('maglev.yaml'), '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ valid: true, kind: 'scenario', version: '1.19', errors: [] });
    expect(j.effective.cilium.loadBalancer).toMatchObject({ mode: 'dsr', algorithm: 'maglev' });
    expect(j.effective.nodes).toHaveLength(3);
    for (const q of j.requirements) {
      expect(Object.keys(q)).toEqual(expect.arrayContaining(['setting', 'value', 'requires', 'implies', 'status']));
      expect(Array.isArray(q.requires) && Array.isArray(q.implies)).toBe(true);
    }
    const ts = j.requirements.find((q: { setting: string }) => q.setting === 'maglev.tableSize');
    expect(ts.status).toBe('warning');
    expect(j.warnings).toEqual([expect.objectContaining({ level: 'warning', setting: 'cilium.maglev.tableSize', message: expect.stringContaining('5 backends') })]);
    expect(j.settings.find((s: { key: string }) => s.key === 'maglev.tableSize')).toMatchObject({ value: 251, default: 16381, isDefault: false, flag: 'bpf-lb-maglev-table-size' });
  });

  it('--mode dsr checks the scenario as if in DSR mode', () => {
    const j = JSON.parse(runCli(['check', scenarioPath('snat.yaml'), '--mode', 'dsr', '--json']).stdout);
    expect(j.effective.cilium.loadBalancer.mode).toBe('dsr');
    expect(j.warnings.map((w: { setting: string }) => w.setting)).toContain('cilium.pmtuDiscovery.enabled');
  });

  // Invalid scenarios: exit 2, the error names the key path and the rule.
  const bad = [
    { name: 'DSR in (default) vxlan tunnel mode', text: `cilium: {loadBalancer: {mode: dsr}}\n${nodes}`, key: 'cilium.loadBalancer.mode', words: /cannot be used with vxlan tunneling/ },
    { name: 'Maglev table size not prime', text: `cilium: {maglev: {tableSize: 1000}}\n${nodes}`, key: 'cilium.maglev.tableSize', words: /not one of Cilium's Maglev table sizes/ },
    { name: 'hash seed of 16 bytes', text: `cilium: {maglev: {hashSeed: "FYJf2hrSynYxcZrkMWTGYA=="}}\n${nodes}`, key: 'cilium.maglev.hashSeed', words: /exactly 12 bytes/ },
    { name: 'cluster name with capitals', text: `cluster: {name: Lab, id: 1}\n${nodes}`, key: 'cluster.name', words: /no capitals: "lab"/ },
    { name: 'cluster ID above 255', text: `cluster: {name: lab, id: 256}\n${nodes}`, key: 'cluster.id', words: /0\.\.255/ },
    { name: 'geneve dispatch with vxlan', text: `cilium: {routingMode: native, loadBalancer: {mode: dsr, dsrDispatch: geneve}}\n${nodes}`, key: 'cilium.loadBalancer.dsrDispatch', words: /requires tunnelProtocol: geneve/ },
  ];
  it.each(bad)('exits 2 on an invalid scenario ($name), naming the key', ({ name, text, key, words }) => {
    const f = write(`${name.replace(/\W+/g, '-')}.yaml`, text);
    const r = runCli(['check', f]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`(${key})`);
    expect(r.stderr).toMatch(words);
    // --json: still one object on stdout, naming the key.
    const j = runCli(['check', f, '--json']);
    expect(j.status).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ valid: false, errors: [expect.objectContaining({ setting: key, line: expect.any(Number) })] });
  });

  it('exits 2 on a missing file and on bad arguments', () => {
    expect(runCli(['check', join(tmp.dir, 'nope.yaml')]).status).toBe(2);
    const none = runCli(['check']);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/give a scenario file, or --kubespray/);
    const both = runCli(['check', scenarioPath('dsr.yaml'), '--kubespray', checkFixture('kubespray-default.yml')]);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/not both/);
    expect(runCli(['check', scenarioPath('dsr.yaml'), '--mode', 'direct']).status).toBe(2);
  });

  it('colours warnings yellow when colour is on', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '1' };
    delete env['NO_COLOR'];
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'dsrlab.js'), 'check', scenarioPath('maglev.yaml')], { encoding: 'utf8', env, cwd: ROOT });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('\x1b[33m⚠\x1b[39m');
  });
});

describe('dsrlab check --kubespray VARS', () => {
  it('the default file: variables, seed features, configuration; exits 0', () => {
    const r = runCli(['check', '--kubespray', checkFixture('kubespray-default.yml')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/Kubespray variables · Cilium 1\.17/);
    expect(out.indexOf('Variables')).toBeLessThan(out.indexOf('Features Kubespray cannot switch on'));
    expect(out.indexOf('Features Kubespray cannot switch on')).toBeLessThan(out.indexOf('Effective configuration'));
    expect(out).toMatch(/^ {2}✓ cilium_tunnel_mode +vxlan +→ routingMode, tunnelProtocol/m);
    expect(out).toMatch(/^ {2}○ Maglev consistent hashing \(Maglev 哈希一致性\): off$/m);
    expect(out).toMatch(/^ {6}Helm +--set loadBalancer\.algorithm=maglev --set maglev\.tableSize=65521 --set maglev\.hashSeed=\$SEED$/m);
    expect(out).toMatch(/^✓ valid, no warnings$/m);
  });

  it('DSR + Maglev through extra vars: features on, naming the variables; exits 0', () => {
    const r = runCli(['check', '--kubespray', checkFixture('kubespray-dsr-maglev.yml')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}✓ Maglev consistent hashing .*: on via cilium_config_extra_vars\.bpf-lb-algorithm: maglev/m);
    expect(r.stdout).toMatch(/^ {2}✓ cilium_config_extra_vars\.bpf-lb-mode +dsr +→ loadBalancer\.mode$/m);
    expect(r.stdout).toMatch(/^ {4}loadBalancer\.mode +dsr +\(default: snat\) +← cilium_config_extra_vars\.bpf-lb-mode$/m);
  });

  it('the contradictory file: ✗ lines naming the variables, exit 2', () => {
    const r = runCli(['check', '--kubespray', checkFixture('kubespray-contradictory.yml')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^ {6}✗ cilium_config_extra_vars\.bpf-lb-mode: dsr cannot be used with vxlan tunnelling \(cilium_tunnel_mode: vxlan\)/m);
    expect(r.stdout).toMatch(/^ {2}\? cilium_routing_mode +native +not understood: Kubespray has no cilium_routing_mode/m);
    expect(r.stdout).toMatch(/^✗ 4 errors/m);
    expect(r.stderr).toMatch(/kubespray-contradictory\.yml: 4 problems Cilium would refuse or ignore \(.*cilium_config_extra_vars\.bpf-lb-mode/);
    const j = runCli(['check', '--kubespray', checkFixture('kubespray-contradictory.yml'), '--json']);
    expect(j.status).toBe(2);
    const o = JSON.parse(j.stdout);
    expect(o.valid).toBe(false);
    expect(o.errors.map((e: { setting: string }) => e.setting).sort()).toEqual(['cilium_cluster_name', 'cilium_config_extra_vars.bpf-lb-maglev-table-size', 'cilium_config_extra_vars.bpf-lb-mode', 'cilium_kube_proxy_replacement']);
    expect(o.kubespray.notUnderstood).toEqual([expect.objectContaining({ variable: 'cilium_routing_mode' })]);
    expect(o.requirements.find((q: { setting: string }) => q.setting === 'loadBalancer.mode').status).toBe('error');
  });

  it('--json for a Kubespray file: effective Helm values, features, variables', () => {
    const o = JSON.parse(runCli(['check', '--kubespray', checkFixture('kubespray-dsr-maglev.yml'), '--json']).stdout);
    expect(o).toMatchObject({ valid: true, kind: 'kubespray', errors: [], warnings: [] });
    expect(o.effective).toMatchObject({ loadBalancer: { mode: 'dsr', algorithm: 'maglev' }, maglev: { tableSize: 65521 } });
    expect(o.kubespray.features.filter((f: { enabled: boolean }) => f.enabled).map((f: { id: string }) => f.id).sort()).toEqual(['cluster-mesh', 'dsr', 'kube-proxy-replacement', 'maglev', 'socket-lb-bypass', 'topology-hints', 'xdp']);
  });

  it('exits 2 on an unreadable or non-variables file, and on --mode with --kubespray', () => {
    expect(runCli(['check', '--kubespray', join(tmp.dir, 'missing.yml')]).stderr).toMatch(/no such file/);
    const list = write('list.yml', '- a\n');
    expect(runCli(['check', '--kubespray', list]).status).toBe(2);
    const m = runCli(['check', '--kubespray', checkFixture('kubespray-default.yml'), '--mode', 'dsr']);
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/cilium_loadbalancer_mode/);
  });
});
