/**
 * scenario.ts: the built-in scenario of `dsrlab demo` (no files needed): a client 203.0.113.7,
 * three nodes, a LoadBalancer 198.51.100.10 (TCP 80 → 8080, UDP 53 → 5353, with NodePorts)
 * whose traffic enters at node-a while its backends run on node-b and node-c only, so every
 * flow crosses the fabric; MTU 1500, pmtuDiscovery on, Cilium 1.19's profile, the IPv4 option
 * dispatch, Maglev. Also the demo's packets as SPECs. Running them is demo.ts's business.
 */
import { scenarioFromObject } from '../scenario/index.js';
import type { Acceleration, Scenario } from '../scenario/types.js';

/** The name the demo scenario goes by in outputs and errors. */
export const DEMO_SCENARIO_NAME = '(built-in demo scenario)';

export const DEMO_CLIENT = '203.0.113.7';
export const DEMO_VIP = '198.51.100.10';

/** The scenario as its YAML would read (see the file comment). */
export function demoScenarioObject(acceleration: Acceleration = 'disabled'): Record<string, unknown> {
  return {
    cilium: {
      version: '1.19',
      kubeProxyReplacement: true,
      routingMode: 'native',
      autoDirectNodeRoutes: true,
      loadBalancer: { mode: 'snat', dsrDispatch: 'opt', algorithm: 'maglev', acceleration },
      pmtuDiscovery: { enabled: true },
      MTU: 1500,
    },
    cluster: { name: 'demo', id: 1 },
    seed: 1,
    nodes: [
      { name: 'node-a', ipv4: '192.168.10.11', zone: 'zone-a' },
      { name: 'node-b', ipv4: '192.168.10.12', zone: 'zone-b' },
      { name: 'node-c', ipv4: '192.168.10.13', zone: 'zone-c' },
    ],
    clients: [{ name: 'client-1', ipv4: DEMO_CLIENT }],
    frontends: [{ address: DEMO_VIP, node: 'node-a' }],
    objects: [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          type: 'LoadBalancer',
          clusterIP: '10.96.0.50',
          selector: { app: 'web' },
          ports: [
            { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 },
            { name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353, nodePort: 30053 },
          ],
        },
        status: { loadBalancer: { ingress: [{ ip: DEMO_VIP }] } },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'web-demo', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4',
        ports: [
          { name: 'http', protocol: 'TCP', port: 8080 },
          { name: 'dns', protocol: 'UDP', port: 5353 },
        ],
        endpoints: [
          { addresses: ['10.244.1.10'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-b', zone: 'zone-b', targetRef: { kind: 'Pod', name: 'web-b', namespace: 'default' } },
          { addresses: ['10.244.2.10'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-c', zone: 'zone-c', targetRef: { kind: 'Pod', name: 'web-c', namespace: 'default' } },
        ],
      },
    ],
  };
}

/** The demo scenario, validated as any scenario file is. */
export function demoScenario(acceleration: Acceleration = 'disabled'): Scenario {
  return scenarioFromObject(demoScenarioObject(acceleration), DEMO_SCENARIO_NAME, process.cwd());
}

/** The demo's packets (SPECs). The data segment's ack number and the retry's size come from the run. */
export const DEMO_PACKETS = {
  /** TCP: the SYN, then a full-size data segment (1500-byte IP packet) on the established flow. */
  tcpSyn: `tcp ${DEMO_CLIENT}:40000 > ${DEMO_VIP}:80 syn`,
  tcpData: (ackNumber: number) => `tcp ${DEMO_CLIENT}:40000 > ${DEMO_VIP}:80 ack psh seq=1001 ackno=${ackNumber} len=1460`,
  /** UDP: a small query, then a full-size datagram (1500-byte IP packet). */
  udpQuery: `udp ${DEMO_CLIENT}:40001 > ${DEMO_VIP}:53 len=32`,
  udpFull: `udp ${DEMO_CLIENT}:40001 > ${DEMO_VIP}:53 len=1472`,
  /** The retry a client makes after fragmentation-needed: an IP packet of the advertised MTU. */
  udpRetry: (ipLength: number) => `udp ${DEMO_CLIENT}:40001 > ${DEMO_VIP}:53 len=${ipLength - 28}`,
} as const;
