import { Elysia } from "elysia";
import type { Config } from "../config";
import type { Logger } from "../observability/logger";
import { pathUnder } from "./cache-headers";
import { errorEnvelope, jsonHeaders } from "./envelope";
import { AppError, errorNames, httpError } from "./errors";
import { pathOf } from "./host-header";
import { readJsonBody } from "./json-body";
import { createObjectBodyCheck, notAnObject } from "./object-body";
import { requestState } from "./request-state";
import { fieldErrors } from "./validation-messages";

export type ErrorMapper = (error: unknown) => AppError | undefined;

export interface ErrorHandlerOptions {
  config: Config;
  logger: Logger;
  /** Methods a path answers to, for 405 vs 404. */
  allowedMethods: (path: string) => string[];
  /** Translate errors of a dependency (database, Redis) into AppErrors. */
  mappers?: ErrorMapper[];
  /** Called once for every 5xx (error tracking). */
  onServerError?: (error: unknown, request: Request, status: number) => void;
  /**
   * Counts an /api/v1 request against the general limit (by client address) and sets its headers,
   * for errors raised before the rate limiter saw the request (404, 405, 413, 415, 400 bodies);
   * throws the 429 when the limit is used up.
   */
  countUnlimited?: (request: Request, headers: Record<string, unknown>) => Promise<void>;
}

/**
 * The one place that writes error responses: every failure, ours or Elysia's, leaves as the
 * contract's envelope. Also owns JSON body parsing, so that parse failures are ours to word.
 */
export function errorHandler(options: ErrorHandlerOptions) {
  const { config, logger } = options;
  const development = config.env === "development";
  const objectBodies = createObjectBodyCheck();
  return new Elysia({ name: "error-handler" })
    .onParse({ as: "global" }, async ({ request, contentType }) => {
      if (/^application\/(.+\+)?json/i.test(contentType)) {
        return objectBodies.mark(request, await readJsonBody(request, config.bodyLimit));
      }
    })
    .onBeforeHandle({ as: "global" }, ({ request }) => {
      if (objectBodies.isMarked(request)) throw notAnObject();
    })
    .onError({ as: "global" }, async ({ code, error, request, route, set }) => {
      // From the URL itself: Elysia's path is wrong for a request.url without a host (refused 400s).
      const path = pathOf(request.url);
      let appError =
        code === "VALIDATION" && objectBodies.isMarked(request)
          ? notAnObject()
          : toAppError(code, error, path, request.method, options, development);
      const state = requestState(request);
      // onServerError and the response observers read the path and the matched template from the state.
      if (state) {
        state.path = path;
        if (route) state.route ??= route;
      }
      if (state && !state.rateLimits && options.countUnlimited && pathUnder(path, "/api/v1")) {
        try {
          await options.countUnlimited(request, set.headers);
        } catch (refused) {
          if (refused instanceof AppError) appError = refused;
        }
      }
      const status = appError.status;
      const requestId = state?.id ?? String(set.headers["x-request-id"] ?? "");
      // Past the deadline the client has had its 503 and the deadline logged it: a late failure is no
      // news. A shed request (a login past the hashing queue) is load, not a failure: a metric counts it.
      if (status >= 500 && !state?.timedOut && !appError.shed) {
        logger.error("request failed", {
          requestId,
          method: request.method,
          path,
          route: state?.route,
          principalId: state?.principal?.id,
          status,
          error: error instanceof Error ? error.message : String(error),
          stack: error instanceof Error ? error.stack : undefined,
        });
        options.onServerError?.(error, request, status);
      }
      // Response observers read the status from `set`: without this, 404/405/413/415 log as 200.
      set.status = status;
      const body = errorEnvelope({
        status,
        code: appError.code,
        message: appError.message,
        path,
        method: request.method,
        requestId,
        details: appError.details,
      });
      return new Response(JSON.stringify(body), { status, headers: { ...jsonHeaders, ...appError.headers } });
    });
}

function toAppError(
  code: string | number,
  error: unknown,
  path: string,
  method: string,
  options: ErrorHandlerOptions,
  development: boolean,
): AppError {
  if (error instanceof AppError) return error;
  // Elysia wraps whatever a parser throws in a ParseError; our body reader's 413/400 is the cause.
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (code === "PARSE" && cause instanceof AppError) return cause;
  for (const map of options.mappers ?? []) {
    const mapped = map(error);
    if (mapped) return mapped;
  }
  switch (code) {
    case "NOT_FOUND": {
      const allowed = options.allowedMethods(path);
      if (allowed.length > 0 && !allowed.includes(method)) {
        return httpError(405, `Method ${method} is not allowed on ${path}`, {
          headers: { allow: allowed.join(", ") },
        });
      }
      return httpError(404, "Resource not found");
    }
    case "PARSE":
      return httpError(400, "Malformed request body");
    case "VALIDATION": {
      const validation = error as { all?: Parameters<typeof fieldErrors>[0]; type?: string };
      // A handler returned what its `response` schema does not allow: our bug, not the client's.
      if (validation.type === "response") {
        return httpError(
          500,
          development ? `Response does not match its schema: ${(error as Error).message}` : "Internal server error",
        );
      }
      const details = fieldErrors(validation.all ?? [], validation.type ?? "body");
      return httpError(422, "Validation failed", { details });
    }
    case "INVALID_COOKIE_SIGNATURE":
    case "INVALID_FILE_TYPE":
      return httpError(400, "Bad request");
  }
  // Elysia's status() values and errors carrying a contract status keep it.
  const status = (error as { status?: unknown; code?: unknown })?.status;
  if (typeof status === "number" && errorNames[status] && status < 500) {
    return httpError(status, (error as Error).message || errorNames[status]);
  }
  // Outside development a 5xx never shows a dependency's message, SQL or a path.
  return httpError(500, development && error instanceof Error ? error.message : "Internal server error");
}
