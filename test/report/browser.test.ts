// The HTML report in a real browser: Debian's Chromium driven by playwright-core, headless. The
// page renders without console errors, requests nothing but its own file, shows one sequence
// diagram per flow (closed ones open with a click, no script needed), and a screenshot can be
// taken. Skipped, saying so, where /usr/bin/chromium is not installed (apt-get install chromium;
// DSRLAB_CHROMIUM names another binary).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { report } from '../../src/report/report.js';
import { capture, FIXTURES, tempDir } from '../helpers.js';

const CHROMIUM = process.env.DSRLAB_CHROMIUM ?? '/usr/bin/chromium';
const HAVE = existsSync(CHROMIUM);
const SCENARIO = join(FIXTURES, 'scenarios', 'real-capture.yaml');
// Chromium on a machine with a closed network: no background fetches, no sandbox (root in CI).
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const title = HAVE ? 'the HTML report in headless Chromium' : `the HTML report in headless Chromium (skipped: ${CHROMIUM} is missing; apt-get install chromium)`;

if (!HAVE) console.warn(`test/report/browser.test.ts: skipped: ${CHROMIUM} is missing (apt-get install chromium, or set DSRLAB_CHROMIUM)`);

describe.skipIf(!HAVE)(title, () => {
  const tmp = tempDir('dsrlab-report-browser-');
  let browser: Browser;
  let dsrFile: string;
  let fragFile: string;

  beforeAll(async () => {
    dsrFile = join(tmp.dir, 'dsr.html');
    fragFile = join(tmp.dir, 'fragments.html');
    await report(capture('real-http-udp.pcap'), SCENARIO, { mode: 'dsr', html: dsrFile });
    await report(capture('fragments.pcap'), SCENARIO, { mode: 'dsr', html: fragFile });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    tmp.cleanup();
  });

  async function open(file: string) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });
    return { page, errors, requests, url };
  }

  it('renders every flow diagram with no console error and no request but the file itself', async () => {
    const { page, errors, requests, url } = await open(dsrFile);
    try {
      expect(await page.title()).toBe(`dsrlab report: ${capture('real-http-udp.pcap')}`);
      const flows = await page.locator('svg.seq').evaluateAll((els) => els.map((e) => ({ flow: e.getAttribute('data-flow'), packets: Number(e.getAttribute('data-packets')), arrows: e.querySelectorAll('g.arrow').length })));
      expect(flows.map((f) => f.flow)).toEqual(['1', '2', '3', '4']);
      for (const f of flows) expect(f.arrows).toBeGreaterThan(f.packets);
      // The first three are open and laid out; lifeline boxes and labels have real sizes.
      for (let i = 0; i < 3; i++) {
        const box = await page.locator('svg.seq').nth(i).boundingBox();
        expect(box!.width).toBeGreaterThan(500);
        expect(box!.height).toBeGreaterThan(200);
      }
      expect(await page.locator('svg.seq').nth(3).isVisible()).toBe(false);
      expect(await page.locator('svg.bars g.bar').count()).toBe(8);
      expect(await page.locator('svg.legend').isVisible()).toBe(true);
      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
    } finally {
      await page.close();
    }
  });

  it('opens a closed diagram with a click (native <details>, no script)', async () => {
    const { page, errors } = await open(dsrFile);
    try {
      await page.locator('#flow-4 > summary').click();
      expect(await page.locator('#flow-4 svg.seq').isVisible()).toBe(true);
      expect(await page.locator('#flow-4 svg.seq g.arrow').count()).toBeGreaterThan(0);
      // Hovering an arrow shows its <title>: lengths and TTL.
      const tip = await page.locator('#flow-4 svg.seq g.arrow title').first().textContent();
      expect(tip).toMatch(/request #75: client-1 → node-a\n.*\n\d+ bytes, hop limit 64/);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('draws drops, ICMP errors and highlighted fields where they belong', async () => {
    const { page, errors, requests, url } = await open(fragFile);
    try {
      const drop = page.locator('svg.seq g.end[data-fate="dropped"]').first();
      expect(await drop.isVisible()).toBe(true);
      expect(await drop.textContent()).toContain('DROP_FRAG_NOT_FOUND (175)');
      expect(await page.locator('svg.seq g.packet[data-role="icmp-error"]').count()).toBe(2);
      // A highlight sits behind the DNATed address, as wide as the text it marks.
      // (The test compiles without the DOM library: SVG elements are typed by what is used.)
      type Boxed = { getBBox(): { width: number }; getAttribute(n: string): string | null; parentElement: { querySelector(s: string): unknown } | null };
      const widths = await page.locator('svg.seq').first().evaluate((svg) => {
        const hl = svg.querySelector('rect.hl[data-field="dst"]') as unknown as Boxed;
        const text = hl.parentElement!.querySelector('text') as Boxed;
        return { hl: hl.getBBox().width, text: text.getBBox().width, textLength: Number(text.getAttribute('textLength')) };
      });
      expect(widths.hl).toBeGreaterThan(20);
      expect(Math.abs(widths.text - widths.textLength)).toBeLessThan(2);
      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
    } finally {
      await page.close();
    }
  });

  it('takes a screenshot', async () => {
    const { page } = await open(dsrFile);
    try {
      const shot = join(tmp.dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(50_000);
    } finally {
      await page.close();
    }
  });
});
