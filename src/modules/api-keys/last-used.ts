import type { Logger } from "../../observability/logger";
import type { ApiKeyRepository } from "./repository";

export type KeyUseTracker = ReturnType<typeof createKeyUseTracker>;

/**
 * Remembers when each API key was last used and writes it in one batch every `intervalMs`, so a
 * request authenticated by a key never waits on a database write.
 */
export function createKeyUseTracker(apiKeys: ApiKeyRepository, logger: Logger, intervalMs = 30_000) {
  // Epoch ms, made into ISO text when written: a request with a key pays a Map.set, no Date.
  let pending = new Map<string, number>();
  const flush = async () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      await apiKeys.touchLastUsed(new Map([...batch].map(([id, at]) => [id, new Date(at).toISOString()])));
    } catch (error) {
      // Keep the newer of the failed batch and what arrived since; it is only a timestamp.
      for (const [id, at] of batch) if (!pending.has(id)) pending.set(id, at);
      logger.warn("could not record API key use", { error: String(error), keys: batch.size });
    }
  };
  const timer = setInterval(flush, intervalMs);
  timer.unref?.();
  return {
    record(apiKeyId: string): void {
      pending.set(apiKeyId, Date.now());
    },
    flush,
    async close(): Promise<void> {
      clearInterval(timer);
      await flush();
    },
  };
}
