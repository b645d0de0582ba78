const validIncomingId = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a well-formed incoming X-Request-Id (a proxy's trace id); otherwise mints `req_<unix seconds>_<random>`. */
export function requestIdFor(incoming: string | null): string {
  if (incoming !== null && validIncomingId.test(incoming)) return incoming;
  const second = Math.floor(Date.now() / 1000);
  if (second !== prefixSecond) {
    prefixSecond = second;
    prefix = `req_${second}_`;
  }
  return prefix + randomBase36();
}

// The `req_<seconds>_` part changes once a second: made once, not per request.
let prefixSecond = -1;
let prefix = "";

const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
// Character codes for bytes 0–251 (252 = 7 × 36: bytes above it are skipped so that every
// character is equally likely).
const codes = Uint8Array.from({ length: 252 }, (_, i) => alphabet.charCodeAt(i % 36));
// Random bytes are drawn 4 KiB at a time: one getRandomValues call per ~400 ids instead of one per
// request (each call also allocated a buffer).
const pool = new Uint8Array(4096);
let next = pool.length;

function randomCode(): number {
  for (;;) {
    if (next === pool.length) {
      crypto.getRandomValues(pool);
      next = 0;
    }
    const byte = pool[next++] as number;
    if (byte < 252) return codes[byte] as number;
  }
}

/** Ten random base-36 characters, made as one string (not ten concatenations). */
function randomBase36(): string {
  return String.fromCharCode(
    randomCode(),
    randomCode(),
    randomCode(),
    randomCode(),
    randomCode(),
    randomCode(),
    randomCode(),
    randomCode(),
    randomCode(),
    randomCode(),
  );
}
