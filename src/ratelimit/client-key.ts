import { toBytes } from "../http/client-ip";
import type { RequestState } from "../http/request-state";

/**
 * Whom a request is counted against: its principal (`user:<id>` or `key:<id>`) once auth has
 * resolved one, otherwise its client address (`ip:<address>`).
 */
export function rateLimitKey(state: Pick<RequestState, "ip" | "principal">): string {
  return state.principal?.id ?? `ip:${addressBucket(state.ip)}`;
}

/**
 * An IPv4 address as it is; an IPv6 address as its /64, because one subscriber usually holds a
 * whole /64 and could otherwise rotate through 2^64 addresses to reset its limits.
 */
export function addressBucket(ip: string): string {
  const bytes = toBytes(ip);
  if (!bytes || bytes.length === 4) return ip;
  if (isV4Mapped(bytes)) return bytes.slice(12).join(".");
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return `${groups.join(":")}::/64`;
}

/** ::ffff:a.b.c.d written in hex (::ffff:7f00:1) is still an IPv4 client. */
function isV4Mapped(bytes: number[]): boolean {
  return bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}
