// `dsrlab replay` on the command line: the summary table and --json, --out, and the exit
// statuses (0 done, 1 drops with --fail-on-drop, 2 bad scenario, capture or option).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capture, FIXTURES, runCli, tempDir } from '../helpers.js';
import { CLIENT4, CLUSTER_IP4, VIP4, scenarioPath, tcpConversation, udpExchange, writeCapture } from './helpers.js';

const tmp = tempDir('dsrlab-replay-cli-');
afterAll(() => tmp.cleanup());

const good = writeCapture(tmp.dir, 'good.pcap', [...tcpConversation(CLIENT4, VIP4, 40000, 80, false), ...udpExchange(CLIENT4, VIP4, 5000, 53, false)]);
const clusterIp = writeCapture(tmp.dir, 'clusterip.pcap', tcpConversation(CLIENT4, CLUSTER_IP4, 40000, 80, false).slice(0, 1));
const noService = writeCapture(tmp.dir, 'nosvc.pcap', udpExchange(CLIENT4, VIP4, 5000, 9999, false));

describe('dsrlab replay', () => {
  it('prints a summary table and exits 0', () => {
    const r = runCli(['replay', good, '--scenario', scenarioPath('dsr.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/packets in\s+6/);
    expect(r.stdout).toMatch(/delivered\s+6\s+100\.0%/);
    expect(r.stdout).toMatch(/responder echo/); // a one-sided capture
    expect(r.stdout).toMatch(/backend\s+node\s+address\s+flows\s+packets/);
    expect(r.stdout).toMatch(/responses made/);
  });

  it('prints the summary object with --json and writes --out DIR', () => {
    const out = join(tmp.dir, 'out');
    const r = runCli(['replay', good, '--scenario', scenarioPath('hybrid.yaml'), '--json', '--out', out, '--mode', 'dsr', '--responder', 'none']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.mode).toBe('dsr');
    expect(j.responder).toBe('none');
    expect(j.packets).toMatchObject({ in: 6, delivered: 6, toStack: 0, dropped: 0, answered: 0 });
    expect(j.dropReasons).toEqual({});
    for (const f of ['summary.json', 'flows.jsonl', 'points/wire-client-1.pcap', 'points/wire-world.pcap', 'points/tcpdump-node-a.pcap', 'points/wire-web-b.pcap']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
  });

  it('skips flows.jsonl with --flows none, writing the same pcaps and counts', () => {
    const hops = join(tmp.dir, 'out-hops');
    const none = join(tmp.dir, 'out-none');
    const a = runCli(['replay', good, '--scenario', scenarioPath('dsr.yaml'), '--json', '--out', hops]);
    const b = runCli(['replay', good, '--scenario', scenarioPath('dsr.yaml'), '--json', '--out', none, '--flows', 'none']);
    expect(a.status).toBe(0);
    expect(b.status).toBe(0);
    const ja = JSON.parse(a.stdout), jb = JSON.parse(b.stdout);
    expect(ja.outputs).toMatchObject({ flows: 'hops' });
    expect(ja.outputs.flowRecords).toBeGreaterThan(0);
    expect(jb.outputs).toMatchObject({ flows: 'none', flowRecords: 0 });
    expect(existsSync(join(hops, 'flows.jsonl'))).toBe(true);
    expect(existsSync(join(none, 'flows.jsonl'))).toBe(false);
    expect(jb.packets).toEqual(ja.packets);
    for (const f of ja.outputs.pcaps as string[]) expect(readFileSync(join(none, f)).equals(readFileSync(join(hops, f))), f).toBe(true);
    expect(runCli(['replay', good, '--scenario', scenarioPath('dsr.yaml'), '--out', none]).stdout).toMatch(/flows\.jsonl: \d+ records/);
    expect(runCli(['replay', good, '--scenario', scenarioPath('dsr.yaml'), '--out', none, '--flows', 'none']).stdout).toMatch(/no flows\.jsonl \(--flows none\)/);
    const bad = runCli(['replay', good, '--scenario', scenarioPath('dsr.yaml'), '--out', none, '--flows', 'packets']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--flows.*"packets" is not a flow log level: allowed values are hops, none/);
  });

  it('exits 1 with --fail-on-drop when a packet hits DROP_IS_CLUSTER_IP, 0 without the flag', () => {
    const with_ = runCli(['replay', clusterIp, '--scenario', scenarioPath('snat.yaml'), '--fail-on-drop']);
    expect(with_.status).toBe(1);
    expect(with_.stdout).toMatch(/DROP_IS_CLUSTER_IP\s+174\s+1/);
    expect(runCli(['replay', clusterIp, '--scenario', scenarioPath('snat.yaml')]).status).toBe(0);
    expect(runCli(['replay', good, '--scenario', scenarioPath('dsr.yaml'), '--fail-on-drop', '--responder', 'none']).status).toBe(0);
  });

  it('exits 1 with --fail-on-drop on DROP_NO_SERVICE (a Service without endpoints, serviceNoBackendResponse=drop)', () => {
    const drop = join(tmp.dir, 'snat-drop.yaml');
    writeFileSync(drop, `cilium: {serviceNoBackendResponse: drop}\nnodes: [{name: node-a, ipv4: 192.168.10.11}]\nclients: [{name: client-1, ipv4: ${CLIENT4}}]\nobjects:\n  - {apiVersion: v1, kind: Service, metadata: {name: empty}, spec: {type: LoadBalancer, ports: [{port: 9999, protocol: UDP}]}, status: {loadBalancer: {ingress: [{ip: ${VIP4}}]}}}\n`);
    const r = runCli(['replay', noService, '--scenario', drop, '--fail-on-drop', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).dropReasons).toEqual({ DROP_NO_SERVICE: 1 });
  });

  it('replays a global Service whose backends are in a remote cluster (Geneve dispatch) without crashing', () => {
    // No emulated node hosts a remote cluster's pods: the LB cannot find a tunnel endpoint for
    // them, which must end as a drop (e.g. DROP_NO_TUNNEL_ENDPOINT), never as a crash.
    const path = join(tmp.dir, 'mesh.yaml');
    writeFileSync(
      path,
      [
        'cilium: {routingMode: tunnel, tunnelProtocol: geneve, loadBalancer: {mode: dsr, dsrDispatch: geneve}}',
        'cluster: {name: lab, id: 1}',
        'nodes: [{name: node-a, ipv4: 192.168.10.11}]',
        `clients: [{name: client-1, ipv4: ${CLIENT4}}]`,
        'objects:',
        '  - {apiVersion: v1, kind: Service, metadata: {name: web, annotations: {service.cilium.io/global: "true"}},',
        `     spec: {type: LoadBalancer, ports: [{name: http, port: 80, targetPort: 8080}]}, status: {loadBalancer: {ingress: [{ip: ${VIP4}}]}}}`,
        '  - {apiVersion: discovery.k8s.io/v1, kind: EndpointSlice, addressType: IPv4,',
        '     metadata: {name: web-remote, labels: {kubernetes.io/service-name: web}, annotations: {dsrlab.io/cluster-id: "2"}},',
        '     ports: [{name: http, port: 8080}], endpoints: [{addresses: [10.245.1.10]}]}',
        '',
      ].join('\n'),
    );
    const r = runCli(['replay', good, '--scenario', path, '--json', '--responder', 'echo']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.packets.in).toBe(6);
    expect(j.packets.unaccounted).toBe(0);
  });

  it.each([
    ['a missing scenario', [good, '--scenario', join(tmp.dir, 'missing.yaml')], /missing\.yaml: cannot read the scenario/],
    ['an invalid scenario', [good, '--scenario', join(FIXTURES, 'scenarios/objects/web-v4.yaml')], /web-v4\.yaml/],
    ['a missing capture', [join(tmp.dir, 'missing.pcap'), '--scenario', scenarioPath('snat.yaml')], /missing\.pcap: cannot open/],
    ['a corrupt capture', [capture('../bad/bad-magic.pcap'), '--scenario', scenarioPath('snat.yaml')], /bad-magic\.pcap/],
    ['a bad --mode', [good, '--scenario', scenarioPath('snat.yaml'), '--mode', 'fast'], /--mode: "fast" is not a load-balancer mode/],
    ['a bad --responder', [good, '--scenario', scenarioPath('snat.yaml'), '--responder', 'mirror'], /--responder: "mirror" is not a responder/],
    ['no --scenario', [good], /required option '--scenario <file>'/],
  ])('exits 2 on %s', (_what, args, message) => {
    const r = runCli(['replay', ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('documents itself with examples', () => {
    const r = runCli(['replay', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--responder <kind>');
    expect(r.stdout).toContain('default: capture when');
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--fail-on-drop');
    expect(runCli(['--help']).stdout).toContain('dsrlab replay');
  });
});
