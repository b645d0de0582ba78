import { Elysia } from "elysia";
import { httpError } from "../../http/errors";
import { requestState } from "../../http/request-state";
import { errorEnvelopeSchema } from "../../http/schemas";
import type { Authenticator } from "./authenticator";
import { type Principal, type Role, roleAtLeast, roles } from "./principal";
import { missingCredentials } from "./tokens";

export const securityRequirement: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }];

const refusedWithoutCredentials = { 401: errorEnvelopeSchema };
const refusedBelowRole = { 401: errorEnvelopeSchema, 403: errorEnvelopeSchema };

/**
 * The `auth` route option: `{ auth: "viewer" | "user" | "admin" }` requires a principal with at
 * least that role and puts it in the context as `principal`.
 */
export function authGuard(
  authenticator: Authenticator,
  countRefusal?: (request: Request, headers: Record<string, unknown>) => Promise<void>,
) {
  const principals = new WeakMap<Request, Principal>();
  const authenticate = async (request: Request, headers: Record<string, unknown>, minimum: Role): Promise<void> => {
    const state = requestState(request);
    let principal: Principal | undefined;
    try {
      principal = await authenticator.authenticate(request.headers.get("authorization"));
      if (!principal) throw missingCredentials();
      if (state) state.principal = principal;
      if (!roleAtLeast(principal.role, minimum)) {
        throw httpError(403, `This action requires the ${minimum} role or above`);
      }
    } catch (error) {
      // A refused request still counts (by address when anonymous): guessing tokens is limited too.
      await countRefusal?.(request, headers);
      throw error;
    }
    // Kept in the request state when there is one (every app has; a WeakMap entry costs more).
    if (!state) principals.set(request, principal);
  };
  return new Elysia({ name: "auth-guard" }).macro({
    auth: (minimum: Role) => ({
      detail: {
        security: securityRequirement,
        description: `Needs a user's access token or an API key, with the ${minimum} role or above.`,
        // For the document (src/modules/docs/operations.ts): a 403 only where a role is below this.
        "x-minimum-role": minimum,
      },
      // What a refused caller receives (the error handler writes it), for Eden and the document:
      // 403 only where a role is below the route's (every signed-in caller has the lowest). A
      // macro's type cannot depend on its argument, so the types name 403 on every route.
      response: (minimum === roles[0] ? refusedWithoutCredentials : refusedBelowRole) as typeof refusedBelowRole,
      // transform runs before validation: a caller who may not use the route gets 401/403, never
      // a 422 that describes the body it expects. A cached principal is one Map lookup, no Promise;
      // anything else (first sight of a token, every refusal) goes the awaited way.
      transform({ request, set }) {
        const state = requestState(request);
        const principal = authenticator.cached(request.headers.get("authorization"));
        if (principal && state && roleAtLeast(principal.role, minimum)) {
          state.principal = principal;
          return;
        }
        return authenticate(request, set.headers, minimum);
      },
      resolve: ({ request }): { principal: Principal } => ({
        principal: (requestState(request)?.principal ?? principals.get(request)) as Principal,
      }),
    }),
  });
}
