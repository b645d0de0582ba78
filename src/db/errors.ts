import { SQL } from "bun";
import { type AppError, httpError } from "../http/errors";

/** ping() gave up waiting: treated like a lost connection. */
export class DatabaseTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseTimeoutError";
  }
}

export const databaseUnavailableMessage = "Database unavailable, please retry";

/**
 * Turns a driver error into the AppError a client should see, or undefined when it is not one
 * the client can act on (a bug: let it be a 500). Messages never carry SQL or driver text; the
 * driver error stays in `cause` for the log.
 */
export function mapDatabaseError(error: unknown): AppError | undefined {
  if (error instanceof SQL.PostgresError) return mapPostgres(error);
  if (error instanceof SQL.SQLiteError) return mapSqlite(error);
  if (error instanceof DatabaseTimeoutError) return unavailable(error);
  if (isSocketError(error)) return unavailable(error);
  return undefined;
}

/** Bun's own codes for a connection that could not be had or was lost. */
const postgresConnectionCodes = new Set([
  "ERR_POSTGRES_CONNECTION_CLOSED",
  "ERR_POSTGRES_CONNECTION_FAILED",
  "ERR_POSTGRES_CONNECTION_REFUSED",
  "ERR_POSTGRES_CONNECTION_TIMEOUT",
  "ERR_POSTGRES_IDLE_TIMEOUT",
  "ERR_POSTGRES_LIFETIME_TIMEOUT",
  "ERR_POSTGRES_TLS_NOT_AVAILABLE",
  "ERR_POSTGRES_TLS_UPGRADE_FAILED",
  "ERR_POSTGRES_AUTHENTICATION_FAILED_PBKDF",
  "ERR_POSTGRES_UNSUPPORTED_AUTHENTICATION_METHOD",
]);

/**
 * SQLSTATEs that say "not now" rather than "not this request": connection exceptions (08),
 * too many connections / out of resources (53), shutdown or start-up (57P0x), statement
 * timeout and cancel (57014), lock timeout (55P03), serialization failure and deadlock (40),
 * bad credentials or a missing database (28, 3D: the operator's problem, not the client's).
 */
function isTransientSqlState(state: string): boolean {
  return /^(08|53|57P0|40|28|3D)/.test(state) || state === "57014" || state === "55P03";
}

/**
 * Data exceptions a client's value causes and SQLite never raises: a NUL character or bytes that
 * are not UTF-8 (22021, 22P05), a date-time Postgres cannot represent such as year 0 or +200000
 * (22007, 22008, 22009), a number or string beyond its column (22003, 22001), text that is not the
 * column's type (22P02). Division by zero and the like stay 500s: those are ours.
 */
const badValueStates = new Set(["22021", "22P05", "22007", "22008", "22009", "22003", "22001", "22P02"]);

function mapPostgres(error: InstanceType<typeof SQL.PostgresError>): AppError | undefined {
  if (postgresConnectionCodes.has(error.code)) return unavailable(error);
  const state = error.errno ?? "";
  if (state === "23505") return conflict(error, error.table, error.constraint);
  if (state === "23503") return missingReference(error, error.table, error.constraint, error.detail);
  if (state === "23514") return invalid(error, fieldOfConstraint(error.table, error.constraint, "check"));
  if (state === "23502") return invalid(error, error.column ? camel(error.column) : undefined);
  if (isTransientSqlState(state)) return unavailable(error);
  if (badValueStates.has(state)) return badValue(error);
  // Supavisor (Supabase's pooler) reports a full pool as XX000 with this text.
  if (/max client connections|EMAXCONN/i.test(error.message)) return unavailable(error);
  return undefined;
}

/** Messages: "UNIQUE constraint failed: index 'users_email_key'" or "…: users.email". */
function mapSqlite(error: InstanceType<typeof SQL.SQLiteError>): AppError | undefined {
  const code = error.code;
  if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    const index = /index '([^']+)'/.exec(error.message)?.[1];
    if (index) return conflict(error, tableOf(index), index);
    const columns = [...error.message.matchAll(/(\w+)\.(\w+)/g)];
    return conflict(error, columns[0]?.[1], undefined, columns.at(-1)?.[2]);
  }
  // SQLite does not say which foreign key failed.
  if (code === "SQLITE_CONSTRAINT_FOREIGNKEY") return missingReference(error);
  if (code === "SQLITE_CONSTRAINT_CHECK") {
    const name = /CHECK constraint failed: (\w+)/.exec(error.message)?.[1];
    return invalid(error, name ? fieldOfConstraint(tableOf(name), name, "check") : undefined);
  }
  if (code === "SQLITE_CONSTRAINT_NOTNULL") {
    const column = /NOT NULL constraint failed: \w+\.(\w+)/.exec(error.message)?.[1];
    return invalid(error, column ? camel(column) : undefined);
  }
  if (/^(SQLITE_BUSY|SQLITE_LOCKED|SQLITE_CANTOPEN|SQLITE_IOERR|SQLITE_FULL|SQLITE_READONLY)/.test(code)) {
    return unavailable(error);
  }
  if (code === "ERR_SQLITE_CONNECTION_CLOSED") return unavailable(error);
  return undefined;
}

function unavailable(cause: unknown): AppError {
  return httpError(503, databaseUnavailableMessage, { headers: { "Retry-After": "5" }, cause });
}

function badValue(cause: unknown): AppError {
  return httpError(400, "The request contains a value the database cannot accept", { cause });
}

function conflict(cause: unknown, table?: string, constraint?: string, column?: string): AppError {
  const field = column ? camel(column) : (fieldOfConstraint(table, constraint, "key") ?? "id");
  const resource = resourceName(table);
  const message = `${/^[aeio]/i.test(resource) ? "An" : "A"} ${resource} with this ${humanField(field)} already exists`;
  return httpError(409, message, { details: { [field]: [message] }, cause });
}

function missingReference(cause: unknown, table?: string, constraint?: string, detail?: string): AppError {
  // A delete blocked by a reference is a conflict, not bad input. Our keys cascade or set null,
  // so this only happens if a later migration adds a restricting key.
  if (detail?.includes("is still referenced")) {
    const message = `This ${resourceName(table)} is still in use`;
    return httpError(409, message, { cause });
  }
  const field = fieldOfConstraint(table, constraint, "fkey") ?? "reference";
  const referenced = /table "(\w+)"/.exec(detail ?? "")?.[1];
  const message = referenced
    ? `${field} does not refer to an existing ${resourceName(referenced)}`
    : "A referenced record does not exist";
  return httpError(422, message, { details: { [field]: [message] }, cause });
}

function invalid(cause: unknown, field = "body"): AppError {
  const message = `${field} has a value the database does not accept`;
  return httpError(422, message, { details: { [field]: [message] }, cause });
}

const resources: Record<string, string> = {
  organizations: "organization",
  users: "user",
  sessions: "session",
  api_keys: "API key",
  prospects: "prospect",
  emails: "email",
  idempotency_keys: "idempotency key",
  api_usage: "usage record",
  schema_migrations: "migration",
};

function resourceName(table?: string): string {
  return (table && resources[table]) ?? "record";
}

/** The table an index or constraint belongs to, by our naming rule <table>_<columns>_<suffix>. */
function tableOf(name: string): string | undefined {
  return Object.keys(resources)
    .filter((table) => name.startsWith(`${table}_`))
    .sort((a, b) => b.length - a.length)[0];
}

/** users_email_key → email; prospects_org_email_key → email; api_keys_key_hash_key → keyHash. */
function fieldOfConstraint(table: string | undefined, constraint: string | undefined, suffix: string) {
  if (!constraint) return undefined;
  if (constraint.endsWith("_pkey")) return "id";
  const owner = table ?? tableOf(constraint);
  let middle = constraint;
  if (owner && middle.startsWith(`${owner}_`)) middle = middle.slice(owner.length + 1);
  if (middle.endsWith(`_${suffix}`)) middle = middle.slice(0, -(suffix.length + 1));
  middle = middle.replace(/^org_/, "");
  return middle ? camel(middle) : undefined;
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function humanField(field: string): string {
  return field.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}

function isSocketError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH)$/.test(code);
}
