const validIncomingId = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a well-formed incoming X-Request-Id (a proxy's trace id); otherwise mints `req_<unix seconds>_<random>`. */
export function requestIdFor(incoming: string | null): string {
  if (incoming !== null && validIncomingId.test(incoming)) return incoming;
  return `req_${Math.floor(Date.now() / 1000)}_${randomBase36(10)}`;
}

function randomBase36(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const byte of bytes) out += (byte % 36).toString(36);
  return out;
}
