import { expect, test } from "bun:test";
import { isAsync } from "elysia/compose";
import { buildTestApp } from "../helpers/app";

// Elysia reads a hook as async from its source (`=> f(`, `return f(`, `await`): a single async
// onRequest hook makes the app's whole request handler async, so every request, /health and
// /metrics included, becomes a Promise held in flight (the in-flight gauge counts its own scrape).
test("the app-wide request hooks are synchronous as Elysia reads them", () => {
  const { app } = buildTestApp();
  const hooks = (app as unknown as { event: { request?: Array<{ fn: unknown }> } }).event.request ?? [];
  expect(hooks.length).toBeGreaterThan(0);
  for (const hook of hooks) expect(isAsync(hook as never)).toBe(false);
});
