import { Elysia } from "elysia";
import type { Config } from "../../config";
import { appendVary, negotiateEncoding } from "../../http/compression";
import { httpError } from "../../http/errors";
import { createAssetStore } from "./assets";
import { buildDocument } from "./operations";
import { docsCsp, docsPage } from "./page";

const hidden = { detail: { hide: true } };

/**
 * GET /docs (Swagger UI), /docs/json (OpenAPI 3.1, generated from the route schemas) and the UI's
 * files under /docs/assets. The document is built from the whole app's routes on first request
 * (again if routes were added since), so this plugin may be used before or after the routes it
 * describes. DOCS_ENABLED=false removes all of it (404).
 */
export function docsRoutes(config: Config) {
  if (!config.docsEnabled) return new Elysia({ name: "docs" });
  const assets = createAssetStore();
  const compress = config.compression.enabled;
  const plugin = new Elysia({ name: "docs" });
  let cached: { routes: number; document: ReturnType<typeof buildDocument> } | undefined;
  const document = () => {
    const routes = plugin.routes.length;
    if (cached?.routes !== routes) cached = { routes, document: buildDocument(plugin, config) };
    return cached.document;
  };
  return plugin
    .get("/docs/json", () => document(), hidden)
    .get(
      "/docs",
      () =>
        new Response(docsPage, {
          headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": docsCsp },
        }),
      hidden,
    )
    .get(
      "/docs/assets/:file",
      async ({ params, request, set }) => {
        const type = assets.type(params.file);
        if (!type) throw httpError(404, "Resource not found");
        const accepted = compress ? negotiateEncoding(request.headers.get("accept-encoding")) : undefined;
        const { body, encoding } = await assets.bytes(params.file, accepted);
        set.headers.vary = appendVary(set.headers.vary as string | undefined, "Accept-Encoding");
        const headers: Record<string, string> = { "content-type": type };
        if (encoding) headers["content-encoding"] = encoding;
        return new Response(body, { headers });
      },
      hidden,
    );
}
