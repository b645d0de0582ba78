import { Elysia, ElysiaCustomStatusResponse, StatusMap } from "elysia";
import type { Config } from "../config";
import { cachePolicy, pathUnder } from "./cache-headers";
import { appendVary, byteLengthAtLeast, compressSync, negotiateEncoding } from "./compression";
import { ifNoneMatchHits, weakEtag } from "./etag";
import { requestState } from "./request-state";
import { securityHeaders } from "./security-headers";
import { serializedBodyOf } from "./serialized-body";

type HeaderBag = Record<string, string | number | undefined>;

interface FinishContext {
  request: Request;
  path: string;
  route: string;
  set: { headers: HeaderBag; status?: number | keyof typeof StatusMap };
  responseValue: unknown;
}

/**
 * Last step before bytes leave, in one hook to keep the hot path to one pass: Cache-Control →
 * ETag / 304 → compression. Register before the routes (Elysia applies hooks to routes added
 * after them) and before errorHandler, whose onError returns the envelope and ends the chain.
 */
export function responseFinisher(config: Config) {
  const options = { compress: config.compression.enabled, minBytes: config.compression.minBytes };
  return (
    new Elysia({ name: "response-finisher" })
      // Requests no route matched (404, 413, 415) leave through onError's Response without any
      // mapResponse hook; set.headers is merged into that Response, so errors get no-store here.
      .onError({ as: "global" }, ({ set }) => {
        set.headers["cache-control"] = "no-store";
      })
      // Typed as returning a Response, but Elysia maps any returned value as it maps a handler's.
      // Destructured, not passed whole: Elysia reads which context members a hook uses from its
      // source, and a hook that takes the whole context makes it parse cookies, the query string
      // and a headers object on every request of every route.
      .mapResponse(
        { as: "global" },
        ({ request, path, route, set, responseValue }) =>
          finish({ request, path, route, set, responseValue }, options) as Response | undefined,
      )
  );
}

/**
 * Returns the body as a string or bytes with its headers in `set.headers`, rather than a new
 * Response: Elysia would copy such a Response once more to merge set.headers in (about 2 µs of a
 * 3 µs request, measured).
 */
function finish(
  { request, path, route, set, responseValue }: FinishContext,
  options: { compress: boolean; minBytes: number },
): string | Uint8Array | Response | undefined {
  const state = requestState(request);
  // The response observers (src/observability/access-log.ts) read the path and template from here.
  if (state) {
    // ??=: the error handler, which runs first on errors, has the path from the URL itself.
    state.path ??= path;
    if (route) state.route ??= route;
  }
  let value = responseValue;
  let status = statusCode(set.status);
  if (value instanceof Response) {
    // Our own error envelopes and routes that build their Response: headers only, body untouched.
    if (!value.headers.has("cache-control")) applyCachePolicy(set.headers, request.method, path, value.status);
    return undefined;
  }
  if (value instanceof ElysiaCustomStatusResponse) {
    status = value.code;
    value = value.response;
  }
  const headers = set.headers;
  applyCachePolicy(headers, request.method, path, status);
  if (status === 204 || status === 304) return undefined;

  const isText = typeof value === "string";
  // Sent as it is when returned below: the access log's size (a serialized body overwrites it).
  if (isText && state) state.bytes = Buffer.byteLength(value as string);
  if (!isText && !isPlainJson(value)) return undefined;

  const method = request.method;
  const read = method === "GET" || method === "HEAD";
  const withEtag = read && status === 200 && pathUnder(path, "/api/v1");
  const encoding =
    options.compress && headers["content-encoding"] === undefined
      ? negotiateEncoding(request.headers.get("accept-encoding"))
      : undefined;
  // Reads are serialized even without Accept-Encoding so that a large one still says Vary.
  if (!withEtag && encoding === undefined && !(read && options.compress)) return undefined;

  // A value sent again and again (a cached page) was serialized once (./serialized-body.ts).
  const known = isText ? undefined : serializedBodyOf(value);
  const body = isText ? (value as string) : known ? known.body : JSON.stringify(value);
  const compressible = options.compress && byteLengthAtLeast(body, options.minBytes);
  if (compressible) headers.vary = appendVary(headers.vary as string | undefined, "Accept-Encoding");
  if (withEtag) {
    const etag = known ? known.etag : weakEtag(body);
    headers.etag = etag;
    // A 304 repeats the validators and Cache-Control/Vary (in set.headers), never the body's type.
    if (ifNoneMatchHits(request.headers.get("if-none-match"), etag)) return new Response(null, { status: 304 });
  }
  headers["content-type"] ??= isText ? "text/plain; charset=utf-8" : "application/json; charset=utf-8";
  set.status = status;
  if (compressible && encoding) {
    headers["content-encoding"] = encoding;
    let compressed: Uint8Array;
    if (known) {
      known.encoded ??= {};
      known.encoded[encoding] ??= compressSync(body, encoding);
      compressed = known.encoded[encoding];
    } else {
      compressed = compressSync(body, encoding);
    }
    if (state) state.bytes = compressed.byteLength;
    return respond(compressed, status, set);
  }
  if (state && known) {
    known.bytes ??= Buffer.byteLength(body);
    state.bytes = known.bytes;
  } else if (state) {
    state.bytes = Buffer.byteLength(body);
  }
  return respond(body, status, set);
}

// Every response starts with the security headers (request-context.ts puts them in set.headers).
// One Headers object is reused for every response: the Response constructor copies it (Fetch's
// "fill"), and copying a Headers costs a fraction of parsing a 16-property object; only the headers
// beyond the security ones are set each time. Measured in a server: 3.5 µs → 3.1 µs for /me's 16.
const shared = new Headers(securityHeaders);
const securityValues = new Map(Object.entries(securityHeaders));
/** Names `shared` holds beyond (or instead of) the security headers' values, from the last response. */
let lastExtras: string[] = [];

/**
 * The Response, with set.headers moved into it: Elysia passes a Response through untouched when
 * set.headers is empty and set.status is 200, and otherwise copies it once more to merge them.
 */
function respond(payload: string | Uint8Array, status: number, set: FinishContext["set"]): Response {
  const bag = set.headers;
  const extras: string[] = [];
  for (const name in bag) {
    const value = bag[name];
    // A route may replace a security header; one left as it is is already there.
    if (value === undefined || securityValues.get(name) === value) continue;
    shared.set(name, String(value));
    extras.push(name);
  }
  for (const name of lastExtras) {
    if (extras.includes(name)) continue;
    // Gone since the last response: a security header gets its own value back, any other goes.
    const own = securityValues.get(name);
    if (own !== undefined) shared.set(name, own);
    else shared.delete(name);
  }
  lastExtras = extras;
  set.headers = {};
  set.status = 200;
  return new Response(payload, { status, headers: shared });
}

function applyCachePolicy(headers: HeaderBag, method: string, path: string, status: number): void {
  if (headers["cache-control"] !== undefined) return;
  const policy = cachePolicy(method, path, status);
  if (policy) headers["cache-control"] = policy;
}

function statusCode(status: number | keyof typeof StatusMap | undefined): number {
  if (typeof status === "number") return status;
  return status === undefined ? 200 : (StatusMap[status] ?? 200);
}

/** Plain objects and arrays: what Elysia itself would send as JSON. Files, streams, forms are not. */
function isPlainJson(value: unknown): value is object {
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
