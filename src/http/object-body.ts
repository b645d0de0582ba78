import { httpError } from "./errors";

/**
 * Every body this API takes is a JSON object. Elysia's normalisation turns `[]`, `"x"`, `42` or
 * `true` into `{}` before the schema sees it (and skips validating an optional body that is not a
 * non-empty object), so such a body passed any schema of optional members. The parser marks it;
 * the error handler refuses it with a 422 once validation or the auth macro's transform has run,
 * so a caller who may not use the route still gets its 401/403 first.
 */
export function createObjectBodyCheck() {
  const marked = new WeakSet<Request>();
  return {
    /** Called with each parsed JSON body; returns it unchanged. */
    mark(request: Request, body: unknown): unknown {
      if (body !== undefined && (typeof body !== "object" || body === null || Array.isArray(body))) marked.add(request);
      return body;
    },
    isMarked(request: Request): boolean {
      return marked.has(request);
    },
  };
}

export function notAnObject() {
  return httpError(422, "Validation failed", { details: { body: ["Body must be a JSON object"] } });
}
