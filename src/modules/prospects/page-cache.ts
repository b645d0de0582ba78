import { serializeOnce } from "../../http/serialized-body";
import type { PageCacheReadings } from "../../observability/metrics";
import type { WriteGenerations } from "../organizations/write-generations";

export interface PageCacheOptions {
  /** Without them (no Redis) nothing is cached: no instance could tell another's writes. */
  generations?: WriteGenerations;
  /** How long a page may be served while its organization's generation is unchanged; 0: no cache. */
  ttlMs: number;
  /** Bound on the cached pages' JSON text (characters); the oldest pages go first. */
  maxChars: number;
}

interface Entry {
  organizationId: string;
  generation: string;
  value: object;
  chars: number;
  expires: number;
}

export type PageCache = ReturnType<typeof createPageCache>;

/**
 * Pages of an organization's list, kept by this instance and served again while the
 * organization's write generation (../organizations/write-generations.ts), read once per request,
 * is the one they were read under. The generation is read before the database, and a write
 * changes it after committing and before it is acknowledged: a page may hold writes newer than
 * the generation it is filed under, and no page read before a write is served once the write is
 * acknowledged. The TTL bounds what
 * the generation cannot see: writes made outside the API, and a write whose new generation did
 * not reach Redis.
 */
export function createPageCache(options: PageCacheOptions) {
  const { generations, ttlMs, maxChars } = options;
  const entries = new Map<string, Entry>();
  // Concurrent misses of one page under one generation share one read of the database.
  const loading = new Map<string, Promise<object>>();
  let chars = 0;
  const reads = { hits: 0, misses: 0, fresh: 0, uncached: 0 };

  const drop = (key: string, entry: Entry) => {
    entries.delete(key);
    chars -= entry.chars;
  };

  /** A page just read under `generation`, serialized once, in place of the one it replaces (kept unless it alone is over the bound). */
  const keep = (key: string, organizationId: string, generation: string, value: object) => {
    const old = entries.get(key);
    if (old) drop(key, old);
    const size = serializeOnce(value).body.length;
    if (size > maxChars) return;
    entries.set(key, { organizationId, generation, value, chars: size, expires: Date.now() + ttlMs });
    chars += size;
    // A Map iterates in insertion order: the oldest pages first.
    for (const [oldest, evicted] of entries) {
      if (chars <= maxChars) break;
      drop(oldest, evicted);
    }
  };

  return {
    /**
     * The page `queryKey` names, from the cache when its generation still holds, else (or when
     * `fresh`) from `load`, whose value is then kept, serialized once: it must not change afterwards.
     */
    async read<T extends object>(
      organizationId: string,
      queryKey: string,
      load: () => Promise<T>,
      fresh = false,
    ): Promise<T> {
      if (!generations || ttlMs <= 0) return load();
      const generation = await generations.current(organizationId);
      if (generation === undefined) {
        reads.uncached++;
        return load();
      }
      const key = `${organizationId} ${queryKey}`;
      if (fresh) {
        reads.fresh++;
        // Asked for by the client (Cache-Control: no-cache): read now, not joined to a read under
        // way, and kept in place of the page it replaces.
        const value = await load();
        keep(key, organizationId, generation, value);
        return value;
      }
      const entry = entries.get(key);
      if (entry !== undefined) {
        if (entry.generation === generation && entry.expires > Date.now()) {
          reads.hits++;
          return entry.value as T;
        }
        drop(key, entry);
      }
      reads.misses++;
      const loadKey = `${generation} ${key}`;
      const pending = loading.get(loadKey);
      if (pending) return pending as Promise<T>;
      const read = load().then(
        (value) => {
          loading.delete(loadKey);
          keep(key, organizationId, generation, value);
          return value;
        },
        (error: unknown) => {
          loading.delete(loadKey);
          throw error;
        },
      );
      loading.set(loadKey, read);
      return read;
    },

    /**
     * After a committed write to the organization's list, before it is acknowledged. If the new
     * generation could not be recorded, this instance's own pages of it go at once; others' wait
     * out their TTL.
     */
    async changed(organizationId: string): Promise<void> {
      // Even with this instance's cache off: other instances' caches may be on.
      if (!generations) return;
      if (await generations.advance(organizationId)) return;
      for (const [key, entry] of entries) {
        if (entry.organizationId === organizationId) drop(key, entry);
      }
    },

    /** How reads were answered since the start, and what is kept now (the page_cache_* metrics). */
    stats(): PageCacheReadings {
      return { ...reads, pages: entries.size, chars };
    },
  };
}
