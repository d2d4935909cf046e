/**
 * helpers.ts: shared pieces of the scenario tests: a small valid scenario (as a plain object),
 * a deep-set helper for mutations, and an assertion that a call throws the expected InputError.
 */

import { expect } from 'vitest';
import { stringify } from 'yaml';

import { InputError } from '../../src/errors.js';
import { parseScenario } from '../../src/scenario/index.js';
import type { Scenario } from '../../src/scenario/index.js';

/** A valid DSR scenario: two nodes, one client, one LoadBalancer Service with two backends. */
export function baseScenario(): Record<string, any> {
  return {
    cilium: {
      routingMode: 'native',
      autoDirectNodeRoutes: true,
      loadBalancer: { mode: 'dsr', dsrDispatch: 'opt' },
    },
    cluster: { name: 'lab', id: 1 },
    nodes: [
      { name: 'node-a', ipv4: '192.168.10.11' },
      { name: 'node-b', ipv4: '192.168.10.12' },
    ],
    clients: [{ name: 'client-1', ipv4: '203.0.113.7' }],
    frontends: [{ address: '198.51.100.10', node: 'node-a' }],
    objects: [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          type: 'LoadBalancer',
          ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }],
        },
        status: { loadBalancer: { ingress: [{ ip: '198.51.100.10' }] } },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
        endpoints: [
          { addresses: ['10.244.1.10'], nodeName: 'node-b' },
          { addresses: ['10.244.0.10'], nodeName: 'node-a' },
        ],
      },
    ],
  };
}

/** Sets `obj` at a path like `cilium.loadBalancer.mode` or `nodes[1].ipv4` (creating maps). */
export function setPath(obj: Record<string, any>, path: string, value: unknown): void {
  const parts = path.match(/[^.[\]]+|\[\d+\]/g)!;
  let cur: any = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    const key = p.startsWith('[') ? Number(p.slice(1, -1)) : p;
    if (cur[key] === undefined) cur[key] = {};
    cur = cur[key];
  }
  const last = parts[parts.length - 1]!;
  const k = last.startsWith('[') ? Number(last.slice(1, -1)) : last;
  if (value === undefined) delete cur[k];
  else cur[k] = value;
}

/** Parses `obj` written out as YAML text. */
export function parseObject(obj: unknown, file = 'test.yaml'): Scenario {
  return parseScenario(stringify(obj), file, '/nonexistent');
}

/** Runs `fn`, expecting an InputError at `keyPath` whose detail matches every pattern. */
export function expectInputError(fn: () => unknown, keyPath: string | undefined, words: (string | RegExp)[]): InputError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an InputError').toBeInstanceOf(InputError);
  const err = caught as InputError;
  expect(err.location.keyPath, err.message).toBe(keyPath);
  for (const w of words) {
    if (typeof w === 'string') expect(err.detail, err.message).toContain(w);
    else expect(err.detail, err.message).toMatch(w);
  }
  return err;
}

/** The scenario without its file name (for comparing two loads of the same content). */
export function withoutFile(s: Scenario): Omit<Scenario, 'file'> {
  const { file: _file, ...rest } = s;
  void _file;
  return rest;
}
