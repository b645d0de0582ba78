import { afterAll, beforeAll } from "bun:test";
import type { App } from "../../src/app";
import type { Dialect } from "../../src/db/database";
import { type BuildTestAppOptions, buildTestApp } from "./app";
import { createTestDatabase, type TestDatabase } from "./database";
import { cheapHashEnv, type SeededOrganization, seedOrganization } from "./fixtures";

export interface SeededApp {
  database: TestDatabase;
  app: App;
  /** The first organization named. */
  org: SeededOrganization;
  /** The second organization named, for cross-organization cases. */
  other: SeededOrganization;
}

/**
 * Registers beforeAll/afterAll that build the app on a fresh migrated database of `dialect` with
 * one seeded organization per name (admin, user, viewer each). Fields are set once beforeAll ran.
 */
export function useSeededApp(dialect: Dialect, names: [string, string?], options: BuildTestAppOptions = {}): SeededApp {
  const suite = {} as SeededApp;
  beforeAll(async () => {
    suite.database = await createTestDatabase(dialect);
    suite.app = buildTestApp({
      env: { ...cheapHashEnv, ...options.env },
      deps: { db: suite.database.db, ...options.deps },
    }).app;
    suite.org = await seedOrganization(suite.database.db, names[0]);
    if (names[1]) suite.other = await seedOrganization(suite.database.db, names[1]);
  });
  afterAll(() => suite.database.drop());
  return suite;
}
