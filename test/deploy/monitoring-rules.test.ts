import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parse } from "yaml";
import { readRepoFile, repoRoot, requireToolUnlessLocal } from "./support";

const promtool = requireToolUnlessLocal("promtool");
const rulesPath = "deploy/monitoring/rules.yml";
const unitTestsPath = "deploy/monitoring/tests/rules.test.yml";

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}
interface UnitTest {
  name: string;
  alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[];
}

const groups = (parse(readRepoFile(rulesPath)) as { groups: { rules: Rule[] }[] }).groups;
const rules = groups.flatMap((group) => group.rules);
const alerts = rules.filter((rule) => rule.alert).map((rule) => rule.alert as string);
const unitTests = (parse(readRepoFile(unitTestsPath)) as { tests: UnitTest[] }).tests;

function runPromtool(...args: string[]) {
  const run = Bun.spawnSync([promtool.path ?? "promtool", ...args], { cwd: repoRoot });
  return { code: run.exitCode, output: `${run.stdout}${run.stderr}` };
}

describe.skipIf(promtool.skip)("Prometheus rules (promtool)", () => {
  test("promtool check rules accepts every recording and alerting rule", () => {
    const { code, output } = runPromtool("check", "rules", rulesPath);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(code).toBe(0);
  });

  test("promtool test rules passes every unit test: each alert fires on its synthetic series and stays silent on the others", () => {
    const { code, output } = runPromtool("test", "rules", join(repoRoot, unitTestsPath));
    expect(output).not.toContain("FAILED");
    expect(output).toContain("SUCCESS");
    expect(code).toBe(0);
  });
});

describe("Prometheus rule unit tests", () => {
  test("cover every alert both firing and silent", () => {
    const checks = unitTests.flatMap((unit) => unit.alert_rule_test ?? []);
    const missing = alerts.flatMap((alert) => {
      const own = checks.filter((check) => check.alertname === alert);
      const fires = own.some((check) => check.exp_alerts.length > 0);
      const silent = own.some((check) => check.exp_alerts.length === 0);
      return [...(fires ? [] : [`${alert} never fires`]), ...(silent ? [] : [`${alert} is never silent`])];
    });
    expect(missing).toEqual([]);
  });

  test("select the scrape job of deploy/monitoring/prometheus.yml in every expression", () => {
    const config = parse(readRepoFile("deploy/monitoring/prometheus.yml")) as {
      scrape_configs: { job_name: string }[];
    };
    const job = config.scrape_configs[0]?.job_name;
    expect(job).toBe("revenue-api");
    const raw = rules.filter((rule) => !rule.expr.includes(`job="${job}"`) && !/^\s*\(?\s*job[_:]/.test(rule.expr));
    expect(raw.map((rule) => rule.alert ?? rule.record)).toEqual([]);
  });
});
