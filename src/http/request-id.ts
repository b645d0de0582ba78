const validIncomingId = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a well-formed incoming X-Request-Id (a proxy's trace id); otherwise mints `req_<unix seconds>_<random>`. */
export function requestIdFor(incoming: string | null): string {
  if (incoming !== null && validIncomingId.test(incoming)) return incoming;
  return `req_${Math.floor(Date.now() / 1000)}_${randomBase36(10)}`;
}

const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
// Random bytes are drawn 4 KiB at a time: one getRandomValues call per ~400 ids instead of one per
// request (each call also allocated a buffer).
const pool = new Uint8Array(4096);
let next = pool.length;

function randomBase36(length: number): string {
  let out = "";
  while (out.length < length) {
    if (next === pool.length) {
      crypto.getRandomValues(pool);
      next = 0;
    }
    const byte = pool[next++] as number;
    // 252 = 7 × 36: bytes above it are skipped so that every character is equally likely.
    if (byte < 252) out += alphabet[byte % 36];
  }
  return out;
}
