import type { Config } from "../config";
import { knownTraceId } from "../http/trace";
import { withTimeout } from "../lib/timeout";
import type { UsageColumns } from "../modules/usage/repository";
import type { ResponseObserver } from "./access-log";
import type { Logger } from "./logger";
import { createUsageBuffer } from "./usage-buffer";

export interface UsageStats {
  /** Rows waiting to be written, in the buffer or in an insert under way. */
  buffered: number;
  /** Rows written since start. */
  written: number;
  /** Rows refused because the buffer was full, since start. */
  dropped: number;
  /** Inserts that failed (their rows were kept for the next attempt). */
  failedInserts: number;
}

export interface UsageRecorder {
  /** The response observer: one api_usage row per /api/v1 request that matched a route. */
  observe: ResponseObserver;
  /** Writes everything buffered now; rows of a failed insert stay buffered. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left (shutdown, before the database closes). */
  close(): Promise<void>;
  stats(): UsageStats;
}

export interface UsageRecorderOptions {
  /** The multi-row writer: createUsageRepository(db).insertColumns. */
  insert: (batch: UsageColumns) => Promise<void>;
  settings: Config["usage"];
  logger: Logger;
  /** How long close() waits for the last insert; default 5 s. */
  closeTimeoutMs?: number;
}

const recordedPrefix = "/api/v1/";

/**
 * api_usage rows, buffered and written in multi-row inserts every `flushIntervalMs` or as soon as
 * `batchSize` rows wait, never one insert per request and never on the request path. A request
 * leaves its values in preallocated columns (usage-buffer.ts); ids, timestamps and the statement's
 * parameters are made when a batch is written. While the database is down rows stay buffered and are retried on
 * each tick; the buffer holds at most `bufferMax` rows (counting those in an insert under way), and
 * only rows beyond that are dropped, counted and logged once per tick. Requests no route matched
 * are not recorded: they have no template to group by and no principal, and a scanner would
 * otherwise fill the buffer.
 */
export function createUsageRecorder(options: UsageRecorderOptions): UsageRecorder {
  const { insert, settings, logger, closeTimeoutMs = 5000 } = options;
  const buffer = createUsageBuffer(settings.bufferMax);
  let writing: Promise<void> | undefined;
  let droppedSinceLog = 0;
  let failing = false;
  const totals = { written: 0, dropped: 0, failedInserts: 0 };

  const writeBatches = async (all: boolean) => {
    while (buffer.size > 0 && (all || buffer.size >= settings.batchSize)) {
      const count = Math.min(buffer.size, settings.batchSize);
      try {
        await insert(buffer.batch(count));
        buffer.drop(count);
        totals.written += count;
        if (failing) logger.info("usage rows: database writes resumed", { buffered: buffer.size });
        failing = false;
      } catch (error) {
        // The batch stays at the front, oldest first, inside the bound it was counted in.
        totals.failedInserts += 1;
        if (!failing) {
          logger.warn("usage rows: insert failed, keeping rows to retry", {
            error: error instanceof Error ? error.message : String(error),
            buffered: buffer.size,
          });
        }
        failing = true;
        return;
      }
    }
  };

  const write = (all: boolean): Promise<void> => {
    writing ??= writeBatches(all).finally(() => {
      writing = undefined;
    });
    return writing;
  };

  const reportDrops = () => {
    if (droppedSinceLog === 0) return;
    logger.warn("usage rows dropped: buffer full", { dropped: droppedSinceLog, bufferMax: settings.bufferMax });
    droppedSinceLog = 0;
  };

  async function flush() {
    // An insert under way may have taken only full batches: write again for the rest.
    if (writing) await writing;
    await write(true);
    reportDrops();
  }

  const tick = () => {
    reportDrops();
    void write(true);
  };
  const timer = setInterval(tick, settings.flushIntervalMs);
  timer.unref();

  return {
    observe(record) {
      const { request, state } = record;
      if (!record.route || !record.path.startsWith(recordedPrefix)) return;
      const principal = state.principal;
      const kept = buffer.push(
        principal?.userId ?? null,
        principal?.organizationId ?? null,
        principal?.apiKeyId ?? null,
        record.route,
        request.method,
        record.status,
        record.durationMs,
        state.id,
        knownTraceId(request),
        Date.now(),
      );
      if (!kept) {
        totals.dropped += 1;
        droppedSinceLog += 1;
        return;
      }
      if (buffer.size >= settings.batchSize && writing === undefined) void write(false);
    },
    flush,
    async close() {
      clearInterval(timer);
      // A database that stopped answering must not hold shutdown: give up after closeTimeoutMs.
      await withTimeout(flush(), closeTimeoutMs).catch(() => {});
      if (buffer.size > 0) logger.error("usage rows lost at shutdown: database unavailable", { rows: buffer.size });
    },
    stats: () => ({ buffered: buffer.size, ...totals }),
  };
}
