import { isoNow } from "../lib/iso-now";
import { newTraceContext } from "../lib/trace-context";
import type { UsageRow } from "../modules/usage/repository";

export type UsageBuffer = ReturnType<typeof createUsageBuffer>;

/**
 * api_usage rows as columns of preallocated arrays, oldest first (a ring): recording a request is
 * a few stores, with no row object, id or timestamp string made on the request path. Rows are
 * turned into the JSON the repository inserts only when a batch is written, and leave the ring
 * only once written, so a failed insert is retried with the same rows — and the same ids, which
 * the first `rows()` assigns and keeps (the insert skips ids already written).
 */
export function createUsageBuffer(capacity: number) {
  const ids: Array<string | undefined> = new Array(capacity).fill(undefined);
  const userIds: Array<string | null> = new Array(capacity).fill(null);
  const organizationIds: Array<string | null> = new Array(capacity).fill(null);
  const apiKeyIds: Array<string | null> = new Array(capacity).fill(null);
  const endpoints: string[] = new Array(capacity).fill("");
  const methods: string[] = new Array(capacity).fill("");
  const requestIds: string[] = new Array(capacity).fill("");
  const traceIds: Array<string | undefined> = new Array(capacity).fill(undefined);
  const statuses = new Uint16Array(capacity);
  const durations = new Float64Array(capacity);
  const times = new Float64Array(capacity);
  let head = 0;
  let size = 0;

  return {
    /** Rows held, written or not. */
    get size() {
      return size;
    },
    capacity,

    /**
     * Appends a row; false (and nothing kept) when the ring is full. Values, not an object, so
     * that recording allocates nothing. `time` is epoch ms: created_at and the UUIDv7's time.
     * `traceId` undefined: none yet, one is made when the row is encoded.
     */
    push(
      userId: string | null,
      organizationId: string | null,
      apiKeyId: string | null,
      endpoint: string,
      method: string,
      statusCode: number,
      responseTimeMs: number,
      requestId: string,
      traceId: string | undefined,
      time: number,
    ): boolean {
      if (size === capacity) return false;
      const at = (head + size) % capacity;
      ids[at] = undefined;
      userIds[at] = userId;
      organizationIds[at] = organizationId;
      apiKeyIds[at] = apiKeyId;
      endpoints[at] = endpoint;
      methods[at] = method;
      requestIds[at] = requestId;
      traceIds[at] = traceId;
      statuses[at] = statusCode;
      durations[at] = responseTimeMs;
      times[at] = time;
      size++;
      return true;
    },

    /**
     * The `count` oldest rows in the repository's shape (UsageRow), made now, when their batch is
     * written: the request path made none of these objects, ids or timestamps.
     */
    rows(count: number): UsageRow[] {
      const rows: UsageRow[] = new Array(Math.min(count, size));
      for (let i = 0; i < rows.length; i++) {
        const at = (head + i) % capacity;
        const time = times[at] as number;
        let id = ids[at];
        if (id === undefined) {
          id = Bun.randomUUIDv7("hex", time);
          ids[at] = id;
        }
        // A request that brought no traceparent, and needed no trace id while it ran, gets one
        // here, off the request path; kept, like the id, for a retried insert.
        let traceId = traceIds[at];
        if (traceId === undefined) {
          traceId = newTraceContext().traceId;
          traceIds[at] = traceId;
        }
        rows[i] = {
          id,
          userId: userIds[at] ?? null,
          organizationId: organizationIds[at] ?? null,
          apiKeyId: apiKeyIds[at] ?? null,
          endpoint: endpoints[at] as string,
          method: methods[at] as string,
          statusCode: statuses[at] as number,
          responseTimeMs: Math.round((durations[at] as number) * 1000) / 1000,
          requestId: requestIds[at] as string,
          traceId,
          createdAt: isoNow(time),
        };
      }
      return rows;
    },

    /** Forgets the `count` oldest rows (written). */
    drop(count: number): void {
      const n = Math.min(count, size);
      for (let i = 0; i < n; i++) {
        const at = (head + i) % capacity;
        // Let go of the strings so a quiet ring holds no request's data.
        userIds[at] = organizationIds[at] = apiKeyIds[at] = null;
        endpoints[at] = methods[at] = requestIds[at] = "";
        traceIds[at] = undefined;
      }
      head = (head + n) % capacity;
      size -= n;
    },
  };
}
