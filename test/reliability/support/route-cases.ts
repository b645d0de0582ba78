import fc from "fast-check";
import type { App } from "../../../src/app";
import { type Body, bodyOf, type Hints, headerValue, queryOf, type Schema, segmentOf, validOf } from "./arbitraries";
import { type Resources, resourceOfCollection } from "./world";

/** What generation needs of one of the app's routes: read from `app.routes`, schemas included. */
export interface RouteInfo {
  method: string;
  path: string;
  body?: Schema;
  query?: Schema;
  params?: Schema;
  headers?: Schema;
}

export function routesOf(app: App): RouteInfo[] {
  return app.routes.map((route) => {
    const hooks = (route.hooks ?? {}) as Record<string, unknown>;
    const schema = (name: string) => (hooks[name] as Schema | undefined) ?? undefined;
    return {
      method: route.method,
      path: route.path,
      body: schema("body"),
      query: schema("query"),
      params: schema("params"),
      headers: schema("headers"),
    };
  });
}

export interface GeneratedRequest {
  path: string;
  query: string;
  headers: Record<string, string>;
  body?: Body;
}

const withoutBody = new Set(["GET", "HEAD"]);

/** Generated requests for one route: hostile path segments, query, schema headers and body. */
export function requestsFor(route: RouteInfo, resources: Resources, hints: Hints = {}): fc.Arbitrary<GeneratedRequest> {
  const parts = route.path.split("/");
  const realId = (collection = "") => {
    const resource = resourceOfCollection[collection];
    return resource && resources[resource];
  };
  const segments = parts.map((part, i) => (part.startsWith(":") ? segmentOf(realId(parts[i - 1])) : fc.constant(part)));
  const headerNames = Object.keys(route.headers?.properties ?? {});
  const headers = fc.tuple(
    ...headerNames.map((name) => {
      const valid = validOf(route.headers?.properties?.[name] ?? {}).filter(
        (v): v is string => typeof v === "string" && /^[\x20-\x7e]*$/.test(v),
      );
      const value = fc.oneof({ weight: 3, arbitrary: valid }, headerValue);
      return fc.option(value, { nil: undefined }).map((v) => [name, v] as const);
    }),
  );
  const body = withoutBody.has(route.method)
    ? fc.constant(undefined)
    : route.body
      ? bodyOf(route.body, hints)
      : fc.option(bodyOf(undefined), { nil: undefined });
  return fc.record({
    path: fc.tuple(...segments).map((s) => s.join("/")),
    query: queryOf(route.query),
    headers: headers.map(
      (pairs) => Object.fromEntries(pairs.filter(([, v]) => v !== undefined)) as Record<string, string>,
    ),
    body,
  });
}

/** The Request to send: app.handle needs at least http://localhost as its origin. */
export function toRequest(method: string, input: GeneratedRequest, authorization: Record<string, string>): Request {
  const url = `http://localhost${input.path}${input.query ? `?${input.query}` : ""}`;
  const headers: Record<string, string> = { ...input.headers, ...authorization };
  let body: string | Uint8Array | undefined;
  if (input.body?.kind === "json") {
    headers["content-type"] = "application/json";
    body = JSON.stringify(input.body.value) ?? "null";
  } else if (input.body?.kind === "raw") {
    headers["content-type"] = "application/json";
    body = input.body.bytes;
  }
  return new Request(url, { method, headers, body });
}

/** A short description of a generated request for a failure message. */
export function describeRequest(method: string, input: GeneratedRequest): string {
  const body =
    input.body === undefined
      ? ""
      : input.body.kind === "json"
        ? ` body=${JSON.stringify(input.body.value)?.slice(0, 300)}`
        : ` raw=[${[...input.body.bytes.slice(0, 40)].join(",")}]`;
  return `${method} ${input.path}${input.query ? `?${input.query}` : ""} headers=${JSON.stringify(input.headers).slice(0, 200)}${body}`;
}
