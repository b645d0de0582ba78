import type { Config } from "../config";
import { errorEnvelope, jsonHeaders } from "./envelope";
import { pathOf } from "./host-header";
import { corsHeaders, createOriginCheck, securityHeaders } from "./security-headers";

export interface UnavailableAnswer {
  requestId: string;
  message: string;
  retryAfterSeconds: number;
  /** Rate-limit headers when the request was counted before it was cut off. */
  headers?: Record<string, string>;
}

/**
 * The contract's 503 envelope for answers given outside Elysia's pipeline (a shed request never
 * enters it; a timed-out one is still inside it), with the headers the pipeline would have set.
 */
export function createUnavailableResponder(config: Pick<Config, "allowedOrigins">) {
  const originAllowed = createOriginCheck(config.allowedOrigins);
  return (request: Request, answer: UnavailableAnswer): Response => {
    const body = errorEnvelope({
      status: 503,
      message: answer.message,
      path: pathOf(request.url),
      method: request.method,
      requestId: answer.requestId,
    });
    const origin = request.headers.get("origin");
    const headers: Record<string, string> = {
      ...jsonHeaders,
      ...securityHeaders,
      ...answer.headers,
      "x-request-id": answer.requestId,
      "retry-after": String(answer.retryAfterSeconds),
      "cache-control": "no-store",
      // The request's body may still be arriving: do not leave the connection to Bun to drain.
      connection: "close",
    };
    if (origin !== null) {
      headers.vary = "Origin";
      if (originAllowed(origin)) Object.assign(headers, corsHeaders(origin));
    }
    return new Response(JSON.stringify(body), { status: 503, headers });
  };
}
