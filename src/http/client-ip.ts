import type { Config } from "../config";

/**
 * The client's address: the socket's, unless TRUST_PROXY says which proxies may speak for it
 * through X-Forwarded-For. Without it a client cannot choose its own rate-limit key.
 */
export function clientIp(
  socketIp: string | undefined | (() => string | undefined),
  forwardedFor: string | null,
  trustProxy: Config["trustProxy"],
): string {
  // A function when reading the socket's address costs something (Bun: a getpeername(2) per call):
  // behind N trusted proxies that sent X-Forwarded-For, the address is never needed.
  const socketAddress = () => normalize((typeof socketIp === "function" ? socketIp() : socketIp) ?? "127.0.0.1");
  if (!forwardedFor || trustProxy === 0) return socketAddress();
  const hops = forwardedFor
    .split(",")
    .map((h) => normalize(h.trim()))
    .filter(Boolean);
  if (typeof trustProxy === "number") {
    // With N trusted hops, the client is the Nth address from the right.
    return hops[hops.length - trustProxy] ?? hops[0] ?? socketAddress();
  }
  const socket = socketAddress();
  if (!trustProxy.some((cidr) => inCidr(socket, cidr))) return socket;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trustProxy.some((cidr) => inCidr(hop, cidr))) return hop;
  }
  return hops[0] ?? socket;
}

function normalize(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

export function inCidr(ip: string, cidr: string): boolean {
  const [range = "", bitsText] = cidr.split("/");
  const a = toBytes(ip);
  const b = toBytes(range);
  if (!a || !b || a.length !== b.length) return false;
  let bits = bitsText === undefined ? a.length * 8 : Number(bitsText);
  for (let i = 0; i < a.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a[i] as number) & mask) !== ((b[i] as number) & mask)) return false;
  }
  return true;
}

/** IPv4 → 4 bytes, IPv6 → 16 bytes, anything else → undefined. */
export function toBytes(ip: string): number[] | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return ip.split(".").map(Number);
  if (!ip.includes(":")) return undefined;
  const [head = "", tail] = ip.split("::");
  const parse = (s: string) => (s ? s.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const groups = [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g) || g < 0 || g > 0xffff)) return undefined;
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}
