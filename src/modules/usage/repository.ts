import type { Database } from "../../db/database";
import { toNumber } from "../../db/values";

/** One api_usage row, as the usage recorder buffers it. */
export interface UsageRow {
  id: string;
  userId: string | null;
  organizationId: string | null;
  apiKeyId: string | null;
  /** Route template, e.g. /api/v1/prospects/:id. */
  endpoint: string;
  method: string;
  statusCode: number;
  responseTimeMs: number;
  requestId: string;
  /** W3C trace id: the request's traceparent's, or one made for it. */
  traceId: string;
  createdAt: string;
}

export interface EndpointStats {
  method: string;
  endpoint: string;
  requests: number;
  clientErrors: number;
  serverErrors: number;
  p50Ms: number;
  p95Ms: number;
}

export type UsageRepository = ReturnType<typeof createUsageRepository>;

// Rows per statement: the batch goes as one JSON parameter, so this bounds its size (~250 bytes a row).
const maxRowsPerStatement = 3000;

export function createUsageRepository(db: Database) {
  const { sql } = db;
  const insertJson = db.dialect === "postgres" ? insertJsonPostgres : insertJsonSqlite;
  return {
    /**
     * Multi-row inserts: one statement and one parameter, the rows as JSON, for up to 3,000 rows.
     * A parameter per column per row costs the driver ~2.3 µs a row to encode; JSON.stringify
     * and the database's own JSON reader, ~1 µs. The statement text never changes, so it is
     * prepared once instead of once per batch size.
     */
    async insertMany(rows: readonly UsageRow[]): Promise<void> {
      for (let start = 0; start < rows.length; start += maxRowsPerStatement) {
        await insertJson(sql, JSON.stringify(rows.slice(start, start + maxRowsPerStatement)));
      }
    },

    /**
     * One statement for rows already encoded as a JSON array of UsageRow (the usage recorder
     * builds it from its columns; at most 3,000 rows). A batch whose commit was not acknowledged
     * (connection lost) is retried: rows already written are skipped by id, or the retry would
     * fail on their ids forever and hold up every row after.
     */
    insertJson: (rowsJson: string): Promise<void> => insertJson(sql, rowsJson),

    /**
     * Requests, errors and nearest-rank p50/p95 per (method, endpoint) of one organization in
     * [from, to). Percentiles come from window functions that SQLite and Postgres share: the
     * p-th percentile of n sorted values is the one at rank ceil(p·n/100), in integer arithmetic.
     */
    async endpointStats(organizationId: string, from: string, to: string): Promise<EndpointStats[]> {
      const rows = await sql`
        WITH ranked AS (
          SELECT method, endpoint, status_code, response_time_ms,
                 ROW_NUMBER() OVER (PARTITION BY method, endpoint ORDER BY response_time_ms) AS row_rank,
                 COUNT(*) OVER (PARTITION BY method, endpoint) AS total
          FROM api_usage
          WHERE organization_id = ${organizationId} AND created_at >= ${from} AND created_at < ${to}
        )
        SELECT method, endpoint, MAX(total) AS requests,
               SUM(CASE WHEN status_code >= 400 AND status_code < 500 THEN 1 ELSE 0 END) AS client_errors,
               SUM(CASE WHEN status_code >= 500 THEN 1 ELSE 0 END) AS server_errors,
               MAX(CASE WHEN row_rank = (total * 50 + 99) / 100 THEN response_time_ms END) AS p50,
               MAX(CASE WHEN row_rank = (total * 95 + 99) / 100 THEN response_time_ms END) AS p95
        FROM ranked
        GROUP BY method, endpoint
        ORDER BY requests DESC, endpoint, method`;
      // biome-ignore lint/suspicious/noExplicitAny: driver rows are untyped records
      return rows.map((row: any) => ({
        method: row.method,
        endpoint: row.endpoint,
        requests: toNumber(row.requests),
        clientErrors: toNumber(row.client_errors),
        serverErrors: toNumber(row.server_errors),
        p50Ms: toNumber(row.p50),
        p95Ms: toNumber(row.p95),
      }));
    },
  };
}

function insertJsonPostgres(sql: Database["sql"], rows: string) {
  // ::text first: a parameter typed json would be encoded by the driver as a JSON string value.
  return sql`
    INSERT INTO api_usage (id, user_id, organization_id, api_key_id, endpoint, method, status_code,
                           response_time_ms, request_id, trace_id, created_at)
    SELECT id, "userId", "organizationId", "apiKeyId", endpoint, method, "statusCode",
           "responseTimeMs", "requestId", "traceId", "createdAt"
    FROM json_to_recordset(${rows}::text::json) AS r(
      id text, "userId" text, "organizationId" text, "apiKeyId" text, endpoint text, method text,
      "statusCode" integer, "responseTimeMs" double precision, "requestId" text, "traceId" text,
      "createdAt" timestamptz)
    ON CONFLICT (id) DO NOTHING`;
}

function insertJsonSqlite(sql: Database["sql"], rows: string) {
  // WHERE true: without it SQLite would read ON CONFLICT as part of the SELECT's join.
  return sql`
    INSERT INTO api_usage (id, user_id, organization_id, api_key_id, endpoint, method, status_code,
                           response_time_ms, request_id, trace_id, created_at)
    SELECT value ->> 'id', value ->> 'userId', value ->> 'organizationId', value ->> 'apiKeyId',
           value ->> 'endpoint', value ->> 'method', value ->> 'statusCode',
           value ->> 'responseTimeMs', value ->> 'requestId', value ->> 'traceId', value ->> 'createdAt'
    FROM json_each(${rows}) WHERE true
    ON CONFLICT (id) DO NOTHING`;
}
