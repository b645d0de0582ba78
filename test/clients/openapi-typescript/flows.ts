import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./generated/api";
import type { Credentials, FlowResults } from "./results";

/**
 * The seed's flows as a front end writes them with openapi-fetch, on types that openapi-typescript
 * generated from the served /docs/json. `tsc --strict` on this file is the type test: the `Same`
 * checks fail when a body or a response is typed `never`, `any` or wider than the API says, and
 * each `@ts-expect-error` fails when the types stop refusing a mistake.
 */

/** true only when A and B are the same type: `any`, `never` or a wider type is false. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only for `true`. */
type Check<T extends true> = T;

type ApiClient = Client<paths>;
type Ok<T> = NonNullable<T>;

export async function runSeedFlows(baseUrl: string, user: Credentials, unique: string): Promise<FlowResults> {
  const client = createClient<paths>({ baseUrl });

  // Sign in: the body is typed from the route's schema, the answer is the envelope with the pair.
  const login = await client.POST("/api/v1/auth/login", { body: { email: user.email, password: user.password } });
  if (!login.data) throw new Error(`login failed: ${login.response.status}`);
  type LoginData = Ok<typeof login.data>["data"];
  type _login = Check<Same<LoginData["accessToken"], string>> & Check<Same<LoginData["refreshToken"], string>>;
  const signedIn = login.data.data;
  type _user = Check<Same<typeof signedIn.user.role, "viewer" | "user" | "admin">>;
  const loginResult = {
    status: login.response.status,
    accessToken: signedIn.accessToken,
    refreshToken: signedIn.refreshToken,
  };

  // Rotate the refresh token.
  const refresh = await client.POST("/api/v1/auth/refresh", { body: { refreshToken: signedIn.refreshToken } });
  if (!refresh.data) throw new Error(`refresh failed: ${refresh.response.status}`);
  const tokens = refresh.data.data;
  const refreshResult = { status: refresh.response.status, ...tokens };

  // Every later call carries the access token.
  const accessToken = tokens.accessToken;
  client.use({
    onRequest({ request }) {
      request.headers.set("authorization", `Bearer ${accessToken}`);
      return request;
    },
  });

  const me = await client.GET("/api/v1/me");
  if (!me.data) throw new Error(`/me failed: ${me.response.status}`);
  const meUser = me.data.data.user;
  type _me = Check<Same<Ok<typeof meUser>["email"], string>>;

  // `limit` is an integer in the document, so a number is what the client passes.
  const list = await client.GET("/api/v1/prospects", { params: { query: { limit: 10, sort: "-createdAt" } } });
  if (!list.data) throw new Error(`list failed: ${list.response.status}`);
  type _list = Check<Same<typeof list.data.meta.limit, number>> &
    Check<Same<typeof list.data.meta.nextCursor, string | null>> &
    Check<Same<typeof list.data.meta.hasMore, boolean>>;

  const key = `clients-${unique}`;
  const prospect = {
    email: `${unique}@clients.example.com`,
    firstName: "Ada",
    lastName: "Openapi",
    company: `Typed ${unique} Ltd`,
    tags: ["clients"],
  };
  const create = () =>
    client.POST("/api/v1/prospects", { params: { header: { "Idempotency-Key": key } }, body: prospect });
  const created = await create();
  if (!created.data) throw new Error(`create failed: ${created.response.status}`);
  type Prospect = Ok<typeof created.data>["data"];
  type _prospect = Check<Same<Prospect["id"], string>> & Check<Same<Prospect["email"], string>>;
  const id = created.data.data.id;
  const replayed = await create();
  if (!replayed.data) throw new Error(`replay failed: ${replayed.response.status}`);

  const got = await client.GET("/api/v1/prospects/{id}", { params: { path: { id } } });
  if (!got.data) throw new Error(`get failed: ${got.response.status}`);

  const updated = await client.PATCH("/api/v1/prospects/{id}", {
    params: { path: { id } },
    body: { status: "qualified", score: 80 },
  });
  if (!updated.data) throw new Error(`update failed: ${updated.response.status}`);
  type _status = Check<Same<Ok<typeof updated.data>["data"]["status"], Prospect["status"]>>;

  // A missing prospect: the error is typed as the API's error envelope.
  const missing = await client.GET("/api/v1/prospects/{id}", { params: { path: { id: "00000000-no-such-prospect" } } });
  if (!missing.error) throw new Error(`expected 404, got ${missing.response.status}`);
  type NotFound = typeof missing.error;
  type _notFound = Check<Same<NotFound["success"], false>> &
    Check<Same<NotFound["error"], string>> &
    Check<Same<NotFound["statusCode"], number>> &
    Check<Same<NotFound["requestId"], string>>;

  // A body the schema refuses: the 422 envelope, with the fields in `errors`.
  const refused = await client.POST("/api/v1/prospects", { body: { ...prospect, email: "not an email" } });
  if (!refused.error) throw new Error(`expected 422, got ${refused.response.status}`);
  const fieldErrors = "errors" in refused.error ? refused.error.errors : undefined;

  const search = await client.GET("/api/v1/search", { params: { query: { q: unique, limit: 10 } } });
  if (!search.data) throw new Error(`search failed: ${search.response.status}`);

  return {
    login: loginResult,
    refresh: refreshResult,
    me: { status: me.response.status, email: meUser?.email, role: meUser?.role },
    list: {
      status: list.response.status,
      count: list.data.data.length,
      limit: list.data.meta.limit,
      hasMore: list.data.meta.hasMore,
    },
    create: { status: created.response.status, id, email: created.data.data.email },
    replay: {
      status: replayed.response.status,
      id: replayed.data.data.id,
      replayed: replayed.response.headers.get("idempotent-replayed"),
    },
    get: { status: got.response.status, id: got.data.data.id, company: got.data.data.company },
    update: { status: updated.response.status, status_: updated.data.data.status, score: updated.data.data.score },
    notFound: {
      status: missing.response.status,
      error: missing.error.error,
      statusCode: missing.error.statusCode,
      path: missing.error.path,
      requestId: missing.error.requestId,
    },
    invalid: { status: refused.response.status, error: refused.error.error, fields: Object.keys(fieldErrors ?? {}) },
    search: { status: search.response.status, ids: search.data.data.map((hit) => hit.id) },
  };
}

/** Never called: each line is a mistake the generated types must refuse at compile time. */
export function mistakesTheTypesRefuse(client: ApiClient) {
  // @ts-expect-error limit is an integer, not a string
  void client.GET("/api/v1/prospects", { params: { query: { limit: "10" } } });
  // @ts-expect-error a status the API does not have
  void client.GET("/api/v1/prospects", { params: { query: { status: "archived" } } });
  // @ts-expect-error login needs a password
  void client.POST("/api/v1/auth/login", { body: { email: "a@example.com" } });
  // @ts-expect-error a prospect needs an email
  void client.POST("/api/v1/prospects", { body: { company: "Acme" } });
  // @ts-expect-error a path the API does not have
  void client.GET("/api/v1/prospect");
  // @ts-expect-error search needs q
  void client.GET("/api/v1/search", { params: { query: {} } });
}
