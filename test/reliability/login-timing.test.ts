import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { App } from "../../src/app";
import { createOrganizationRepository } from "../../src/modules/organizations/repository";
import { createUserRepository } from "../../src/modules/users/repository";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter, type RateLimiter } from "../../src/ratelimit/limiter";
import { buildTestApp, testConfig } from "../helpers/app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { jsonRequest } from "../helpers/fixtures";

// LOGIN_TIMING_TRIES: the soak script runs more.
const tries = Number(process.env.LOGIN_TIMING_TRIES ?? 30);
const warmups = 3;
// The production argon2 cost (config defaults), and login and general limits that 2 × (tries +
// warmups) attempts from one address stay under: a 429 would be timed instead of a login.
const attempts = String(2 * (tries + warmups) + 10);
const env = { RATE_LIMIT_AUTH_MAX: attempts, RATE_LIMIT_MAX: attempts };
const email = "timed@example.com";

describe("login timing", () => {
  let database: TestDatabase;
  let limiter: RateLimiter;
  let app: App;

  beforeAll(async () => {
    const config = testConfig(env);
    database = await createTestDatabase("sqlite");
    const organization = await createOrganizationRepository(database.db).create("Timing");
    const passwordHash = await Bun.password.hash("the right password", {
      algorithm: "argon2id",
      ...config.passwordHash,
    });
    await createUserRepository(database.db).createUser({
      organizationId: organization.id,
      email,
      passwordHash,
      role: "user",
    });
    limiter = createRateLimiter({ config, logger: createMemoryLogger() });
    app = buildTestApp({ env, deps: { db: database.db, limiter } }).app;
  });
  afterAll(async () => {
    await limiter.close();
    await database.drop();
  });

  async function timed(body: { email: string; password: string }): Promise<number> {
    const started = performance.now();
    const response = await app.handle(jsonRequest("POST", "/api/v1/auth/login", body));
    await response.arrayBuffer();
    const elapsed = performance.now() - started;
    expect(response.status).toBe(401);
    return elapsed;
  }

  test(
    `an unknown email and a wrong password take the same time: medians of ${tries} tries within 20%`,
    async () => {
      const unknownEmail = { email: "nobody@example.com", password: "a wrong password" };
      const wrongPassword = { email, password: "a wrong password" };
      for (let i = 0; i < warmups; i++) {
        await timed(unknownEmail);
        await timed(wrongPassword);
      }
      const unknown: number[] = [];
      const wrong: number[] = [];
      // Interleaved, alternating which goes first, so drift in machine load falls on both alike.
      for (let i = 0; i < tries; i++) {
        if (i % 2 === 0) {
          unknown.push(await timed(unknownEmail));
          wrong.push(await timed(wrongPassword));
        } else {
          wrong.push(await timed(wrongPassword));
          unknown.push(await timed(unknownEmail));
        }
      }
      const [a, b] = [median(unknown), median(wrong)];
      console.log(`login timing: unknown email median ${a.toFixed(1)} ms, wrong password median ${b.toFixed(1)} ms`);
      // argon2 at the production cost, not a shortcut: both pay for a hash.
      expect(Math.min(a, b)).toBeGreaterThan(5);
      expect(Math.abs(a - b) / Math.max(a, b)).toBeLessThan(0.2);
    },
    10_000 + tries * 500,
  );
});

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
