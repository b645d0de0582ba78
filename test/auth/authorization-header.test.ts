import { expect, test } from "bun:test";
import { bodyOf, jsonRequest, login } from "../helpers/fixtures";
import { useSeededApp } from "../helpers/seeded-app";

// A credential seen before is answered from the cache without the parser that words refusals
// (src/modules/auth/authenticator.ts `cached`): the answer must not depend on which path ran.
const suite = useSeededApp("sqlite", ["Header Spellings"]);

const me = (authorization: string) =>
  suite.app.handle(new Request("http://localhost/api/v1/me", { headers: { authorization } }));

async function statusesOf(authorizations: string[]): Promise<number[]> {
  const statuses: number[] = [];
  for (const authorization of authorizations) statuses.push((await me(authorization)).status);
  return statuses;
}

test("a repeat access token is answered the same for every way of writing its header", async () => {
  const { accessToken } = await login(suite.app, suite.org.user);
  const spellings = [
    `Bearer ${accessToken}`,
    `bearer ${accessToken}`,
    `BEARER ${accessToken}`,
    `Bearer  ${accessToken}`,
  ];
  // Twice each: the first request of a spelling may verify the token, the second is cached.
  expect(await statusesOf([...spellings, ...spellings])).toEqual(Array(8).fill(200));
  const body = await bodyOf(await me(`bearer ${accessToken}`));
  expect(body.data.user.email).toBe(suite.org.user.email);
});

test("an access token under the ApiKey scheme is refused before and after the token is cached", async () => {
  const { accessToken } = await login(suite.app, suite.org.user);
  expect((await me(`Bearer ${accessToken}`)).status).toBe(200);
  const refused = await me(`ApiKey ${accessToken}`);
  expect(refused.status).toBe(401);
  expect((await bodyOf(refused)).message).toBe("Invalid API key");
  expect((await me(`apikey ${accessToken}`)).status).toBe(401);
});

test("a repeat API key is answered the same under either scheme and any case", async () => {
  const { accessToken } = await login(suite.app, suite.org.admin);
  const created = await suite.app.handle(
    jsonRequest(
      "POST",
      "/api/v1/api-keys",
      { name: "spellings", role: "viewer" },
      { authorization: `Bearer ${accessToken}` },
    ),
  );
  expect(created.status).toBe(201);
  const key = (await bodyOf(created)).data.key as string;
  const spellings = [`ApiKey ${key}`, `apikey ${key}`, `Bearer ${key}`, `APIKEY  ${key}`];
  expect(await statusesOf([...spellings, ...spellings])).toEqual(Array(8).fill(200));
  const body = await bodyOf(await me(`ApiKey ${key}`));
  expect(body.data.user).toBeNull();
  expect(body.data.apiKey).toMatchObject({ name: "spellings", role: "viewer" });
});

test("a cached principal below a route's role is refused with 403, not served", async () => {
  const { accessToken } = await login(suite.app, suite.org.viewer);
  expect((await me(`Bearer ${accessToken}`)).status).toBe(200);
  const listKeys = () =>
    suite.app.handle(
      new Request("http://localhost/api/v1/api-keys", { headers: { authorization: `Bearer ${accessToken}` } }),
    );
  expect((await listKeys()).status).toBe(403);
  expect((await listKeys()).status).toBe(403);
});
