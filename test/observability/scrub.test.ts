import { describe, expect, test } from "bun:test";
import type { ErrorEvent } from "@sentry/bun";
import { scrubEvent } from "../../src/observability/scrub";

const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJlLWJ5dGVz";
const apiKey = "sk_live_AbCdEf0123456789_secret";

/** beforeSend: whatever reaches it, credentials do not leave. */
describe("Sentry beforeSend scrubbing", () => {
  test("drops the body of an auth route entirely", () => {
    const event = scrubEvent({
      type: undefined,
      request: { url: "http://localhost/api/v1/auth/login", data: { email: "a@b.example", password: "pw-123456" } },
    } as ErrorEvent);
    expect(event.request).toEqual({ url: "http://localhost/api/v1/auth/login" });
  });

  test("filters credential fields of other bodies, at any depth, and keeps the rest", () => {
    const event = scrubEvent({
      type: undefined,
      request: {
        url: "http://localhost/api/v1/users",
        data: { name: "Ann", password: "pw", nested: { refreshToken: "r", apiKey: "k", notes: [{ secret: "s" }] } },
      },
    } as ErrorEvent);
    expect(event.request?.data).toEqual({
      name: "Ann",
      password: "[Filtered]",
      nested: { refreshToken: "[Filtered]", apiKey: "[Filtered]", notes: [{ secret: "[Filtered]" }] },
    });
  });

  test("filters Authorization, Cookie and API-key headers, cookies and sensitive query parameters", () => {
    const event = scrubEvent({
      type: undefined,
      request: {
        url: "http://user:pass@localhost/api/v1/prospects?q=acme&access_token=abc",
        headers: { authorization: `Bearer ${jwt}`, cookie: "sid=1", "x-api-key": apiKey, accept: "application/json" },
        cookies: { sid: "1" },
        query_string: "q=acme&access_token=abc",
      },
    } as ErrorEvent);
    expect(event.request).toEqual({
      url: "http://localhost/api/v1/prospects?q=acme&access_token=%5BFiltered%5D",
      headers: {
        authorization: "[Filtered]",
        cookie: "[Filtered]",
        "x-api-key": "[Filtered]",
        accept: "application/json",
      },
      query_string: "[Filtered]",
    });
  });

  test("keeps only the user's id: no email, no IP address", () => {
    const event = scrubEvent({
      type: undefined,
      user: { id: "u-1", email: "a@b.example", ip_address: "203.0.113.9", username: "ann" },
    } as ErrorEvent);
    expect(event.user).toEqual({ id: "u-1" });
  });

  test("redacts tokens and API keys quoted in messages, exceptions, extra data and breadcrumbs", () => {
    const event = scrubEvent({
      type: undefined,
      message: `failed with Bearer ${jwt}`,
      exception: { values: [{ type: "Error", value: `key ${apiKey} rejected; jwt ${jwt}` }] },
      extra: { header: `ApiKey ${apiKey}`, token: "t", count: 3 },
      breadcrumbs: [{ message: `sent ${apiKey}`, data: { password: "p" } }],
    } as ErrorEvent);
    expect(event.message).toBe("failed with [Filtered]");
    expect(event.exception?.values?.[0]?.value).toBe("key [Filtered] rejected; jwt [Filtered]");
    expect(event.extra).toEqual({ header: "[Filtered]", token: "[Filtered]", count: 3 });
    expect(event.breadcrumbs).toEqual([{ message: "sent [Filtered]", data: { password: "[Filtered]" } }]);
  });
});
