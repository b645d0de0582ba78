/**
 * Normalises values that the two dialects return differently, so repositories return the same
 * records on both: Postgres gives Date, boolean, parsed JSON and bigint counts as strings;
 * SQLite gives ISO text, 0/1, JSON text and numbers.
 */

const isoMillis = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Date, ISO string or epoch ms → "2026-11-25T10:00:00.000Z". */
export function toIso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string" && isoMillis.test(value)) return value;
  if (typeof value === "string" || typeof value === "number") {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date.toISOString();
  }
  throw new TypeError(`not a timestamp: ${String(value)}`);
}

export function toIsoOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : toIso(value);
}

/** boolean, 0/1 (SQLite) or "t"/"f" → boolean. */
export function toBool(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "number" || typeof value === "bigint") return Number(value) !== 0;
  if (typeof value === "string") return value === "1" || value === "t" || value === "true";
  return false;
}

/** JSON text (SQLite) or an already parsed value (Postgres jsonb) → the value; null stays null. */
export function parseJson<T>(value: unknown): T {
  if (typeof value === "string") return JSON.parse(value) as T;
  return value as T;
}

/** Counts and int8 columns: Postgres returns them as strings, SQLite as numbers. */
export function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint" || typeof value === "string") return Number(value);
  throw new TypeError(`not a number: ${String(value)}`);
}

/** The timestamp format every write uses, so that text comparison on SQLite is time order. */
export function nowIso(): string {
  return new Date().toISOString();
}
