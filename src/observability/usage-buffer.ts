import { newTraceId } from "../lib/trace-context";
import { uuidsV7 } from "../lib/uuid-v7";
import type { UsageColumns } from "../modules/usage/repository";

export type UsageBuffer = ReturnType<typeof createUsageBuffer>;

/**
 * api_usage rows as columns of preallocated arrays, oldest first (a ring): recording a request is
 * a few stores, with no row object, id or timestamp string made on the request path. A batch is
 * handed to the repository as copies of these columns, made when it is written (no row objects at
 * all on Postgres). Rows leave the ring only once written, so a failed insert is retried with the
 * same rows — and the same ids, which the first `batch()` assigns and keeps (the insert skips ids
 * already written).
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

  /** The `count` values of a column from the head of the ring, in order, as a new array. */
  const fromHead = <T>(column: T[], count: number): T[] => {
    const end = head + count;
    return end <= capacity ? column.slice(head, end) : column.slice(head).concat(column.slice(0, end - capacity));
  };
  const numbersFromHead = <C extends Uint16Array | Float64Array>(column: C, count: number): C => {
    const end = head + count;
    if (end <= capacity) return column.slice(head, end) as C;
    const values = column.slice(0, count) as C;
    values.set(column.subarray(head));
    values.set(column.subarray(0, end - capacity), capacity - head);
    return values;
  };

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
      durations[at] = Math.round(responseTimeMs * 1000) / 1000;
      times[at] = time;
      size++;
      return true;
    },

    /**
     * The `count` oldest rows as the repository's columns, made now, when their batch is written:
     * the request path made none of these ids, trace ids or timestamps.
     */
    batch(count: number): UsageColumns {
      const n = Math.min(count, size);
      // Rows in no insert yet: their ids are made together below; a retried row keeps its own.
      const unnamed: number[] = [];
      for (let i = 0; i < n; i++) {
        const at = (head + i) % capacity;
        if (ids[at] === undefined) unnamed.push(at);
        // A request that brought no traceparent, and needed no trace id while it ran, gets one
        // here, off the request path; kept, like the id, for a retried insert.
        if (traceIds[at] === undefined) traceIds[at] = newTraceId();
      }
      const made = uuidsV7(unnamed.map((at) => times[at] as number));
      for (let k = 0; k < unnamed.length; k++) ids[unnamed[k] as number] = made[k];
      return {
        id: fromHead(ids, n) as string[],
        userId: fromHead(userIds, n),
        organizationId: fromHead(organizationIds, n),
        apiKeyId: fromHead(apiKeyIds, n),
        endpoint: fromHead(endpoints, n),
        method: fromHead(methods, n),
        statusCode: numbersFromHead(statuses, n),
        responseTimeMs: numbersFromHead(durations, n),
        requestId: fromHead(requestIds, n),
        traceId: fromHead(traceIds, n) as string[],
        createdAtMs: numbersFromHead(times, n),
        firstAttempt: unnamed.length === n,
      };
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
