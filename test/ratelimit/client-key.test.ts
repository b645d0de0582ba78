import { describe, expect, test } from "bun:test";
import { addressBucket, rateLimitKey } from "../../src/ratelimit/client-key";

describe("rate-limit key", () => {
  test("counts a signed-in caller as its principal, whatever its address", () => {
    const principal = { id: "user:42" } as Parameters<typeof rateLimitKey>[0]["principal"];
    expect(rateLimitKey({ ip: "203.0.113.9", principal })).toBe("user:42");
  });

  test("counts an anonymous caller by its address", () => {
    expect(rateLimitKey({ ip: "203.0.113.9" })).toBe("ip:203.0.113.9");
  });

  test.each([
    ["2001:db8:1:2::1", "2001:db8:1:2::ffff:ffff:ffff:fffe"],
    ["2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:0db8:0001:0002:0000:0000:0000:0001"],
    ["fe80::1", "fe80::2"],
  ])("puts two IPv6 addresses of one /64 (%s, %s) in one bucket", (a, b) => {
    expect(rateLimitKey({ ip: a })).toBe(rateLimitKey({ ip: b }));
  });

  test("keeps different /64s apart", () => {
    expect(addressBucket("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
  });

  test("keeps IPv4 addresses apart, even neighbours", () => {
    expect(addressBucket("198.51.100.1")).toBe("198.51.100.1");
    expect(addressBucket("198.51.100.2")).toBe("198.51.100.2");
  });

  test("treats an IPv4-mapped IPv6 address as the IPv4 client it is", () => {
    expect(addressBucket("::ffff:c633:6401")).toBe("198.51.100.1");
  });

  test("leaves something that is not an address as it is", () => {
    expect(addressBucket("unknown")).toBe("unknown");
  });
});
