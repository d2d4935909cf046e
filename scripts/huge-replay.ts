/**
 * huge-replay.ts: replays a capture of several GiB in bounded memory (issue #7, part 4).
 *
 *   npx tsx scripts/huge-replay.ts [GiB=4] [--scenario S] [--flows hops|none] [--dir D] [--keep]
 *
 * Streams a generated pcap of GiB gibibytes to disk in 8 MiB chunks (never held in memory): many
 * flows from 250 clients, TCP handshakes, data segments up to full size both ways, FINs, UDP
 * request/response; runs `dsrlab replay --out` on it in a child process with the progress line
 * forced on (DSRLAB_PROGRESS=1) and relayed; reports elapsed time, packets/s, peak RSS (the
 * child's getrusage maxRSS, plus VmRSS sampled from /proc while it runs) and the output sizes;
 * checks that every output pcap reads to its end (`dsrlab pcap info`) and that summary.json
 * accounts for every generated packet. Deletes everything afterwards unless --keep.
 * `--flows none` is the default from 1 GiB up: flows.jsonl holds ~12 lines per packet (several
 * times the capture); the small-scale test (test/hostile/huge-replay.test.ts) keeps it on.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPacket } from '../src/packet/build.js';
import { pcapFileHeader } from '../src/capture/pcap-writer.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const VIP = { ip: '198.51.100.10', mac: '02:00:c0:a8:0a:0b' };

/** A deterministic PRNG (mulberry32): the same size gives the same capture. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes a pcap of at least `bytes` bytes to `path` in chunks; returns its packet count.
 * Flows: 80% TCP (handshake with options, 1..12 data segments each way up to 1460 bytes, FIN
 * exchange), 20% UDP (1..4 request/response pairs up to 1472 bytes), from 203.0.113.1..250.
 */
export function writeHugeCapture(path: string, bytes: number, seed = 1): { packets: number; flows: number; bytes: number } {
  const fd = openSync(path, 'w');
  const CHUNK = 8 << 20;
  const buf = Buffer.alloc(CHUNK + 70_000);
  let used = 0;
  let total = 0;
  let packets = 0;
  let flows = 0;
  const flush = () => {
    let off = 0;
    while (off < used) off += writeSync(fd, buf, off, used - off);
    total += used;
    used = 0;
  };
  const hdr = pcapFileHeader();
  buf.set(hdr, 0);
  used = hdr.length;
  const rnd = prng(seed);
  let usec = 0;
  const put = (frame: Uint8Array) => {
    usec += 50 + Math.floor(rnd() * 200);
    const sec = 1_700_000_000 + Math.floor(usec / 1e6);
    buf.writeUInt32LE(sec, used);
    buf.writeUInt32LE(usec % 1e6, used + 4);
    buf.writeUInt32LE(frame.length, used + 8);
    buf.writeUInt32LE(frame.length, used + 12);
    buf.set(frame, used + 16);
    used += 16 + frame.length;
    packets++;
    if (used >= CHUNK) flush();
  };
  const ports = new Map<number, number>();
  try {
    while (total + used < bytes) {
      const c = 1 + Math.floor(rnd() * 250);
      const client = { ip: `203.0.113.${c}`, mac: `02:00:cb:00:71:${c.toString(16).padStart(2, '0')}` };
      const sport = (ports.get(c) ?? 1024 + c * 7) + 1;
      ports.set(c, sport >= 65535 ? 1024 : sport);
      const to = { src: client.mac, dst: VIP.mac };
      const back = { src: VIP.mac, dst: client.mac };
      const up = { src: client.ip, dst: VIP.ip };
      const down = { src: VIP.ip, dst: client.ip };
      flows++;
      if (rnd() < 0.8) {
        let cs = Math.floor(rnd() * 2 ** 31);
        let ss = Math.floor(rnd() * 2 ** 31);
        const c2s = (flags: string, payload = 0) => {
          put(buildPacket({ eth: to, ipv4: up, tcp: { sport, dport: 80, flags, seq: cs, ack: flags === 'S' ? 0 : ss, ...(flags === 'S' ? { options: [{ kind: 'mss', value: 1460 }, { kind: 'sackOk' }, { kind: 'nop' }, { kind: 'ws', shift: 7 }] } : {}) }, payload }));
          cs = (cs + payload + (flags.includes('S') || flags.includes('F') ? 1 : 0)) >>> 0;
        };
        const s2c = (flags: string, payload = 0) => {
          put(buildPacket({ eth: back, ipv4: down, tcp: { sport: 80, dport: sport, flags, seq: ss, ack: cs, ...(flags === 'SA' ? { options: [{ kind: 'mss', value: 1460 }, { kind: 'sackOk' }, { kind: 'nop' }, { kind: 'ws', shift: 7 }] } : {}) }, payload }));
          ss = (ss + payload + (flags.includes('S') || flags.includes('F') ? 1 : 0)) >>> 0;
        };
        c2s('S');
        s2c('SA');
        c2s('A');
        const n = 1 + Math.floor(rnd() * 12);
        for (let i = 0; i < n; i++) {
          c2s('PA', rnd() < 0.3 ? 1460 : Math.floor(rnd() * 1460) + 1);
          s2c('PA', rnd() < 0.5 ? 1460 : Math.floor(rnd() * 1460) + 1);
        }
        c2s('FA');
        s2c('FA');
        c2s('A');
      } else {
        const n = 1 + Math.floor(rnd() * 4);
        for (let i = 0; i < n; i++) {
          put(buildPacket({ eth: to, ipv4: { ...up, df: false }, udp: { sport, dport: 53 }, payload: rnd() < 0.3 ? 1472 : 20 + Math.floor(rnd() * 400) }));
          put(buildPacket({ eth: back, ipv4: { ...down, df: false }, udp: { sport: 53, dport: sport }, payload: rnd() < 0.3 ? 1472 : 20 + Math.floor(rnd() * 1400) }));
        }
      }
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return { packets, flows, bytes: total };
}

export interface HugeReplayResult {
  status: number | null;
  elapsedSec: number;
  /** Peak resident set of the replay child (getrusage maxRSS), bytes. */
  peakRss: number;
  /** VmRSS samples taken while it ran, bytes, with the fraction of the capture read then. */
  rssSamples: { frac: number; rss: number }[];
  progressUpdates: number;
  stderr: string;
  summary?: { packets: Record<string, number>; outputs?: { pcaps: string[]; flowRecords: number } };
}

/** Runs `dsrlab replay CAPTURE --scenario S --out OUT` in a child and measures it. */
export function replayChild(capture: string, scenario: string, out: string, flows: 'hops' | 'none', relay = false): Promise<HugeReplayResult> {
  const work = mkdtempSync(join(tmpdir(), 'dsrlab-rss-'));
  const preload = join(work, 'maxrss.cjs');
  const rssFile = join(work, 'maxrss');
  // Runs inside the child: at exit, its own peak RSS (getrusage; kilobytes on Linux).
  writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS * 1024)));\n`);
  const fileSize = statSync(capture).size;
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', preload, join(ROOT, 'bin', 'dsrlab.js'), 'replay', capture, '--scenario', scenario, '--out', out, '--flows', flows, '--json'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', DSRLAB_PROGRESS: '1' },
    });
    let stdout = '';
    let stderr = '';
    let progressUpdates = 0;
    let lastFrac = 0;
    const rssSamples: { frac: number; rss: number }[] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      for (const m of d.matchAll(/(\d+)%\s+([\d,]+) packets/g)) {
        progressUpdates++;
        lastFrac = Number(m[1]) / 100;
      }
      if (relay) process.stderr.write(d);
      stderr += d.replace(/\r[^\r\n]*/g, '');
    });
    const timer = setInterval(() => {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) rssSamples.push({ frac: lastFrac, rss: Number(m[1]) * 1024 });
      } catch {
        /* gone */
      }
    }, 500);
    child.on('error', reject);
    child.on('close', (status) => {
      clearInterval(timer);
      const elapsedSec = Number(process.hrtime.bigint() - start) / 1e9;
      const peakRss = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) : NaN;
      rmSync(work, { recursive: true, force: true });
      let summary: HugeReplayResult['summary'];
      try {
        summary = JSON.parse(stdout) as HugeReplayResult['summary'];
      } catch {
        /* left undefined: status says why */
      }
      void fileSize;
      resolve({ status, elapsedSec, peakRss, rssSamples, progressUpdates, stderr, ...(summary ? { summary } : {}) });
    });
  });
}

/** Packet count of a pcap by `dsrlab pcap info` (which reads it to its end), or an error. */
export function pcapPackets(file: string): number | Error {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'dsrlab.js'), 'pcap', 'info', file], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 24 });
  const m = /^packets\s+([\d,]+)/m.exec(r.stdout);
  if (r.status !== 0 || !m) return new Error(`pcap info ${file}: exit ${r.status}: ${r.stderr.trim()}`);
  return Number(m[1]!.replaceAll(',', ''));
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const keep = args.includes('--keep');
  const scenario = flag('--scenario') ?? join(ROOT, 'fixtures', 'scenarios', 'snat.yaml');
  const dirArg = flag('--dir');
  const gib = Number(args.find((a) => !a.startsWith('--')) ?? 4);
  const flows = (flag('--flows') as 'hops' | 'none' | undefined) ?? (gib >= 1 ? 'none' : 'hops');
  const dir = dirArg ?? mkdtempSync(join(tmpdir(), 'dsrlab-huge-'));
  mkdirSync(dir, { recursive: true });
  const capture = join(dir, 'huge.pcap');
  const out = join(dir, 'out');
  try {
    let t = Date.now();
    const gen = writeHugeCapture(capture, Math.round(gib * 2 ** 30));
    console.log(`generated ${capture}: ${mib(gen.bytes)}, ${gen.packets.toLocaleString('en-US')} packets, ${gen.flows.toLocaleString('en-US')} flows in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
    const r = await replayChild(capture, scenario, out, flows, !!process.stderr.isTTY);
    if (r.status !== 0 || !r.summary) throw new Error(`replay exited ${r.status}: ${r.stderr}`);
    const s = r.summary;
    console.log(`replayed (--flows ${flows}) in ${r.elapsedSec.toFixed(1)} s: ${s.packets.in!.toLocaleString('en-US')} packets, ${Math.round(s.packets.in! / r.elapsedSec).toLocaleString('en-US')} packets/s, ${(gen.bytes / 2 ** 20 / r.elapsedSec).toFixed(1)} MiB/s`);
    console.log(`peak RSS ${mib(r.peakRss)}; VmRSS while running: ${r.rssSamples.filter((_, i, a) => i % Math.max(1, Math.floor(a.length / 8)) === 0).map((x) => `${Math.round(x.frac * 100)}% ${mib(x.rss)}`).join(', ')}`);
    console.log(`progress line: ${r.progressUpdates} updates`);
    let outBytes = 0;
    const problems: string[] = [];
    if (s.packets.in !== gen.packets) problems.push(`summary has ${s.packets.in} packets in, the capture ${gen.packets}`);
    const sum = ['delivered', 'toStack', 'dropped', 'answered', 'unaccounted'].reduce((a, k) => a + (s.packets[k] ?? 0), 0);
    if (sum !== s.packets.in) problems.push(`fates add up to ${sum}, not ${s.packets.in}`);
    for (const f of readdirSync(join(out, 'points')).sort()) {
      const p = join(out, 'points', f);
      const size = statSync(p).size;
      outBytes += size;
      const n = pcapPackets(p);
      if (n instanceof Error) problems.push(n.message);
      console.log(`  points/${f}: ${mib(size)}, ${n instanceof Error ? 'UNREADABLE' : `${n.toLocaleString('en-US')} packets`}`);
    }
    for (const f of ['summary.json', 'flows.jsonl']) if (existsSync(join(out, f))) outBytes += statSync(join(out, f)).size;
    console.log(`outputs: ${mib(outBytes)} in ${out}`);
    if (problems.length) throw new Error(`outputs incomplete:\n  ${problems.join('\n  ')}`);
    console.log('outputs complete: every pcap reads to its end, every packet accounted for');
  } finally {
    if (!keep) rmSync(dirArg ? capture : dir, { recursive: true, force: true });
    if (!keep && dirArg) rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
