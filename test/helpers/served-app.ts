import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter } from "../../src/ratelimit/limiter";
import { insertProspects } from "../prospects/support";
import { buildTestApp, testConfig } from "./app";
import { createTestDatabase } from "./database";
import { cheapHashEnv, type SeededOrganization, seedOrganization } from "./fixtures";

export interface ServedApp {
  /** http://127.0.0.1:<port> */
  base: string;
  org: SeededOrganization;
  /** Stops the server, the limiter and drops the database. */
  close(): Promise<void>;
}

/**
 * The app on a real socket (port 0) over a migrated SQLite database with one seeded organization
 * holding 12 prospects (more than a page of 10), rate limited in memory with the test environment's limits, as a browser or a generated client
 * meets it.
 */
export async function serveSeededApp(env: Record<string, string> = {}): Promise<ServedApp> {
  const database = await createTestDatabase("sqlite");
  const org = await seedOrganization(database.db, "Clients");
  const prospects = Array.from({ length: 12 }, (_, i) => ({
    email: `lead${i}@prospects.example.com`,
    company: "Seeded",
  }));
  await insertProspects(database.db, org.id, prospects);
  const vars = { ...cheapHashEnv, ...env };
  const limiter = createRateLimiter({ config: testConfig(vars), logger: createMemoryLogger() });
  const { app } = buildTestApp({ env: vars, deps: { db: database.db, limiter } });
  app.listen({ port: 0, hostname: "127.0.0.1" });
  return {
    base: `http://127.0.0.1:${app.server?.port}`,
    org,
    async close() {
      await app.stop(true);
      await limiter.close();
      await database.drop();
    },
  };
}
