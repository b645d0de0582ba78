import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CapturedResponse } from "./capture";
import { type HelperServer, startHelper } from "./helper-server";

/** Starts bench/baseline-server.ts (raw Bun.serve, a small JSON body) on the server's CPU. */
export function startBaseline(cpu: string | undefined): Promise<HelperServer> {
  return startHelper({ command: [process.execPath, join(import.meta.dir, "baseline-server.ts")], cpu, readyPath: "/" });
}

/** Starts bench/replay-server.ts sending `capture` byte for byte: the ceiling of its scenario. */
export function startCeiling(cpu: string | undefined, capture: CapturedResponse, dir: string): Promise<HelperServer> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `capture-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(capture));
  return startHelper({
    command: [process.execPath, join(import.meta.dir, "replay-server.ts"), file],
    cpu,
    readyPath: "/",
    anyStatus: true,
  });
}
