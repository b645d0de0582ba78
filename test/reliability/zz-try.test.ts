import { test } from "bun:test";
import { runFaultsScenario, statusesByPath } from "/work/main/test/reliability/support/faults-scenario";
test("try", async () => {
  const r = await runFaultsScenario({ rate: 200, phaseMs: 1500 });
  const phases = Object.fromEntries(Object.entries(r.phases).map(([k, v]) => [k, statusesByPath(v)]));
  console.log(JSON.stringify({ phases, duringOutage: r.duringOutage, redisDownReady: r.redisDownReady, noticed: r.readinessNoticedMs, recovered: r.recoveredMs, after: r.afterRecovery, exit: r.exitCode, rows: r.usageRows, api: r.apiResponses, errs: r.load.errors, samples: r.load.errorSamples }, null, 1));
}, 60000);
