/**
 * addr.ts: IPv4/IPv6/MAC text <-> bytes. Parsing of whole packets lives in the C codec
 * (native/src/codec.c); this is only what the TypeScript side needs to name hosts.
 */

/** Parses dotted-quad IPv4 text into 4 bytes; throws on anything else. */
export function ipv4Bytes(text: string): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
  const out = new Uint8Array(4);
  parts.forEach((p, i) => {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) throw new Error(`not an IPv4 address: ${text}`);
    out[i] = Number(p);
  });
  return out;
}

/** Parses IPv6 text (with `::`, and an embedded dotted IPv4 tail) into 16 bytes. */
export function ipv6Bytes(text: string): Uint8Array {
  const bad = () => new Error(`not an IPv6 address: ${text}`);
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  const words: number[] = [];
  let tail: number[] = [];
  const halves = s.split('::');
  if (halves.length > 2) throw bad();
  const parseGroups = (part: string): number[] => {
    if (part === '') return [];
    const groups = part.split(':');
    const res: number[] = [];
    groups.forEach((g, i) => {
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = ipv4Bytes(g);
        res.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
        res.push(parseInt(g, 16));
      }
    });
    return res;
  };
  words.push(...parseGroups(halves[0]!));
  if (halves.length === 2) {
    tail = parseGroups(halves[1]!);
    const fill = 8 - words.length - tail.length;
    if (fill < 1) throw bad();
    for (let i = 0; i < fill; i++) words.push(0);
    words.push(...tail);
  }
  if (words.length !== 8) throw bad();
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

export function isIPv6Text(text: string): boolean {
  return text.includes(':');
}

/** 4 or 16 bytes, by the text's family. */
export function ipBytes(text: string): Uint8Array {
  return isIPv6Text(text) ? ipv6Bytes(text) : ipv4Bytes(text);
}

export function ipv4Text(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 canonical text: lower case, longest run of two or more zero words as `::`. */
export function ipv6Text(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(w);
  return hex(w.slice(0, bestStart)) + '::' + hex(w.slice(bestStart + bestLen));
}

export function ipText(b: Uint8Array): string {
  return b.length === 4 ? ipv4Text(b) : ipv6Text(b);
}

export function macBytes(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`not a MAC address: ${text}`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function macText(b: Uint8Array): string {
  return Array.from(b.subarray(0, 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}
