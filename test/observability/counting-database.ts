import type { Database } from "../../src/db/database";

/**
 * The same database, whose `sql` counts the statements it starts that match `pattern` (tagged
 * template calls only; `sql(rows)` helpers are parts of a statement, not statements).
 */
export function countingDatabase(db: Database, pattern: RegExp): { db: Database; statements: () => number } {
  let count = 0;
  const sql = new Proxy(db.sql, {
    apply(target, thisArg, args: unknown[]) {
      const strings = args[0];
      if (Array.isArray(strings) && "raw" in strings && pattern.test(strings.join("?"))) count += 1;
      return Reflect.apply(target, thisArg, args);
    },
  });
  return { db: { ...db, sql }, statements: () => count };
}
