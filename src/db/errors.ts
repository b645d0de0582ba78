import { SQL } from "bun";

/**
 * The database layer's own errors. Repositories and the query deadline raise these; the HTTP layer
 * (src/http/database-errors.ts) decides what a client sees. Messages never carry SQL or driver
 * text, so they are safe to show; the driver's error stays in `cause` for the log.
 */
export class DatabaseError extends Error {
  /** The field (camelCase) the error is about, when one is known. */
  readonly field?: string;
  constructor(message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.field = options.field;
  }
}

/** The database cannot be reached or cannot serve now (connection lost, overloaded, circuit open). */
export class DatabaseUnavailableError extends DatabaseError {}

/** A query, or a ping, was not answered within its deadline: treated like a lost connection. */
export class DatabaseTimeoutError extends DatabaseUnavailableError {}

/** A unique key is taken, or a row is still referenced. */
export class DatabaseConflictError extends DatabaseError {}

/**
 * A value the database does not accept. `unrepresentable`: the type cannot hold it at all (a NUL
 * character, year 0, a number past the column); otherwise a rule refused it (a check, a missing
 * reference, a cursor that is not one of the list's).
 */
export class DatabaseInvalidValueError extends DatabaseError {
  readonly unrepresentable: boolean;
  /** The message for the field, when it differs from the error's. */
  readonly detail?: string;
  constructor(
    message: string,
    options: { field?: string; cause?: unknown; unrepresentable?: boolean; detail?: string },
  ) {
    super(message, options);
    this.unrepresentable = options.unrepresentable ?? false;
    this.detail = options.detail;
  }
}

export const databaseUnavailableMessage = "Database unavailable, please retry";

/**
 * The typed error for a driver error, or undefined when it is none a client can act on (a bug:
 * let it be a 500). A DatabaseError is returned as it is.
 */
export function classifyDatabaseError(error: unknown): DatabaseError | undefined {
  if (error instanceof DatabaseError) return error;
  if (error instanceof SQL.PostgresError) return classifyPostgres(error);
  if (error instanceof SQL.SQLiteError) return classifySqlite(error);
  if (isSocketError(error)) return unavailable(error);
  return undefined;
}

/** For a repository's catch: the typed error, or the error itself when it is not one. */
export function toDatabaseError(error: unknown): unknown {
  return classifyDatabaseError(error) ?? error;
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
 * column's type (22P02), a negative LIMIT or OFFSET (2201W, 2201X), a value too large for an index
 * entry (54000). Division by zero and the like stay 500s: those are ours.
 */
const badValueStates = new Set([
  "22021",
  "22P05",
  "22007",
  "22008",
  "22009",
  "22003",
  "22001",
  "22P02",
  "2201W",
  "2201X",
  "54000",
]);

function classifyPostgres(error: InstanceType<typeof SQL.PostgresError>): DatabaseError | undefined {
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
function classifySqlite(error: InstanceType<typeof SQL.SQLiteError>): DatabaseError | undefined {
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
  // A value of the wrong type where SQLite insists on one (a LIMIT or OFFSET of 1e+21), or one
  // past SQLite's size limits: the client's value, as 22xxx is on Postgres.
  if (code === "SQLITE_MISMATCH" || code === "SQLITE_TOOBIG") return badValue(error);
  if (/^(SQLITE_BUSY|SQLITE_LOCKED|SQLITE_CANTOPEN|SQLITE_IOERR|SQLITE_FULL|SQLITE_READONLY)/.test(code)) {
    return unavailable(error);
  }
  if (code === "ERR_SQLITE_CONNECTION_CLOSED") return unavailable(error);
  return undefined;
}

function unavailable(cause: unknown): DatabaseError {
  return new DatabaseUnavailableError(databaseUnavailableMessage, { cause });
}

function badValue(cause: unknown): DatabaseError {
  return new DatabaseInvalidValueError("The request contains a value the database cannot accept", {
    cause,
    unrepresentable: true,
  });
}

function conflict(cause: unknown, table?: string, constraint?: string, column?: string): DatabaseError {
  const field = column ? camel(column) : (fieldOfConstraint(table, constraint, "key") ?? "id");
  const resource = resourceName(table);
  const message = `${/^[aeio]/i.test(resource) ? "An" : "A"} ${resource} with this ${humanField(field)} already exists`;
  return new DatabaseConflictError(message, { field, cause });
}

function missingReference(cause: unknown, table?: string, constraint?: string, detail?: string): DatabaseError {
  // A delete blocked by a reference is a conflict, not bad input. Our keys cascade or set null,
  // so this only happens if a later migration adds a restricting key.
  if (detail?.includes("is still referenced")) {
    return new DatabaseConflictError(`This ${resourceName(table)} is still in use`, { cause });
  }
  const field = fieldOfConstraint(table, constraint, "fkey") ?? "reference";
  const referenced = /table "(\w+)"/.exec(detail ?? "")?.[1];
  const message = referenced
    ? `${field} does not refer to an existing ${resourceName(referenced)}`
    : "A referenced record does not exist";
  return new DatabaseInvalidValueError(message, { field, cause });
}

function invalid(cause: unknown, field = "body"): DatabaseError {
  return new DatabaseInvalidValueError(`${field} has a value the database does not accept`, { field, cause });
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
