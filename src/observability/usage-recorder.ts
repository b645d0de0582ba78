import type { Config } from "../config";
import { isoNow } from "../lib/iso-now";
import { withTimeout } from "../lib/timeout";
import type { UsageRow } from "../modules/usage/repository";
import type { AccessRecord, ResponseObserver } from "./access-log";
import type { Logger } from "./logger";

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
  /** The multi-row writer: createUsageRepository(db).insertMany. */
  insert: (rows: readonly UsageRow[]) => Promise<void>;
  settings: Config["usage"];
  logger: Logger;
  /** How long close() waits for the last insert; default 5 s. */
  closeTimeoutMs?: number;
}

const recordedPrefix = "/api/v1/";

/**
 * api_usage rows, buffered and written in multi-row inserts every `flushIntervalMs` or as soon as
 * `batchSize` rows wait, never one insert per request and never on the request path. While the
 * database is down rows stay buffered and are retried on each tick; the buffer holds at most
 * `bufferMax` rows (counting those in an insert under way), and only rows beyond that are dropped,
 * counted and logged once per tick. Requests no route matched are not recorded: they have no
 * template to group by and no principal, and a scanner would otherwise fill the buffer.
 */
export function createUsageRecorder(options: UsageRecorderOptions): UsageRecorder {
  const { insert, settings, logger, closeTimeoutMs = 5000 } = options;
  let buffer: UsageRow[] = [];
  let inFlight = 0;
  let writing: Promise<void> | undefined;
  let droppedSinceLog = 0;
  let failing = false;
  const totals = { written: 0, dropped: 0, failedInserts: 0 };

  const writeBatches = async (all: boolean) => {
    while (buffer.length > 0 && (all || buffer.length >= settings.batchSize)) {
      const batch = buffer.splice(0, settings.batchSize);
      inFlight = batch.length;
      try {
        await insert(batch);
        totals.written += batch.length;
        if (failing) logger.info("usage rows: database writes resumed", { buffered: buffer.length });
        failing = false;
      } catch (error) {
        // Oldest first: the failed batch goes back to the front, inside the bound it was counted in.
        buffer = batch.concat(buffer);
        totals.failedInserts += 1;
        if (!failing) {
          logger.warn("usage rows: insert failed, keeping rows to retry", {
            error: error instanceof Error ? error.message : String(error),
            buffered: buffer.length,
          });
        }
        failing = true;
        return;
      } finally {
        inFlight = 0;
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
      const row = toRow(record);
      if (!row) return;
      if (buffer.length + inFlight >= settings.bufferMax) {
        totals.dropped += 1;
        droppedSinceLog += 1;
        return;
      }
      buffer.push(row);
      if (buffer.length >= settings.batchSize) void write(false);
    },
    flush,
    async close() {
      clearInterval(timer);
      // A database that stopped answering must not hold shutdown: give up after closeTimeoutMs.
      await withTimeout(flush(), closeTimeoutMs).catch(() => {});
      const left = buffer.length + inFlight;
      if (left > 0) logger.error("usage rows lost at shutdown: database unavailable", { rows: left });
    },
    stats: () => ({ buffered: buffer.length + inFlight, ...totals }),
  };
}

function toRow(record: AccessRecord): UsageRow | undefined {
  const { request, state } = record;
  if (!record.route || !record.path.startsWith(recordedPrefix)) return undefined;
  const principal = state.principal;
  return {
    id: Bun.randomUUIDv7(),
    userId: principal?.userId ?? null,
    organizationId: principal?.organizationId ?? null,
    apiKeyId: principal?.apiKeyId ?? null,
    endpoint: record.route,
    method: request.method,
    statusCode: record.status,
    responseTimeMs: Math.round(record.durationMs * 1000) / 1000,
    requestId: state.id,
    createdAt: isoNow(),
  };
}
