/**
 * The long versions of the reliability scenarios (`npm run soak`), minutes instead of seconds,
 * ending in a Markdown report. The CI versions are the tests beside this file.
 *
 *   npm run soak                     # about 3 minutes
 *   npm run soak -- --minutes 10 --out soak-report.md
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dialects } from "../helpers/database";
import { redisAvailable } from "../ratelimit/support";
import { type Answer, runDatabaseFaultScenario, runSlowLinkScenario } from "./support/database-fault-scenario";
import { runFaultsScenario, statusesByPath } from "./support/faults-scenario";
import { type LoadReport, serverErrors } from "./support/load";
import { runShutdownScenario } from "./support/shutdown-scenario";

const args = process.argv.slice(2);
const option = (name: string) => args[args.indexOf(`--${name}`) + 1];
const minutes = Number(args.includes("--minutes") ? option("minutes") : (process.env.SOAK_MINUTES ?? 3));
const out = args.includes("--out") ? option("out") : undefined;
const budgetMs = minutes * 60_000;
const lines: string[] = [];
const say = (line = "") => {
  lines.push(line);
  console.log(line);
};

say(`# Soak report, ${new Date().toISOString()}`);
say();
say(
  `Budget ${minutes} min; Bun ${Bun.version}; dialects ${dialects.join(", ")}; Redis ${redisAvailable ? "yes" : "no"}.`,
);

for (const dialect of dialects) {
  const warmupMs = Math.round((budgetMs * 0.2) / dialects.length);
  say();
  say(`## 1. SIGTERM under 500 req/s (${dialect}, ${(warmupMs / 1000).toFixed(0)} s of load before the signal)`);
  const result = await runShutdownScenario({ rate: 500, warmupMs, delayMs: 1000, timeoutMs: 10_000, dialect });
  say();
  say(loadTable(result.load));
  say();
  say(`- exit code ${result.exitCode}, ${Math.round(result.exitMs)} ms after SIGTERM (delay 1000 + timeout 10000)`);
  say(
    `- last response ${Math.round(result.lastResponseAfterSignal)} ms after SIGTERM; first refused connection ${round(result.firstRefusalAfterSignal)} ms after`,
  );
  const answered = result.stragglers.filter((s) => s.status !== undefined).length;
  const responses = result.load.responses + 1 + answered;
  say(`- ${answered} of ${result.stragglers.length} requests still being read when the listener closed were answered`);
  say(`- api_usage rows ${result.usageRows} for ${result.apiResponses} /api/v1 responses`);
  say(`- access log lines ${result.accessLogLines} for ${responses} responses (load, login, those requests)`);
  const socketErrors = result.load.errors.reset + result.load.errors.other + result.load.errors.timeout;
  const holds =
    serverErrors(result.load) === 0 &&
    socketErrors === 0 &&
    answered === result.stragglers.length &&
    result.exitCode === 0 &&
    result.usageRows === result.apiResponses &&
    result.accessLogLines === responses;
  say(`- verdict: ${verdict(holds)}`);
}

if (dialects.includes("postgres") && redisAvailable) {
  const phaseMs = Math.round((budgetMs * 0.4) / 4);
  say();
  say(`## 2. Redis, then Postgres, cut and restored under 150 req/s (${(phaseMs / 1000).toFixed(0)} s a phase)`);
  const result = await runFaultsScenario({ rate: 150, phaseMs });
  say();
  say(loadTable(result.load));
  for (const [phase, outcomes] of Object.entries(result.phases)) {
    say();
    say(`- ${phase}: ${JSON.stringify(statusesByPath(outcomes))}`);
  }
  say(
    `- readiness reported the database down ${round(result.readinessNoticedMs)} ms after the cut, ready again ${round(result.recoveredMs)} ms after the restore`,
  );
  say(
    `- while Postgres was down: /health ${result.duringOutage.health.status}, /me (checked token) ${result.duringOutage.cachedMe.status}, /prospects (fresh token) ${result.duringOutage.freshProspects.status} with Retry-After ${result.duringOutage.freshProspects.retryAfter}`,
  );
  say(
    `- after the restore: readiness ${result.afterRecovery.ready.status}, /prospects ${result.afterRecovery.freshProspects.status}; exit code ${result.exitCode}`,
  );
  say(`- api_usage rows ${result.usageRows} for ${result.apiResponses} /api/v1 responses`);
  const only503 = serverErrors(result.load) === (result.load.statuses[503] ?? 0);
  say(
    `- verdict: ${verdict(only503 && result.usageRows === result.apiResponses && result.afterRecovery.freshProspects.status === 200)}`,
  );
} else {
  say();
  say("## 2. Dependency faults: skipped (needs Postgres and Redis)");
}

if (dialects.includes("postgres")) {
  const faultMs = Math.max(3000, Math.round((budgetMs * 0.1) / 2));
  for (const fault of ["accept-then-close", "blackhole"] as const) {
    say();
    say(`## 2. Postgres ${fault}, ${(faultMs / 1000).toFixed(0)} s with the circuit open, then a burst of 200`);
    const r = await runDatabaseFaultScenario(fault, { faultMs });
    const following = r.following.map((a) => a.ms);
    const burstStatuses = countStatuses(r.burst.answers);
    say();
    say(`- first database-backed request ${describe(r.first)}; login ${describe(r.login)}`);
    say(
      `- the next ${following.length} while open: max ${Math.round(Math.max(...following))} ms, all ${countStatuses(r.following)}`,
    );
    say(
      `- /health ${r.health.status}, /me (checked token) ${r.cachedMe.status}, readiness ${r.ready.status} (database ${r.ready.database}), circuit_breaker_state ${r.gauge}`,
    );
    say(`- connections dialled while open: ${r.reconnectsPerSecond.toFixed(1)} a second`);
    say(`- recovered ${round(r.recoveredMs)} ms after healing; after the burst ${round(r.burstRecoveredMs)} ms`);
    say(
      `- burst of ${r.burst.answers.length}: ${burstStatuses}, all answered in ${Math.round(r.burst.wallMs)} ms, RSS +${r.burst.rssGrowthMb.toFixed(1)} MB`,
    );
    const holds =
      r.first.status === 503 &&
      r.first.ms < 2000 &&
      r.login.status === 503 &&
      r.login.ms < 2000 &&
      Math.max(...following) < 50 &&
      (r.recoveredMs ?? Infinity) < 3000 &&
      r.burst.answers.every((a) => a.status === 503) &&
      r.burst.wallMs < 3000 &&
      r.burst.rssGrowthMb < 50;
    say(`- verdict: ${verdict(holds)}`);
  }
  say();
  say("## 2. Postgres over a slow link (3 s a chunk), REQUEST_TIMEOUT_S=5, 16 requests and a login at once");
  const slow = await runSlowLinkScenario({ delayMs: 3000, requestTimeoutS: 5, requests: 16 });
  say();
  say(`- ${countStatuses(slow)}; slowest ${Math.round(Math.max(...slow.map((a) => a.ms)))} ms`);
  say(
    `- verdict: ${verdict(slow.every((a) => a.error === undefined && a.ms < 5000 && (a.status === 200 || a.status === 503)))}`,
  );
}

const seed = Math.floor(Math.random() * 2 ** 31);
const fuzzRuns = Math.max(200, Math.round(minutes * 300));
await suite(
  `3. Hostile input, ${fuzzRuns} generated requests per route and dialect, seed ${seed}`,
  "hostile-input.test.ts",
  { FUZZ_RUNS: String(fuzzRuns), FUZZ_SEED: String(seed) },
);
await suite("3. Prototype pollution, NUL bytes and nesting", "hostile-bodies.test.ts");
await suite("3. Oversized and slow bodies over a socket", "oversized-and-slow-bodies.test.ts");
await suite("2. api_usage rows of an insert whose acknowledgement was lost", "usage-retry.test.ts");
await suite("4. Stolen, stale and forged credentials", "credential-attacks.test.ts");
await suite("5. Authorization matrix", "authorization-matrix.test.ts");
await suite("6. Login timing, 200 tries of each", "login-timing.test.ts", { LOGIN_TIMING_TRIES: "200" });

if (out) writeFileSync(out, `${lines.join("\n")}\n`);

/** Runs one test file of this suite in a child process and reports its counts and notable lines. */
async function suite(title: string, file: string, env: Record<string, string> = {}) {
  say();
  say(`## ${title}`);
  const started = performance.now();
  const child = Bun.spawn([process.execPath, "test", join(import.meta.dir, file)], {
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  await child.exited;
  const text = stdout + stderr;
  const count = (word: string) => Number(new RegExp(`^\\s*(\\d+) ${word}$`, "m").exec(text)?.[1] ?? 0);
  say();
  if (count("fail") > 0 || (await child.exited) !== 0) process.exitCode = 1;
  say(`- ${count("pass")} passed, ${count("fail")} failed, in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const line of text.split("\n").filter((l) => l.startsWith("login timing:") || l.startsWith("(fail)"))) {
    say(`- ${line.trim()}`);
  }
  for (const line of text.split("\n").filter((l) => l.startsWith("Counterexample"))) say(`- ${line.trim()}`);
}

function loadTable(load: LoadReport): string {
  const statuses = Object.entries(load.statuses)
    .map(([status, n]) => `${status}: ${n}`)
    .join(", ");
  return [
    "| sent | responses | statuses | refused | reset | timeout | other | p50 ms | p99 ms |",
    "|---|---|---|---|---|---|---|---|---|",
    `| ${load.sent} | ${load.responses} | ${statuses} | ${load.errors.refused} | ${load.errors.reset} | ${load.errors.timeout} | ${load.errors.other} | ${load.p50Ms.toFixed(2)} | ${load.p99Ms.toFixed(2)} |`,
  ].join("\n");
}

function countStatuses(answers: Answer[]): string {
  const counts: Record<string, number> = {};
  for (const a of answers) counts[String(a.status ?? a.error)] = (counts[String(a.status ?? a.error)] ?? 0) + 1;
  return Object.entries(counts)
    .map(([status, n]) => `${n} × ${status}`)
    .join(", ");
}

function describe(answer: Answer): string {
  return `${answer.status ?? answer.error} in ${Math.round(answer.ms)} ms`;
}

function round(ms: number | undefined): string {
  return ms === undefined ? "never" : String(Math.round(ms));
}

function verdict(ok: boolean): string {
  if (!ok) process.exitCode = 1;
  return ok ? "**holds**" : "**FAILED**";
}
