let second = -1;
let prefix = "";

/**
 * `new Date().toISOString()` for now, with the date part formatted once per second: the usage
 * recorder stamps every request, and only the milliseconds change between most of them.
 */
export function isoNow(now = Date.now()): string {
  const s = Math.floor(now / 1000);
  if (s !== second) {
    second = s;
    prefix = new Date(s * 1000).toISOString().slice(0, 20);
  }
  const ms = now - s * 1000;
  return `${prefix}${ms < 10 ? "00" : ms < 100 ? "0" : ""}${ms}Z`;
}
