// Hex digits (as bytes) of a byte's high and low half.
const high = new Uint8Array(256);
const low = new Uint8Array(256);
for (let byte = 0; byte < 256; byte++) {
  high[byte] = "0123456789abcdef".charCodeAt(byte >> 4);
  low[byte] = "0123456789abcdef".charCodeAt(byte & 15);
}
const dash = 45;
// Random bytes, 10 an id (74 bits used), drawn 4,000 at a time (getRandomValues takes at most 64 KiB).
const pool = new Uint8Array(4000);
let next = pool.length;
let text = new Uint8Array(36 * 512);
// The last time's first 15 characters, `tttttttt-tttt-7`: most ids of a batch share their millisecond.
const timePart = new Uint8Array(15);
let lastTime = -1;

/**
 * UUIDv7s (RFC 9562), one per epoch-ms time, as `Bun.randomUUIDv7("hex", time)` makes them but
 * with every bit after the time, version and variant random (Bun keeps a counter in some), written
 * as bytes into one buffer and decoded once: Bun's cost ~125 ns an id; ids made of template
 * pieces are ropes that cost as much again when the driver flattens them.
 */
export function uuidsV7(times: ArrayLike<number>): string[] {
  const count = times.length;
  if (text.length < count * 36) text = new Uint8Array(count * 36);
  const out = text;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const time = times[i] as number;
    if (time !== lastTime) writeTimePart(time);
    for (let k = 0; k < 15; k++) out[at++] = timePart[k] as number;
    if (next === pool.length) {
      crypto.getRandomValues(pool);
      next = 0;
    }
    const r = next;
    next += 10;
    // 18 random hex digits from 9 bytes, the variant's digit (8, 9, a or b) from two bits of a 10th.
    let byte = pool[r] as number;
    out[at++] = high[byte] as number;
    out[at++] = low[byte] as number;
    byte = pool[r + 1] as number;
    out[at++] = high[byte] as number;
    out[at++] = dash;
    out[at++] = low[8 | ((pool[r + 9] as number) & 3)] as number;
    out[at++] = low[byte] as number;
    byte = pool[r + 2] as number;
    out[at++] = high[byte] as number;
    out[at++] = low[byte] as number;
    out[at++] = dash;
    for (let k = 3; k < 9; k++) {
      byte = pool[r + k] as number;
      out[at++] = high[byte] as number;
      out[at++] = low[byte] as number;
    }
  }
  const all = Buffer.from(out.buffer, out.byteOffset, at).toString("latin1");
  const ids: string[] = new Array(count);
  for (let i = 0; i < count; i++) ids[i] = all.slice(i * 36, i * 36 + 36);
  return ids;
}

function writeTimePart(time: number): void {
  lastTime = time;
  const hex = time.toString(16).padStart(12, "0");
  for (let k = 0; k < 12; k++) timePart[k < 8 ? k : k + 1] = hex.charCodeAt(k);
  timePart[8] = dash;
  timePart[13] = dash;
  timePart[14] = 55; // "7", the version
}
