export interface BackupResult {
  dialect: "sqlite" | "postgres";
  file: string;
  bytes: number;
  ms: number;
}

export interface RestoreResult {
  dialect: "sqlite" | "postgres";
  ms: number;
  /** Rows per table of the restored database, the application's tables only. */
  rows: Record<string, number>;
}

/** A restore that would overwrite data, or a backup that is not one: the script says so and stops. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupError";
  }
}

/** The application's tables, as the migrations create them. */
export const applicationTables = [
  "organizations",
  "users",
  "sessions",
  "api_keys",
  "prospects",
  "idempotency_keys",
  "emails",
  "api_usage",
  "schema_migrations",
];
