import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { type ServedApp, serveSeededApp } from "../helpers/served-app";
import { type SwaggerWalkthrough, walkThroughSwagger } from "./browser";

const chromiumPath = "/usr/bin/chromium";
const available = existsSync(chromiumPath);

describe.skipIf(!available && !process.env.CI)("signing in and calling /me from Swagger UI, by clicking", () => {
  let served: ServedApp;
  let walk: SwaggerWalkthrough;
  let loginExample: unknown;

  beforeAll(async () => {
    if (!available) throw new Error(`${chromiumPath} is missing; CI installs it (apt-get install chromium)`);
    served = await serveSeededApp();
    const doc = (await (await fetch(`${served.base}/docs/json`)).json()) as {
      paths: Record<string, { post?: { requestBody?: { content?: Record<string, { example?: unknown }> } } }>;
    };
    loginExample = doc.paths["/api/v1/auth/login"]?.post?.requestBody?.content?.["application/json"]?.example;
    walk = await walkThroughSwagger(served.base, served.org.user, chromiumPath);
  }, 90_000);
  afterAll(() => served?.close());

  test("'Try it out' on POST /auth/login opens an editor holding the document's example", () => {
    expect(loginExample).toMatchObject({ email: expect.any(String), password: expect.any(String) });
    expect(JSON.parse(walk.loginEditor)).toEqual(loginExample);
  });

  test("Execute signs in and the page shows the 200 with both tokens", () => {
    expect(walk.loginWireStatus).toBe(200);
    expect(walk.loginShown.status).toBe("200");
    const shown = JSON.parse(walk.loginShown.body);
    expect(shown.success).toBe(true);
    expect(shown.data.accessToken).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(shown.data.refreshToken).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  test("after Authorize with the access token, GET /me sends it and the page shows the 200 with the user", () => {
    const token = JSON.parse(walk.loginShown.body).data.accessToken;
    expect(walk.meAuthorization).toBe(`Bearer ${token}`);
    expect(walk.meWireStatus).toBe(200);
    expect(walk.meShown.status).toBe("200");
    const shown = JSON.parse(walk.meShown.body);
    expect(shown.data.user).toEqual({
      id: served.org.user.id,
      email: served.org.user.email,
      organizationId: served.org.id,
      role: "user",
    });
  });

  test("the page logs no console error, breaks no CSP rule and calls nothing but this server", () => {
    expect(walk.consoleErrors).toEqual([]);
    expect(walk.cspViolations).toEqual([]);
    expect(walk.pageErrors).toEqual([]);
    expect(walk.foreignRequests).toEqual([]);
  });
});
