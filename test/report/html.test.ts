// report(): the HTML page as text. It must be self-contained (inline CSS and SVG, no script,
// nothing to fetch), hold the summary (fates, drops with Hubble's names, the backend bar chart)
// and one sequence diagram per flow up to the cap, each an <svg class="seq"> whose data-*
// attributes say what it draws.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { report } from '../../src/report/report.js';
import { capture, FIXTURES } from '../helpers.js';

const SCENARIO = join(FIXTURES, 'scenarios', 'real-capture.yaml');

/** Attributes of every <svg class="seq"> in the page. */
function diagrams(html: string): Record<string, string>[] {
  return [...html.matchAll(/<svg [^>]*class="seq"[^>]*>/g)].map((m) => Object.fromEntries([...m[0].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])));
}

describe('report: a self-contained page', () => {
  it('has no script, no external reference and nothing to fetch', async () => {
    const { html } = await report(capture('real-http-udp.pcap'), SCENARIO, { mode: 'dsr' });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link|<img|<iframe|<object|<embed|@import|url\(/i);
    // The only URLs are SVG namespace names, which nothing fetches.
    const urls = [...html.matchAll(/https?:\/\/[^"'\s<)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
    // Links stay inside the page.
    for (const m of html.matchAll(/href="([^"]*)"/g)) expect(m[1]).toMatch(/^#flow-\d+$/);
  });

  it('holds the summary, the backend chart, the legend and one diagram per flow', async () => {
    const r = await report(capture('real-http-udp.pcap'), SCENARIO, { mode: 'snat' });
    expect(r.flows).toBe(4);
    expect(r.diagrams).toBe(4);
    const h = r.html;
    expect(h).toContain('<section id="summary">');
    expect(h).toMatch(/<svg [^>]*class="bars" data-backends="8"/);
    expect(h).toMatch(/<g class="bar" data-pod="web-c" data-flows="1" data-packets="15">/);
    expect(h).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="legend"');
    const d = diagrams(h);
    expect(d.map((a) => a['data-flow'])).toEqual(['1', '2', '3', '4']);
    expect(d[0]).toMatchObject({ 'data-flow-key': '6 203.0.113.7 55656 198.51.100.10 80', 'data-packets': '12', 'data-lifelines': 'client-1 node-a node-c web-c', 'data-drops': '0' });
    // SNAT: every request gets one note (DNAT+SNAT at node-a), every reply one (rev-NAT at node-a).
    expect(Number(d[0]!['data-notes'])).toBe(12);
    expect(h).toContain('data-rewrites="dnat snat" data-host="node-a"');
    expect(h).toContain('data-rewrites="rev-nat rev-nat" data-host="node-a"');
    // Changed fields are marked, in the colours of the rewrite that changed them.
    expect(h).toMatch(/<g class="arrow" data-role="request" data-from="node-a" data-to="node-c" data-changed="src dst dport">/);
    expect(h).toMatch(/class="hl" data-field="src"[^>]*fill="#c2410c"/);
  });

  it('marks drops with their reason and Hubble name, and ICMP errors as their own packets', async () => {
    const r = await report(capture('fragments.pcap'), SCENARIO, { mode: 'dsr' });
    const h = r.html;
    expect(h).toMatch(/<td class="drop mono">DROP_FRAG_NOT_FOUND<\/td><td class="num">175<\/td><td class="mono">FIRST_LOGICAL_DATAGRAM_FRAGMENT_NOT_FOUND<\/td><td>First logical datagram fragment not found<\/td>/);
    const d = diagrams(h);
    expect(d).toHaveLength(2);
    expect(d[0]).toMatchObject({ 'data-drops': '1', 'data-icmp': '2' });
    expect(h).toContain('<g class="end" data-fate="dropped" data-drop="DROP_FRAG_NOT_FOUND">');
    expect(h).toMatch(/<g class="packet" data-packet="0" data-role="icmp-error" data-fate="delivered">/);
    expect(h).toContain('frag needed mtu 1492');
  });

  it('caps the diagrams and the packets per diagram', async () => {
    const r = await report(capture('real-http-udp.pcap'), SCENARIO, { maxFlows: 1, packetsPerFlow: 2 });
    expect(r.diagrams).toBe(1);
    expect(diagrams(r.html)[0]!['data-packets']).toBe('2');
    expect(r.html).toContain('Diagrams for the first 1 of 4 flows');
    expect(r.html).toContain('2 of 33 packets drawn');
  });
});
