import { Elysia } from "elysia";
import { httpError } from "../../http/errors";
import { requestState } from "../../http/request-state";
import type { Authenticator } from "./authenticator";
import { type Principal, type Role, roleAtLeast } from "./principal";
import { missingCredentials } from "./tokens";

export const securityRequirement: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }];

/**
 * The `auth` route option: `{ auth: "viewer" | "user" | "admin" }` requires a principal with at
 * least that role and puts it in the context as `principal`.
 */
export function authGuard(authenticator: Authenticator) {
  return new Elysia({ name: "auth-guard" }).macro({
    auth: (minimum: Role) => ({
      detail: { security: securityRequirement },
      async resolve({ request }): Promise<{ principal: Principal }> {
        const principal = await authenticator.authenticate(request.headers.get("authorization"));
        if (!principal) throw missingCredentials();
        const state = requestState(request);
        if (state) state.principal = principal;
        if (!roleAtLeast(principal.role, minimum)) {
          throw httpError(403, `This action requires the ${minimum} role or above`);
        }
        return { principal };
      },
    }),
  });
}
