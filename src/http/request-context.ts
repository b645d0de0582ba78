import { Elysia } from "elysia";
import type { Config } from "../config";
import { clientIp } from "./client-ip";
import { errorEnvelope, jsonHeaders } from "./envelope";
import { httpError } from "./errors";
import { createHostCheck } from "./host-header";
import { tooLarge } from "./json-body";
import { requestIdFor } from "./request-id";
import { setRequestState } from "./request-state";
import { corsHeaders, createOriginCheck, preflightHeaders, securityHeaders } from "./security-headers";

/** What the request context needs of Bun's server: the peer address of a request. */
interface ServerWithIp {
  requestIP(request: Request): { address: string } | null;
}

const bodyMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * First hook of every request: request id, security and CORS headers, the Host check, preflight, and the
 * cheap body checks (413 by Content-Length, 415) that must happen before anything reads the body.
 */
export function requestContext(config: Config, server: () => ServerWithIp | null | undefined = () => undefined) {
  const originAllowed = createOriginCheck(config.allowedOrigins);
  const hostValid = createHostCheck();
  // The server comes from `server()` (the app's), not from the context: a hook that reads
  // `server` from the context makes Elysia define a `server` getter on every request's context.
  // Made here, not in the hook: Elysia reads `=> f(` in a hook's source as an async hook, and one
  // async onRequest makes the app's whole request handler async (a Promise for every request).
  const socketAddressOf = (request: Request) => () => server()?.requestIP(request)?.address;
  return new Elysia({ name: "request-context" }).onRequest(({ request, set }) => {
    const id = requestIdFor(request.headers.get("x-request-id"));
    setRequestState(request, {
      id,
      startedAt: performance.now(),
      ip: clientIp(socketAddressOf(request), request.headers.get("x-forwarded-for"), config.trustProxy),
    });
    Object.assign(set.headers, securityHeaders);
    set.headers["x-request-id"] = id;
    if (!hostValid(request)) throw httpError(400, "The request must carry exactly one valid Host header");

    const origin = request.headers.get("origin");
    const allowed = origin !== null && originAllowed(origin);
    if (request.method === "OPTIONS" && request.headers.has("access-control-request-method")) {
      return new Response(null, {
        status: 204,
        headers: { ...securityHeaders, "x-request-id": id, ...(allowed ? preflightHeaders(origin) : {}) },
      });
    }
    if (allowed) Object.assign(set.headers, corsHeaders(origin));
    if (origin !== null) set.headers.vary = "Origin";

    if (bodyMethods.has(request.method)) {
      const length = Number(request.headers.get("content-length") ?? 0);
      if (length > config.bodyLimit) throw tooLarge(config.bodyLimit);
      // A Request built in code (app.handle) has a body stream but neither header.
      const hasBody =
        length > 0 ||
        request.headers.has("transfer-encoding") ||
        (request.body !== null && !request.headers.has("content-length"));
      const type = request.headers.get("content-type") ?? "";
      if (hasBody && !/^application\/(.+\+)?json\s*(;|$)/i.test(type)) {
        throw httpError(415, "Content-Type must be application/json");
      }
    }
  });
}

/** A response for failures outside Elysia's pipeline (Bun's own error callback). */
export function bareErrorResponse(status: number, message: string, request: Request): Response {
  const url = new URL(request.url);
  const body = errorEnvelope({
    status,
    message,
    path: url.pathname,
    method: request.method,
    requestId: requestIdFor(null),
  });
  return new Response(JSON.stringify(body), { status, headers: { ...jsonHeaders, ...securityHeaders } });
}
