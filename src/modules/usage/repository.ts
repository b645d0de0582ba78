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

/** An array or a typed array. */
type NumberColumn = ArrayLike<number> & { slice(start: number, end: number): NumberColumn };

/**
 * A batch of api_usage rows as columns, the usage buffer's own layout: row i is the i-th value of
 * every column. The Postgres insert sends each column as one array, so it never needs row objects.
 */
export interface UsageColumns {
  id: readonly string[];
  userId: readonly (string | null)[];
  organizationId: readonly (string | null)[];
  apiKeyId: readonly (string | null)[];
  endpoint: readonly string[];
  method: readonly string[];
  statusCode: NumberColumn;
  /** Rounded to the microsecond. */
  responseTimeMs: NumberColumn;
  requestId: readonly string[];
  traceId: readonly string[];
  /** Epoch milliseconds: Postgres reads one in under half the time it parses an ISO timestamp. */
  createdAtMs: NumberColumn;
  /**
   * No row of the batch was in an insert before, so none of its (new, random) ids can be written
   * yet: the insert need not look for them. A retried batch says false.
   */
  firstAttempt: boolean;
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

// Rows per statement: the batch goes as one parameter (or one per column), so this bounds its size.
const maxRowsPerStatement = 3000;

export function createUsageRepository(db: Database) {
  const { sql } = db;
  const insert = db.dialect === "postgres" ? insertColumnsPostgres : insertJsonSqlite;

  /**
   * Multi-row inserts, up to 3,000 rows a statement, whose text never changes (prepared once,
   * not once per batch size). On Postgres each column goes as one array parameter read by
   * `unnest` (Postgres spends less on it than on `json_to_recordset`, see docs/performance.md);
   * on SQLite, one JSON parameter read by `json_each`. A batch whose commit was not acknowledged
   * (connection lost) is retried: rows already written are skipped by id, or the retry would
   * fail on their ids forever and hold up every row after. A first attempt skips that check,
   * which costs Postgres a second look-up in the primary key a row.
   */
  async function insertColumns(batch: UsageColumns): Promise<void> {
    const length = batch.id.length;
    if (length <= maxRowsPerStatement) return insert(sql, batch);
    for (let start = 0; start < length; start += maxRowsPerStatement) {
      await insert(sql, sliceColumns(batch, start, start + maxRowsPerStatement));
    }
  }

  return {
    insertColumns,

    /** insertColumns for rows as objects; the rows may have been written before (ids are checked). */
    insertMany: (rows: readonly UsageRow[]): Promise<void> => insertColumns(usageColumns(rows)),

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

function insertColumnsPostgres(sql: Database["sql"], batch: UsageColumns) {
  // created_at from epoch ms: a float8 holds ms / 1000 closely enough that the column's
  // millisecond precision gets back the exact ms (checked over 1970–2100). ON CONFLICT only on a
  // retry: a first attempt's ids were made for it, and the check costs Postgres a second look-up
  // in the key a row.
  return sql`
    INSERT INTO api_usage (id, user_id, organization_id, api_key_id, endpoint, method, status_code,
                           response_time_ms, request_id, trace_id, created_at)
    SELECT id, user_id, organization_id, api_key_id, endpoint, method, status_code,
           response_time_ms, request_id, trace_id, to_timestamp(created_at_ms::float8 / 1000)
    FROM unnest(${unnestedColumns(sql, batch)})
      AS batch(id, user_id, organization_id, api_key_id, endpoint, method, status_code,
               response_time_ms, request_id, trace_id, created_at_ms)
    ${batch.firstAttempt ? sql`` : sql`ON CONFLICT (id) DO NOTHING`}`;
}

/**
 * unnest's eleven arguments. Each column as one text of values separated by U+001F, split by
 * string_to_array: Postgres reads 500 rows' columns in ~1.4–1.9 µs a row this way against
 * ~2.7–3.1 for array literals, whose parser goes character by character through quotes and
 * escapes. '' is NULL in the nullable columns (no id is blank). A batch with a blank value, or
 * one that holds U+001F, goes as array literals.
 */
function unnestedColumns(sql: Database["sql"], batch: UsageColumns) {
  const text = delimitedColumns(batch);
  if (!text) {
    return sql`
      ${textArray(batch.id)}::text[], ${textArray(batch.userId)}::text[],
      ${textArray(batch.organizationId)}::text[], ${textArray(batch.apiKeyId)}::text[],
      ${textArray(batch.endpoint)}::text[], ${textArray(batch.method)}::text[],
      ${numberArray(batch.statusCode)}::integer[], ${numberArray(batch.responseTimeMs)}::double precision[],
      ${textArray(batch.requestId)}::text[], ${textArray(batch.traceId)}::text[],
      ${numberArray(batch.createdAtMs)}::bigint[]`;
  }
  return sql`
    string_to_array(${text.id}, chr(31)), string_to_array(${text.userId}, chr(31), ''),
    string_to_array(${text.organizationId}, chr(31), ''), string_to_array(${text.apiKeyId}, chr(31), ''),
    string_to_array(${text.endpoint}, chr(31)), string_to_array(${text.method}, chr(31)),
    string_to_array(${text.statusCode}, chr(31))::integer[],
    string_to_array(${text.responseTimeMs}, chr(31))::double precision[],
    string_to_array(${text.requestId}, chr(31)), string_to_array(${text.traceId}, chr(31)),
    string_to_array(${text.createdAtMs}, chr(31))::bigint[]`;
}

const separator = "\u001f";

/** Every column as its values joined by U+001F; undefined when a value is blank or holds U+001F. */
function delimitedColumns(batch: UsageColumns) {
  const id = delimitedText(batch.id);
  const userId = delimitedText(batch.userId);
  const organizationId = delimitedText(batch.organizationId);
  const apiKeyId = delimitedText(batch.apiKeyId);
  const endpoint = delimitedText(batch.endpoint);
  const method = delimitedText(batch.method);
  const requestId = delimitedText(batch.requestId);
  const traceId = delimitedText(batch.traceId);
  if (
    id === undefined ||
    userId === undefined ||
    organizationId === undefined ||
    apiKeyId === undefined ||
    endpoint === undefined ||
    method === undefined ||
    requestId === undefined ||
    traceId === undefined
  ) {
    return undefined;
  }
  return {
    id,
    userId,
    organizationId,
    apiKeyId,
    endpoint,
    method,
    requestId,
    traceId,
    statusCode: numberTexts(batch.statusCode).join(separator),
    responseTimeMs: numberTexts(batch.responseTimeMs).join(separator),
    createdAtMs: numberTexts(batch.createdAtMs).join(separator),
  };
}

/** `a␟b␟␟c` (a null as nothing); undefined when a value is blank, or holds the separator itself. */
export function delimitedText(values: readonly (string | null)[]): string | undefined {
  for (let i = 0; i < values.length; i++) if (values[i]?.length === 0) return undefined;
  // One scan of everything joined: a value that holds the separator would split in two.
  if (values.join("").includes(separator)) return undefined;
  return values.join(separator);
}

// An element that needs quoting in a Postgres array literal: quotes, backslashes, braces, commas,
// white space, empty, or the word NULL.
const needsQuotes = /["\\{},\s]|^$|^null$/i;
const charactersToQuote = /["\\{},\s]/;
const nullWord = /^null$/i;

/** `{a,b,NULL}`: one column as a Postgres array literal (quoted where it must be). */
export function textArray(values: readonly (string | null)[]): string {
  // Most columns need no quoting at all (ids, trace ids, route templates, methods, request ids): ""
  // and the word NULL are found by their length, any other value that needs quotes by one scan of
  // all the values joined, and the literal is joined natively (a string built with += is a rope
  // of 1,000 pieces the driver must flatten): ~23 ns a value against ~40 quoting value by value.
  let nulls = false;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) nulls = true;
    else if (value.length === 0 || (value.length === 4 && nullWord.test(value))) return quotedTextArray(values);
  }
  const elements = nulls ? values.map((value) => value ?? "NULL") : (values as readonly string[]);
  return charactersToQuote.test(elements.join("")) ? quotedTextArray(values) : `{${elements.join(",")}}`;
}

function quotedTextArray(values: readonly (string | null)[]): string {
  let literal = "{";
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) literal += ",";
    if (value === null || value === undefined) literal += "NULL";
    else literal += needsQuotes.test(value) ? `"${value.replace(/["\\]/g, "\\$&")}"` : value;
  }
  return `${literal}}`;
}

function numberArray(values: NumberColumn): string {
  return `{${numberTexts(values).join(",")}}`;
}

function numberTexts(values: NumberColumn): string[] {
  // A typed array's join costs ~30 ns a value; runs of one value (a status, a millisecond) are
  // the common case, so each run's text is made once and the strings joined: ~11–16 ns.
  const texts: string[] = new Array(values.length);
  let last = Number.NaN;
  let text = "";
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    if (value !== last) {
      last = value;
      text = String(value);
    }
    texts[i] = text;
  }
  return texts;
}

function insertJsonSqlite(sql: Database["sql"], batch: UsageColumns) {
  // WHERE true: without it SQLite would read ON CONFLICT as part of the SELECT's join.
  return sql`
    INSERT INTO api_usage (id, user_id, organization_id, api_key_id, endpoint, method, status_code,
                           response_time_ms, request_id, trace_id, created_at)
    SELECT value ->> 'id', value ->> 'userId', value ->> 'organizationId', value ->> 'apiKeyId',
           value ->> 'endpoint', value ->> 'method', value ->> 'statusCode',
           value ->> 'responseTimeMs', value ->> 'requestId', value ->> 'traceId', value ->> 'createdAt'
    FROM json_each(${JSON.stringify(usageRows(batch))}) WHERE true
    ON CONFLICT (id) DO NOTHING`;
}

/** Rows as columns; they may have been written before. */
export function usageColumns(rows: readonly UsageRow[]): UsageColumns {
  return {
    id: rows.map((row) => row.id),
    userId: rows.map((row) => row.userId),
    organizationId: rows.map((row) => row.organizationId),
    apiKeyId: rows.map((row) => row.apiKeyId),
    endpoint: rows.map((row) => row.endpoint),
    method: rows.map((row) => row.method),
    statusCode: rows.map((row) => row.statusCode),
    responseTimeMs: rows.map((row) => row.responseTimeMs),
    requestId: rows.map((row) => row.requestId),
    traceId: rows.map((row) => row.traceId),
    createdAtMs: rows.map((row) => Date.parse(row.createdAt)),
    firstAttempt: false,
  };
}

function usageRows(batch: UsageColumns): UsageRow[] {
  const rows: UsageRow[] = new Array(batch.id.length);
  for (let i = 0; i < rows.length; i++) {
    rows[i] = {
      id: batch.id[i] as string,
      userId: batch.userId[i] ?? null,
      organizationId: batch.organizationId[i] ?? null,
      apiKeyId: batch.apiKeyId[i] ?? null,
      endpoint: batch.endpoint[i] as string,
      method: batch.method[i] as string,
      statusCode: batch.statusCode[i] as number,
      responseTimeMs: batch.responseTimeMs[i] as number,
      requestId: batch.requestId[i] as string,
      traceId: batch.traceId[i] as string,
      createdAt: new Date(batch.createdAtMs[i] as number).toISOString(),
    };
  }
  return rows;
}

function sliceColumns(batch: UsageColumns, start: number, end: number): UsageColumns {
  const slice = <T>(values: readonly T[]) => values.slice(start, end);
  return {
    id: slice(batch.id),
    userId: slice(batch.userId),
    organizationId: slice(batch.organizationId),
    apiKeyId: slice(batch.apiKeyId),
    endpoint: slice(batch.endpoint),
    method: slice(batch.method),
    statusCode: batch.statusCode.slice(start, end),
    responseTimeMs: batch.responseTimeMs.slice(start, end),
    requestId: slice(batch.requestId),
    traceId: slice(batch.traceId),
    createdAtMs: batch.createdAtMs.slice(start, end),
    firstAttempt: batch.firstAttempt,
  };
}
