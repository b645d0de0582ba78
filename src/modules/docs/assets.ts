import { dirname, join } from "node:path";
import { compressOnce, type Encoding } from "../../http/compression";
import { initScript } from "./page";

interface Asset {
  type: string;
  load: () => Promise<Uint8Array>;
  /** Text worth compressing; the PNG is already compressed. */
  compressible: boolean;
}

export interface AssetStore {
  type(name: string): string | undefined;
  /** The asset's bytes in `encoding` (or as stored), compressed once per process and kept. */
  bytes(name: string, encoding: Encoding | undefined): Promise<{ body: Uint8Array; encoding?: Encoding }>;
}

/**
 * Swagger UI's files from the installed swagger-ui-dist package, resolved from this file so that
 * the bundled build (dist/server.js) finds the production node_modules beside it.
 */
export function createAssetStore(): AssetStore {
  const dist = dirname(Bun.resolveSync("swagger-ui-dist/package.json", import.meta.dir));
  const file = (name: string) => () => Bun.file(join(dist, name)).bytes();
  const assets: Record<string, Asset> = {
    "swagger-ui-bundle.js": {
      type: "text/javascript; charset=utf-8",
      load: file("swagger-ui-bundle.js"),
      compressible: true,
    },
    "swagger-ui.css": { type: "text/css; charset=utf-8", load: file("swagger-ui.css"), compressible: true },
    "favicon-32x32.png": { type: "image/png", load: file("favicon-32x32.png"), compressible: false },
    "init.js": {
      type: "text/javascript; charset=utf-8",
      load: async () => new TextEncoder().encode(initScript),
      compressible: false,
    },
  };
  const cache = new Map<string, Promise<Uint8Array>>();
  const cached = (key: string, make: () => Promise<Uint8Array>) => {
    let entry = cache.get(key);
    if (!entry) {
      entry = make();
      // A failed read is not kept, so the next request tries again.
      entry.catch(() => cache.delete(key));
      cache.set(key, entry);
    }
    return entry;
  };

  return {
    type: (name) => (Object.hasOwn(assets, name) ? assets[name]?.type : undefined),
    async bytes(name, encoding) {
      const asset = assets[name];
      if (!asset) throw new Error(`unknown docs asset ${name}`);
      const raw = () => cached(name, asset.load);
      if (!asset.compressible || !encoding) return { body: await raw() };
      const body = await cached(`${name}:${encoding}`, async () => compressOnce(await raw(), encoding));
      return { body, encoding };
    },
  };
}
