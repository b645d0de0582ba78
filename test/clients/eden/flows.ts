import { treaty } from "@elysiajs/eden";
import type { App } from "../../../src/app";
import type { ErrorEnvelope } from "../../../src/http/envelope";

/**
 * The seed's flows through Eden Treaty, typed from `type App` alone (no document, no generation).
 * The root `tsc --strict` (npm run typecheck) compiles this file: the `Same` checks fail when an
 * error is typed as anything but our envelope, or a status the route can return is missing from
 * its error type; each `@ts-expect-error` fails when the types stop refusing a mistake.
 */

/** true only when A and B are the same type: `any`, `never` or a wider type is false. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only for `true`. */
type Check<T extends true> = T;
/** The error statuses a call's types name, and the body each carries. */
type ErrorOf<Call extends (...args: never[]) => Promise<{ error: unknown }>> = NonNullable<
  Awaited<ReturnType<Call>>["error"]
>;

export type Api = ReturnType<typeof treaty<App>>;

export interface Credentials {
  email: string;
  password: string;
}

export interface EdenResults {
  login: { status: number; accessToken: string };
  me: { status: number; email: string | undefined };
  list: { status: number; count: number; limit: number };
  create: { status: number; id: string };
  replay: { status: number; id: string };
  get: { status: number; id: string };
  update: { status: number; score: number | undefined };
  /** Each refusal as the typed error: its status and the envelope's fields. */
  unauthorized: { status: number; body: ErrorEnvelope };
  notFound: { status: number; body: ErrorEnvelope };
  invalid: { status: number; body: ErrorEnvelope };
  search: { status: number; ids: string[] };
}

/**
 * Eden turns every ISO date string of a response into a Date by default, while the types (from the
 * schemas) say string: `parseDate: false` keeps what arrives what the types say.
 */
const options = { parseDate: false } as const;

export async function runEdenFlows(base: string, user: Credentials, unique: string): Promise<EdenResults> {
  const anonymous = treaty<App>(base, options);

  const login = await anonymous.api.v1.auth.login.post({ email: user.email, password: user.password });
  if (login.error) throw new Error(`login failed: ${login.status}`);
  const { accessToken } = login.data.data;

  // No token: the typed 401.
  const refused = await anonymous.api.v1.me.get();
  if (!refused.error) throw new Error(`expected 401, got ${refused.status}`);
  if (refused.error.status !== 401) throw new Error(`expected 401, got ${refused.error.status}`);
  const unauthorized = { status: refused.error.status, body: refused.error.value };

  const api = treaty<App>(base, { ...options, headers: { authorization: `Bearer ${accessToken}` } });

  const me = await api.api.v1.me.get();
  if (me.error) throw new Error(`/me failed: ${me.status}`);

  const list = await api.api.v1.prospects.get({ query: { limit: 10 } });
  if (list.error) throw new Error(`list failed: ${list.status}`);

  const prospect = { email: `${unique}@eden.example.com`, company: `Eden ${unique} GmbH`, tags: ["clients"] };
  const create = () => api.api.v1.prospects.post(prospect, { headers: { "idempotency-key": `eden-${unique}` } });
  const created = await create();
  if (created.error) throw new Error(`create failed: ${created.status}`);
  const { id } = created.data.data;
  const replayed = await create();
  if (replayed.error) throw new Error(`replay failed: ${replayed.status}`);

  const got = await api.api.v1.prospects({ id }).get();
  if (got.error) throw new Error(`get failed: ${got.status}`);

  const updated = await api.api.v1.prospects({ id }).patch({ score: 64 });
  if (updated.error) throw new Error(`update failed: ${updated.status}`);

  const missing = await api.api.v1.prospects({ id: "00000000-no-such-prospect" }).get();
  if (!missing.error) throw new Error(`expected 404, got ${missing.status}`);
  if (missing.error.status !== 404) throw new Error(`expected 404, got ${missing.error.status}`);
  const notFound = { status: missing.error.status, body: missing.error.value };

  const bad = await api.api.v1.prospects.post({ ...prospect, email: "not an email" });
  if (!bad.error) throw new Error(`expected 422, got ${bad.status}`);
  if (bad.error.status !== 422) throw new Error(`expected 422, got ${bad.error.status}`);
  const invalid = { status: bad.error.status, body: bad.error.value };

  const search = await api.api.v1.search.get({ query: { q: unique, limit: 10 } });
  if (search.error) throw new Error(`search failed: ${search.status}`);

  return {
    login: { status: login.status, accessToken },
    me: { status: me.status, email: me.data.data.user?.email },
    list: { status: list.status, count: list.data.data.length, limit: list.data.meta.limit },
    create: { status: created.status, id },
    replay: { status: replayed.status, id: replayed.data.data.id },
    get: { status: got.status, id: got.data.data.id },
    update: { status: updated.status, score: updated.data.data.score },
    unauthorized,
    notFound,
    invalid,
    search: { status: search.status, ids: search.data.data.map((hit) => hit.id) },
  };
}

/**
 * Signs in with a wrong password until the login limit refuses: the 401s and then the 429, each
 * narrowed by its status to the typed envelope.
 */
export async function loginUntilRefused(base: string, email: string, attempts: number) {
  const api = treaty<App>(base, options);
  const seen: { status: number; body: ErrorEnvelope; retryAfter: string | null }[] = [];
  for (let i = 0; i < attempts; i++) {
    const { error, response } = await api.api.v1.auth.login.post({ email, password: "not the password" });
    if (!error) throw new Error("a wrong password signed in");
    if (error.status === 401 || error.status === 429) {
      seen.push({ status: error.status, body: error.value, retryAfter: response.headers.get("retry-after") });
    } else throw new Error(`unexpected ${error.status}`);
  }
  return seen;
}

// The error types, route by route: every status the route can return, each with our envelope.
type LoginError = ErrorOf<Api["api"]["v1"]["auth"]["login"]["post"]>;
type MeError = ErrorOf<Api["api"]["v1"]["me"]["get"]>;
type GetProspectError = ErrorOf<ReturnType<Api["api"]["v1"]["prospects"]>["get"]>;
type CreateProspectError = ErrorOf<Api["api"]["v1"]["prospects"]["post"]>;
type SearchError = ErrorOf<Api["api"]["v1"]["search"]["get"]>;

type StatusesOf<E> = E extends { status: infer S } ? S : never;
type BodyOf<E, S> = E extends { status: S; value: infer V } ? V : never;

export type EdenErrorChecks = [
  Check<Same<BodyOf<LoginError, 401>, ErrorEnvelope>>,
  Check<Same<BodyOf<LoginError, 422>, ErrorEnvelope>>,
  Check<Same<BodyOf<LoginError, 429>, ErrorEnvelope>>,
  Check<Same<BodyOf<MeError, 401>, ErrorEnvelope>>,
  Check<Same<BodyOf<MeError, 429>, ErrorEnvelope>>,
  Check<Same<BodyOf<GetProspectError, 404>, ErrorEnvelope>>,
  Check<Same<BodyOf<GetProspectError, 401>, ErrorEnvelope>>,
  Check<Same<BodyOf<CreateProspectError, 422>, ErrorEnvelope>>,
  Check<Same<BodyOf<CreateProspectError, 403>, ErrorEnvelope>>,
  Check<Same<BodyOf<SearchError, 429>, ErrorEnvelope>>,
  // Every error a route names is the envelope: no status carries Elysia's default validation shape.
  Check<Same<BodyOf<CreateProspectError, StatusesOf<CreateProspectError>>, ErrorEnvelope>>,
  Check<Same<BodyOf<SearchError, StatusesOf<SearchError>>, ErrorEnvelope>>,
];

/** Never called: each line is a mistake the types must refuse at compile time. */
export function mistakesTheTypesRefuse(api: Api) {
  // @ts-expect-error limit is a number, not a string
  void api.api.v1.prospects.get({ query: { limit: "10" } });
  // @ts-expect-error login needs a password
  void api.api.v1.auth.login.post({ email: "a@example.com" });
  // @ts-expect-error a prospect needs an email
  void api.api.v1.prospects.post({ company: "Acme" });
  // @ts-expect-error a status the API does not have
  void api.api.v1.prospects.get({ query: { status: "archived" } });
}
