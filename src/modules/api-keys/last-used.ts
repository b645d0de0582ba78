import type { Logger } from "../../observability/logger";
import type { ApiKeyRepository } from "./repository";

export type KeyUseTracker = ReturnType<typeof createKeyUseTracker>;

/**
 * Remembers when each API key was last used and writes it in one batch every `intervalMs`, so a
 * request authenticated by a key never waits on a database write.
 */
export function createKeyUseTracker(apiKeys: ApiKeyRepository, logger: Logger, intervalMs = 30_000) {
  let pending = new Map<string, string>();
  const flush = async () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      await apiKeys.touchLastUsed(batch);
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
      pending.set(apiKeyId, new Date().toISOString());
    },
    flush,
    async close(): Promise<void> {
      clearInterval(timer);
      await flush();
    },
  };
}
