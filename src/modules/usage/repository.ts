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

// 10 parameters a row: 3,000 rows stay under SQLite's 32,766 and Postgres's 65,535 parameters.
const maxRowsPerStatement = 3000;

export function createUsageRepository(db: Database) {
  const { sql } = db;
  return {
    /** Multi-row inserts: one statement for up to 3,000 rows. */
    async insertMany(rows: readonly UsageRow[]): Promise<void> {
      for (let start = 0; start < rows.length; start += maxRowsPerStatement) {
        const values = rows.slice(start, start + maxRowsPerStatement).map((row) => ({
          id: row.id,
          user_id: row.userId,
          organization_id: row.organizationId,
          api_key_id: row.apiKeyId,
          endpoint: row.endpoint,
          method: row.method,
          status_code: row.statusCode,
          response_time_ms: row.responseTimeMs,
          request_id: row.requestId,
          created_at: row.createdAt,
        }));
        // A batch whose commit was not acknowledged (connection lost) is retried: rows already
        // written are skipped, or the retry would fail on their ids forever and hold up every row after.
        await sql`INSERT INTO api_usage ${sql(values)} ON CONFLICT (id) DO NOTHING`;
      }
    },

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
