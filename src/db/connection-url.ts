/** What openDatabase needs to know about a DATABASE_URL, per dialect. */
export type ParsedDatabaseUrl =
  | { dialect: "sqlite"; filename: string }
  | { dialect: "postgres"; url: string; database?: string; transactionPooler: boolean };

/**
 * Parameters that other clients (Prisma, pgbouncer guides) put in Postgres URLs. Bun sends an
 * unknown parameter to the server as a run-time setting, which fails every connection
 * ("unrecognized configuration parameter"), so they are taken out here.
 */
const clientOnlyParameters = [
  "pgbouncer",
  "connection_limit",
  "pool_timeout",
  "statement_cache_size",
  "schema",
  "socket_timeout",
  "sslaccept",
];

/** Supabase's transaction-mode pooler listens on 6543. */
const transactionPoolerPort = "6543";

export function parseDatabaseUrl(raw: string): ParsedDatabaseUrl {
  if (raw.startsWith("sqlite://")) return { dialect: "sqlite", filename: sqliteFilename(raw) };
  if (raw.startsWith("postgres://") || raw.startsWith("postgresql://")) return postgresUrl(raw);
  throw new Error("database URL must start with postgres://, postgresql:// or sqlite://");
}

/** sqlite://./data/app.db → ./data/app.db, sqlite:///var/app.db → /var/app.db, sqlite://:memory:. */
function sqliteFilename(raw: string): string {
  const rest = raw.slice("sqlite://".length);
  const query = rest.indexOf("?");
  const path = decodeURIComponent(query === -1 ? rest : rest.slice(0, query));
  if (path === "") throw new Error("sqlite:// URL names no file; use sqlite://./data/app.db or sqlite://:memory:");
  return path;
}

function postgresUrl(raw: string): ParsedDatabaseUrl {
  const url = new URL(raw);
  const pgbouncer = url.searchParams.get("pgbouncer") === "true";
  for (const name of clientOnlyParameters) url.searchParams.delete(name);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  return {
    dialect: "postgres",
    url: url.toString(),
    // Passed as an option because Bun lets PGDATABASE in the environment override the URL's.
    database: database === "" ? undefined : database,
    transactionPooler: pgbouncer || url.port === transactionPoolerPort,
  };
}
