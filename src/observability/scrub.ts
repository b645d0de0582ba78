import type { ErrorEvent } from "@sentry/bun";

export const filtered = "[Filtered]";

/** Keys whose values are credentials wherever they appear: headers, query, bodies, extra data. */
const sensitiveKey = /pass(word)?|secret|token|api[-_]?key|authorization|cookie|session|credential|private|bearer/i;

/**
 * Credentials that may hide inside free text (an error message quoting a header, a URL): our API
 * keys, JWTs, and the value after an auth scheme.
 */
const secretPatterns: RegExp[] = [
  /\b(Bearer|ApiKey|Basic)\s+[A-Za-z0-9._~+/=-]+/gi,
  /sk_(live|test)_[A-Za-z0-9_-]+/g,
  /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g,
];

/** Routes whose request bodies carry passwords or tokens. */
const authRoute = /\/auth\//;

export function isSensitiveKey(key: string): boolean {
  return sensitiveKey.test(key);
}

/** Replaces credentials inside free text. */
export function scrubText(text: string): string {
  let result = text;
  for (const pattern of secretPatterns) result = result.replace(pattern, filtered);
  return result;
}

/** A deep copy with every sensitive key's value filtered and every string scrubbed; bounded depth. */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return scrubText(value);
  if (value === null || typeof value !== "object" || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1));
  const result: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    result[key] = isSensitiveKey(key) ? filtered : scrubValue(inner, depth + 1);
  }
  return result;
}

/** A URL with the values of sensitive query parameters filtered. */
export function scrubUrl(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed) return scrubText(url);
  for (const key of [...parsed.searchParams.keys()]) {
    if (isSensitiveKey(key)) parsed.searchParams.set(key, filtered);
  }
  parsed.username = "";
  parsed.password = "";
  return scrubText(parsed.toString());
}

/**
 * Sentry's beforeSend: the last look at an event before it leaves the process. The tracker never
 * puts credentials or bodies in an event; this catches whatever an integration or a future change
 * might add (request data, cookies, headers, extra, breadcrumbs, messages).
 */
export function scrubEvent(event: ErrorEvent): ErrorEvent {
  const request = event.request;
  if (request) {
    const url = request.url ?? "";
    if (authRoute.test(url) || authRoute.test(String(event.tags?.route ?? ""))) delete request.data;
    else if (request.data !== undefined) request.data = scrubValue(request.data);
    delete request.cookies;
    if (request.headers) request.headers = scrubValue(request.headers) as Record<string, string>;
    if (request.url) request.url = scrubUrl(request.url);
    if (typeof request.query_string === "string") request.query_string = filtered;
    else if (request.query_string) request.query_string = scrubValue(request.query_string) as Record<string, string>;
  }
  if (event.user) event.user = { id: event.user.id };
  if (event.message) event.message = scrubText(event.message);
  for (const exception of event.exception?.values ?? []) {
    if (exception.value) exception.value = scrubText(exception.value);
  }
  if (event.extra) event.extra = scrubValue(event.extra) as Record<string, unknown>;
  if (event.contexts) event.contexts = scrubValue(event.contexts) as ErrorEvent["contexts"];
  if (event.breadcrumbs) event.breadcrumbs = scrubValue(event.breadcrumbs) as ErrorEvent["breadcrumbs"];
  return event;
}
