import { describe, expect, test } from "bun:test";
import { parseVariant } from "../../bench/variant";

describe("bench:compare variants", () => {
  test("a bare label runs this checkout with the bench's settings", () => {
    expect(parseVariant("head")).toEqual({ label: "head", tree: undefined, env: {} });
  });

  test("@ names another checkout, and settings follow a colon", () => {
    expect(parseVariant("before@/tmp/before:LOG_FORMAT=none,RATE_LIMIT_MAX=5")).toEqual({
      label: "before",
      tree: "/tmp/before",
      env: { LOG_FORMAT: "none", RATE_LIMIT_MAX: "5" },
    });
  });

  test("an empty value is kept, so the setting can be removed", () => {
    expect(parseVariant("memory:REDIS_URL=").env).toEqual({ REDIS_URL: "" });
  });

  test("a value may itself hold = and @", () => {
    expect(parseVariant("x:DATABASE_URL=postgres://u@h/db?a=b").env).toEqual({ DATABASE_URL: "postgres://u@h/db?a=b" });
  });

  test.each(["", "a b", "x@", "x:NOEQUALS", "x:=value"])("refuses %p", (raw) => {
    expect(() => parseVariant(raw)).toThrow();
  });
});
