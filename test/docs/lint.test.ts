import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { servedDocument } from "./support";

const root = join(import.meta.dir, "..", "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);
const dir = mkdtempSync(join(tmpdir(), "openapi-lint-"));
const file = join(dir, "openapi.json");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(command: string[]) {
  const child = Bun.spawn(command, {
    cwd: root,
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  await child.exited;
  return { stdout, stderr, code: child.exitCode };
}

describe("the served OpenAPI document under the linters CI runs", () => {
  test("Redocly (recommended, redocly.yaml) finds no error and no warning", async () => {
    await Bun.write(file, await servedDocument());
    const { stdout, stderr } = await run([bin("redocly"), "lint", "--format=json", file]);
    const report = JSON.parse(stdout || "{}") as {
      totals?: { errors: number; warnings: number };
      problems?: Array<{ ruleId: string; message: string }>;
    };
    expect(report.totals, stderr).toBeDefined();
    expect(report.problems?.map((p) => `${p.ruleId}: ${p.message}`) ?? []).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  test("Spectral (spectral:oas, .spectral.yaml) finds no error and no warning", async () => {
    await Bun.write(file, await servedDocument());
    const { stdout, stderr } = await run([
      bin("spectral"),
      "lint",
      "--format=json",
      "--quiet",
      "-r",
      ".spectral.yaml",
      file,
    ]);
    const results = JSON.parse(stdout.trim() || "null") as Array<{
      code: string;
      message: string;
      severity: number;
    }> | null;
    expect(results, stderr).toBeArray();
    // Severity 0 is an error, 1 a warning.
    expect((results ?? []).map((r) => `${r.severity} ${r.code}: ${r.message}`)).toEqual([]);
  }, 60_000);
});
