/**
 * rules.ts: small validation rules shared by validate.ts (hosts, frontends) and objects.ts
 * (Kubernetes objects): name patterns and address fields. Nothing here knows the scenario layout.
 */

import { parseIp, unusableAddressReason } from './addr.js';
import type { ParsedIp } from './addr.js';
import type { CiliumConfig } from './types.js';
import { fail, readString } from './yamltree.js';
import type { YNode } from './yamltree.js';

/** Host names (nodes, clients, pods): a DNS subdomain as Kubernetes requires of node and pod names (RFC 1123). */
export const HOST_NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const HOST_NAME_MAX = 253;

/** Kubernetes label values (zones): at most 63 of [A-Za-z0-9_.-], alphanumeric at both ends. */
export const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** An address field: right family, usable as a host/service address. */
export function readAddress(n: YNode, family: 4 | 6 | undefined, what: string): ParsedIp {
  const s = readString(n, `${what}: an IP address`);
  const p = parseIp(s);
  if (!p) fail(n, `${JSON.stringify(s)} is not ${family === 6 ? 'an IPv6' : family === 4 ? 'an IPv4' : 'an IP'} address${family === 4 ? ' (dotted quad, no leading zeros)' : ''}`);
  if (family && p.family !== family) {
    fail(n, `${JSON.stringify(s)} is an IPv${p.family} address, but this field takes IPv${family}`);
  }
  const why = unusableAddressReason(p);
  if (why) fail(n, `${JSON.stringify(s)} is ${why}: it cannot be ${what}`);
  return p;
}

/** Refuses an address whose family Cilium has disabled. */
export function checkFamilyEnabled(n: YNode, p: ParsedIp, cilium: CiliumConfig): void {
  if (p.family === 4 && !cilium.ipv4.enabled) fail(n, `${p.text} is IPv4, but cilium.ipv4.enabled is false`);
  if (p.family === 6 && !cilium.ipv6.enabled) fail(n, `${p.text} is IPv6, but cilium.ipv6.enabled is false: set cilium.ipv6.enabled: true`);
}

