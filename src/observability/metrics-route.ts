import { timingSafeEqual } from "node:crypto";
import { Elysia, t } from "elysia";
import { httpError } from "../http/errors";
import { errorEnvelopeSchema } from "../http/schemas";
import type { Metrics } from "./metrics";

/**
 * GET /metrics in Prometheus text format, outside /api/v1 and so never rate limited. With
 * METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>`. Without a Metrics
 * object (an app built for a test that is not about metrics) there is no route.
 */
export function metricsRoute(metrics: Metrics | undefined, token: string | undefined) {
  const plugin = new Elysia();
  if (!metrics) return plugin;
  return plugin.get(
    "/metrics",
    async ({ request }) => {
      if (token !== undefined && !bearerMatches(request.headers.get("authorization"), token)) {
        throw httpError(401, "A valid metrics token is required", {
          headers: { "www-authenticate": 'Bearer realm="metrics"' },
        });
      }
      return new Response(await metrics.registry.metrics(), {
        headers: { "content-type": metrics.registry.contentType, "cache-control": "no-store" },
      });
    },
    {
      // Documents the text body; a Response is never checked against it.
      response: { 200: t.String({ description: "Prometheus text exposition format" }), 401: errorEnvelopeSchema },
      detail: {
        tags: ["operations"],
        summary: "Prometheus metrics (bearer METRICS_TOKEN when set)",
        description: "For operators; never rate limited. Needs `Authorization: Bearer <METRICS_TOKEN>` when it is set.",
        security: [{}, { metricsToken: [] }],
      },
    },
  );
}

function bearerMatches(header: string | null, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!match) return false;
  const given = Buffer.from((match[1] as string).trim());
  const expected = Buffer.from(token);
  // Constant time, so the token cannot be guessed a byte at a time from response timings.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
