import { Elysia } from "elysia";
import { ok } from "../../http/envelope";
import type { Guards } from "../../http/guards";
import { serializeOnce } from "../../http/serialized-body";
import {
  loginBody,
  loginResponses,
  logoutBody,
  logoutResponses,
  meResponses,
  refreshBody,
  refreshResponses,
} from "./model";
import type { Principal } from "./principal";
import type { AuthService } from "./service";

const tags = ["auth"];

/** /me's body: the caller as the principal says, nothing else. */
function meBody(principal: Principal) {
  return ok({
    user:
      principal.kind === "user" && principal.userId !== null && principal.email !== null
        ? {
            id: principal.userId,
            email: principal.email,
            organizationId: principal.organizationId,
            role: principal.role,
          }
        : null,
    ...(principal.apiKey &&
      principal.apiKeyId !== null && {
        apiKey: {
          id: principal.apiKeyId,
          name: principal.apiKey.name,
          prefix: principal.apiKey.prefix,
          organizationId: principal.organizationId,
          role: principal.role,
        },
      }),
  });
}

// The authenticator hands out the principal it cached, the same object request after request:
// its body is made and serialized once (the finisher then sends the kept JSON and ETag).
const meBodies = new WeakMap<Principal, ReturnType<typeof meBody>>();

function meBodyOf(principal: Principal): ReturnType<typeof meBody> {
  let body = meBodies.get(principal);
  if (body === undefined) {
    body = meBody(principal);
    serializeOnce(body);
    meBodies.set(principal, body);
  }
  return body;
}

export function authRoutes(guards: Guards, service: AuthService) {
  return new Elysia()
    .use(guards)
    .post("/auth/login", async ({ body }) => ok(await service.login(body.email, body.password)), {
      body: loginBody,
      response: guards.responses(loginResponses),
      rateLimit: "auth",
      detail: {
        tags,
        summary: "Sign in with email and password",
        description:
          "Public. Returns an access token (Authorization: Bearer) and a refresh token; limited per client IP.",
      },
    })
    .post("/auth/refresh", async ({ body }) => ok(await service.refresh(body.refreshToken)), {
      body: refreshBody,
      response: guards.responses(refreshResponses),
      detail: {
        tags,
        summary: "Rotate the refresh token and get a new pair",
        description: "Public. The refresh token presented is retired; presenting it again revokes its session.",
      },
    })
    .post(
      "/auth/logout",
      async ({ body, principal }) => {
        if (principal.kind !== "user" || principal.userId === null) {
          return ok({ sessionsRevoked: 0 });
        }
        return ok(
          await service.logout({
            userId: principal.userId,
            sessionId: principal.sessionId,
            scope: body?.scope ?? "session",
          }),
        );
      },
      {
        auth: "viewer",
        body: logoutBody,
        response: guards.responses(logoutResponses),
        detail: { tags, summary: "Revoke this session, or every session with scope global" },
      },
    )
    .get("/me", ({ principal }) => meBodyOf(principal), {
      auth: "viewer",
      response: guards.responses(meResponses),
      detail: { tags, summary: "The caller" },
    });
}
