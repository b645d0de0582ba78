import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { findTool, makeTempDir, readRepoFile, removeDir } from "./support";

const unitText = readRepoFile("deploy/airevenueorc-api.service");
const service = section(unitText, "Service");

/** key → values of one [Section] of a unit file (a key may repeat). */
function section(text: string, name: string): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1] ?? "";
      continue;
    }
    if (current !== name) continue;
    const at = line.indexOf("=");
    const key = line.slice(0, at);
    entries.set(key, [...(entries.get(key) ?? []), line.slice(at + 1)]);
  }
  return entries;
}

function value(key: string): string | undefined {
  return service.get(key)?.at(-1);
}

describe("systemd unit", () => {
  test("runs the built server with Bun from the app directory, in production", () => {
    expect(value("ExecStart")).toBe("/usr/local/bin/bun dist/server.js");
    expect(value("WorkingDirectory")).toBe("/var/www/airevenueorc");
    expect(service.get("Environment")).toContain("NODE_ENV=production");
    expect(value("User")).not.toMatch(/^(root|0)?$/);
  });

  // TimeoutStopSec against the drain: test/deploy/grace-periods.test.ts.
  test("stops with SIGTERM and may open many sockets", () => {
    expect(value("KillSignal")).toBe("SIGTERM");
    expect(Number(value("LimitNOFILE"))).toBeGreaterThanOrEqual(65536);
  });

  test("is sandboxed: read-only system, no capabilities, only its data directory writable", () => {
    expect(Object.fromEntries([...service].map(([k, v]) => [k, v.at(-1)]))).toMatchObject({
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      CapabilityBoundingSet: "",
      RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
      ReadWritePaths: `${value("WorkingDirectory")}/data`,
    });
    // JavaScriptCore's JIT needs W+X pages: this setting would crash Bun at start.
    expect(service.has("MemoryDenyWriteExecute")).toBe(false);
  });

  test.skipIf(!findTool("systemd-analyze"))("systemd-analyze verify finds no unknown or malformed setting", () => {
    // Point the machine-specific paths at ones that exist here, so only the unit's syntax is judged.
    const dir = makeTempDir("systemd");
    const unit = join(dir, "airevenueorc-api.service");
    writeFileSync(
      unit,
      unitText
        .replace(/^ExecStart=.*$/m, "ExecStart=/bin/true")
        .replace(/^WorkingDirectory=.*$/m, `WorkingDirectory=${dir}`)
        .replace(/^EnvironmentFile=.*$/m, `EnvironmentFile=-${dir}/.env`)
        .replace(/^ReadWritePaths=.*$/m, `ReadWritePaths=${dir}`),
    );
    const verify = Bun.spawnSync([findTool("systemd-analyze") ?? "systemd-analyze", "verify", unit]);
    removeDir(dir);
    const output = `${verify.stdout}${verify.stderr}`;
    // Syntax problems name the file and line ("unit:12: Unknown key …"); other lines are about this machine.
    const complaints = output.split("\n").filter((line) => line.startsWith(`${unit}:`));
    expect(complaints).toEqual([]);
  });
});
