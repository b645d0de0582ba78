import { expect, test } from "bun:test";
import { expectErrorEnvelope } from "../helpers/app";
import { bearer, login } from "../helpers/fixtures";
import { useSeededApp } from "../helpers/seeded-app";

// One-second access tokens: the verified-token cache must not outlive a token's `exp`.
const suite = useSeededApp("sqlite", ["Short Tokens"], { env: { ACCESS_TOKEN_TTL: "1" } });

test("refuses an access token the cache holds once its exp has passed, and says it expired", async () => {
  // exp is whole seconds (iat + 1): sign in just after a second starts so the token lives ~1 s.
  await Bun.sleep(1000 - (Date.now() % 1000) + 20);
  const { accessToken } = await login(suite.app, suite.org.user);
  const me = () => suite.app.handle(new Request("http://localhost/api/v1/me", { headers: bearer(accessToken) }));
  expect((await me()).status).toBe(200);
  // The second request within the lifetime is answered from the cache.
  expect((await me()).status).toBe(200);
  await Bun.sleep(2000);
  const response = await me();
  const body = await expectErrorEnvelope(response, 401, "Unauthorized");
  expect(body.message).toBe("The access token has expired");
  expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
});
